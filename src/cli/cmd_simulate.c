/*
 * cmd_simulate.c - `couponc simulate`: replays past orders against coupon
 * files and reports what the coupons would have cost (docs/simulation.md).
 *
 *   couponc simulate --orders ORDERS.jsonl[.gz] [--best | --both] [--entered]
 *                    [--indexed] [--json] [--threads N] [--strict]
 *                    [--currency CUR] [--max-errors N] FILE...
 *   couponc simulate --synthesize N [--seed S] [--year Y] [--timezone ZONE]
 *                    [--out FILE]                       (synth.c)
 *
 * ORDERS holds one context of SPEC section 3 per line (JSON Lines; blank
 * lines are skipped), plain or gzip-compressed (told by the gzip magic, not
 * the name; "-" is standard input). It is read as a stream in batches of
 * lines, so memory does not grow with the number of orders.
 *
 * Threads: every worker has a simulation of its own (its own VMs and
 * context) over the one shared program. The workers take turns at the
 * reader: under a lock, a worker reads the next batch of whole lines
 * (about 256 KiB, with the line number of its first line) into a buffer of
 * its own, then parses and counts them unlocked. The partial line at the end
 * of a read is carried over to the next batch. At the end the simulations
 * are merged, which gives exactly the report of one thread. (A dedicated
 * reader thread feeding a queue was measured against this: docs/PERFORMANCE.md.)
 *
 * A line that is not a valid context, or that is in another currency, or
 * whose evaluation fails (step budget), is reported on stderr as
 * ORDERS:LINE:COLUMN: error[...] and counted among the refused orders of
 * the report; --strict makes the first such line fatal (exit 2). A read
 * error or a corrupt gzip stream is always fatal (exit 2).
 */
#include "couponc.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#define BATCH (256u << 10)     /* bytes of lines a worker takes at a time */
#define GZ_IN (64u << 10)      /* compressed bytes read at a time */
#define MAX_THREADS 256

/* ------------------------------------------------------------------------
 * Input: a plain or gzip-compressed stream
 * ------------------------------------------------------------------------ */

typedef struct source {
    const char *name;          /* for messages */
    int fd;
    bool gz;                   /* inflating */
    bool gz_end;               /* the current gzip member ended */
    z_stream z;
    unsigned char *in;         /* compressed input (GZ_IN bytes) */
    unsigned char head[2];     /* the first bytes, read to find the magic */
    size_t nhead;              /* how many of them are still to be returned */
    bool eof;
} source;

/* Opens path ("-": standard input) and tells gzip by its magic bytes; -1
 * after a message. source_close() is due either way. */
static int source_open(source *s, const char *path)
{
    memset(s, 0, sizeof *s);
    s->name = strcmp(path, "-") == 0 ? "<stdin>" : path;
    s->fd = strcmp(path, "-") == 0 ? 0 : open(path, O_RDONLY);
    if (s->fd < 0) {
        fprintf(stderr, "couponc: cannot open %s: %s\n", path, strerror(errno));
        return -1;
    }
    while (s->nhead < 2) {
        ssize_t k = read(s->fd, s->head + s->nhead, 2 - s->nhead);
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0) {
            fprintf(stderr, "couponc: cannot read %s: %s\n", s->name, strerror(errno));
            return -1;
        }
        if (k == 0)
            break;
        s->nhead += (size_t)k;
    }
    if (s->nhead == 2 && s->head[0] == 0x1f && s->head[1] == 0x8b) {
        s->in = malloc(GZ_IN);
        /* 15 + 16: a gzip stream (header and CRC checked by zlib). */
        if (s->in == NULL || inflateInit2(&s->z, 15 + 16) != Z_OK) {
            fprintf(stderr, "couponc: out of memory\n");
            return -1;
        }
        s->gz = true;
        memcpy(s->in, s->head, 2);
        s->z.next_in = s->in;
        s->z.avail_in = 2;
        s->nhead = 0;
    }
    return 0;
}

static void source_close(source *s)
{
    if (s->gz)
        inflateEnd(&s->z);
    free(s->in);
    if (s->fd > 0)
        close(s->fd);
}

static ssize_t read_fd(source *s, void *buf, size_t n)
{
    for (;;) {
        ssize_t k = read(s->fd, buf, n);
        if (k >= 0 || errno != EINTR)
            return k;
    }
}

/* Up to n bytes of the (decompressed) stream into buf: their number, 0 at
 * the end, -1 after a message. Concatenated gzip members are read one
 * after another, as gzip -d does. */
static ssize_t source_read(source *s, char *buf, size_t n)
{
    if (!s->gz) {
        if (s->nhead > 0) {
            size_t k = s->nhead < n ? s->nhead : n;
            memcpy(buf, s->head, k);
            memmove(s->head, s->head + k, s->nhead - k);
            s->nhead -= k;
            return (ssize_t)k;
        }
        ssize_t k = read_fd(s, buf, n);
        if (k < 0)
            fprintf(stderr, "couponc: cannot read %s: %s\n", s->name, strerror(errno));
        return k;
    }
    uInt room = (uInt)(n > UINT_MAX ? UINT_MAX : n);
    s->z.next_out = (unsigned char *)buf;
    s->z.avail_out = room;
    while (s->z.avail_out == room) {
        if (s->z.avail_in == 0 && !s->eof) {
            ssize_t k = read_fd(s, s->in, GZ_IN);
            if (k < 0) {
                fprintf(stderr, "couponc: cannot read %s: %s\n", s->name, strerror(errno));
                return -1;
            }
            s->eof = k == 0;
            s->z.next_in = s->in;
            s->z.avail_in = (uInt)k;
        }
        if (s->gz_end) {
            if (s->z.avail_in == 0 && s->eof)
                return 0;
            /* Another member follows. */
            if (inflateReset(&s->z) != Z_OK) {
                fprintf(stderr, "couponc: %s: corrupt gzip data\n", s->name);
                return -1;
            }
            s->gz_end = false;
        }
        if (s->z.avail_in == 0 && s->eof) {
            fprintf(stderr, "couponc: %s: the gzip stream is truncated\n", s->name);
            return -1;
        }
        int rc = inflate(&s->z, Z_NO_FLUSH);
        if (rc == Z_STREAM_END) {
            s->gz_end = true;
        } else if (rc != Z_OK && rc != Z_BUF_ERROR) {
            fprintf(stderr, "couponc: %s: corrupt gzip data: %s\n", s->name,
                    s->z.msg ? s->z.msg : zError(rc));
            return -1;
        }
    }
    return (ssize_t)(room - s->z.avail_out);
}

/* ------------------------------------------------------------------------
 * The shared reader: whole lines, in batches, with their line numbers
 * ------------------------------------------------------------------------ */

typedef struct batch {
    char *p;
    size_t n, cap;
    unsigned long long first;  /* line number of its first line */
} batch;

typedef struct reader {
    pthread_mutex_t mu;
    source src;
    char *carry;               /* the start of a line read past the last batch */
    size_t ncarry, carry_cap;
    unsigned long long line;   /* lines handed out */
    size_t max_line;           /* longest line kept (the context size limit + 1) */
    bool skipping;             /* the rest of an over-long line is to be dropped */
    bool eof;                  /* the stream has ended */
    bool done;                 /* nothing more to hand out */
    bool failed;               /* a read error (fatal) */
    bool stop;                 /* --strict: a line was refused */
} reader;

static bool reserve(batch *b, size_t need)
{
    if (need <= b->cap)
        return true;
    size_t cap = b->cap ? b->cap : BATCH + 1;
    while (cap < need)
        cap *= 2;
    char *p = realloc(b->p, cap);
    if (p == NULL)
        return false;
    b->p = p;
    b->cap = cap;
    return true;
}

/* Reads up to n more bytes into b (room for them reserved): false on a
 * read error. Sets r->eof at the end of the stream. */
static bool more(reader *r, batch *b, size_t n)
{
    ssize_t k = source_read(&r->src, b->p + b->n, n);
    if (k < 0) {
        r->failed = true;
        return false;
    }
    r->eof = k == 0;
    b->n += (size_t)k;
    return true;
}

/* The last newline in p[from..n), or NULL. */
static char *last_newline(char *p, size_t from, size_t n)
{
    for (size_t i = n; i > from; i--)
        if (p[i - 1] == '\n')
            return p + i - 1;
    return NULL;
}

/* Drops the rest of an over-long line: b is left holding what follows it. */
static bool skip_rest(reader *r, batch *b)
{
    while (r->skipping && !r->eof) {
        b->n = 0;
        if (!more(r, b, BATCH))
            return false;
        char *nl = memchr(b->p, '\n', b->n);
        if (nl != NULL) {
            b->n -= (size_t)(nl + 1 - b->p);
            memmove(b->p, nl + 1, b->n);
            r->skipping = false;
        }
    }
    if (r->skipping)
        b->n = 0;
    r->skipping = false;
    return true;
}

/* Hands the next batch of whole lines to a worker (at least BATCH bytes
 * unless the stream ends first), with the number of its first line: false
 * when there is nothing more (or on a read error: r->failed). A line longer
 * than max_line comes alone, cut at max_line bytes (the context parser
 * refuses it for its size), and the rest of it is dropped. */
static bool next_batch(reader *r, batch *b)
{
    pthread_mutex_lock(&r->mu);
    b->n = 0;
    if (r->done || r->stop) {
        pthread_mutex_unlock(&r->mu);
        return false;
    }
    bool ok = reserve(b, BATCH + r->ncarry + 1);
    if (ok && r->skipping)
        ok = skip_rest(r, b);
    if (ok && r->ncarry > 0) {
        memcpy(b->p + b->n, r->carry, r->ncarry);
        b->n += r->ncarry;
        r->ncarry = 0;
    }
    while (ok && b->n < BATCH && !r->eof)
        ok = more(r, b, BATCH - b->n);
    char *nl = ok ? last_newline(b->p, 0, b->n) : NULL;
    /* A line longer than what was read: read on to its end, or max_line. */
    while (ok && nl == NULL && !r->eof && b->n < r->max_line) {
        size_t from = b->n, want = b->n < r->max_line - b->n ? b->n : r->max_line - b->n;
        ok = reserve(b, b->n + want + 1) && more(r, b, want);
        nl = ok ? last_newline(b->p, from, b->n) : NULL;
    }
    if (ok && nl != NULL) {
        size_t keep = (size_t)(nl + 1 - b->p), rest = b->n - keep;
        if (rest > r->carry_cap) {
            char *c = realloc(r->carry, rest);
            ok = c != NULL;
            if (ok) {
                r->carry = c;
                r->carry_cap = rest;
            }
        }
        if (ok) {
            if (rest > 0)
                memcpy(r->carry, nl + 1, rest);
            r->ncarry = rest;
            b->n = keep;
        }
    } else if (ok && !r->eof) {
        b->n = r->max_line; /* over-long */
        r->skipping = true;
    }
    if (!ok && !r->failed) {
        fprintf(stderr, "couponc: out of memory reading %s\n", r->src.name);
        r->failed = true;
    }
    ok = ok && b->n > 0;
    if (ok) {
        b->first = r->line + 1;
        for (const char *p = b->p, *e = b->p + b->n; (p = memchr(p, '\n', (size_t)(e - p)));
             p++)
            r->line++;
        if (b->p[b->n - 1] != '\n')
            r->line++; /* the last line without a newline, or an over-long one */
    }
    if (!ok || (r->eof && r->ncarry == 0 && !r->skipping))
        r->done = true;
    pthread_mutex_unlock(&r->mu);
    return ok;
}

/* ------------------------------------------------------------------------
 * Workers
 * ------------------------------------------------------------------------ */

typedef struct options {
    const char *orders;        /* --orders */
    unsigned flags;            /* cl_sim_new() flags */
    bool json;                 /* --json */
    bool strict;               /* --strict */
    bool stats;                /* --stats */
    long threads;              /* --threads */
    const char *currency;      /* --currency */
    long max_errors;           /* --max-errors: refused lines printed */
} options;

typedef struct shared {
    reader rd;
    const options *opt;
    pthread_mutex_t print_mu;
    unsigned long long refused;  /* lines refused */
    long printed;                /* of them printed */
    bool oom;                    /* a simulation ran out of memory */
} shared;

typedef struct worker {
    shared *sh;
    cl_sim *sim;
    batch b;
    pthread_t tid;
} worker;

static void stop_reading(shared *sh)
{
    pthread_mutex_lock(&sh->rd.mu);
    sh->rd.stop = true;
    pthread_mutex_unlock(&sh->rd.mu);
}

static bool stopped(shared *sh)
{
    pthread_mutex_lock(&sh->rd.mu);
    bool s = sh->rd.stop;
    pthread_mutex_unlock(&sh->rd.mu);
    return s;
}

/* A line the simulation refused: printed (the first --max-errors of them)
 * as ORDERS:LINE:COLUMN: error[name]: message (at path). */
static void refuse_line(shared *sh, unsigned long long line, const cl_error *err)
{
    pthread_mutex_lock(&sh->print_mu);
    sh->refused++;
    if (sh->printed < sh->opt->max_errors || sh->opt->strict) {
        sh->printed++;
        fprintf(stderr, "%s:%llu:", sh->rd.src.name, line);
        if (err->column > 0 && err->line <= 1)
            fprintf(stderr, "%u:", err->column);
        fprintf(stderr, " error[%s]: %s", cl_status_name(err->code), err->message);
        if (err->path[0])
            fprintf(stderr, " (at %s)", err->path);
        fputc('\n', stderr);
    }
    pthread_mutex_unlock(&sh->print_mu);
    if (sh->opt->strict)
        stop_reading(sh);
}

static bool blank(const char *p, const char *e)
{
    for (; p < e; p++)
        if (*p != ' ' && *p != '\t' && *p != '\r')
            return false;
    return true;
}

/* Counts the lines of b, numbering them from b->first; false when the
 * worker must stop (out of memory, or a refused line under --strict). */
static bool process(worker *w, batch *b)
{
    shared *sh = w->sh;
    char *p = b->p, *end = b->p + b->n;
    unsigned long long line = b->first;
    for (; p < end; line++) {
        char *nl = memchr(p, '\n', (size_t)(end - p));
        char *e = nl ? nl : end;
        if (!blank(p, e)) {
            cl_error err;
            cl_status rc = cl_sim_add_json(w->sim, p, (size_t)(e - p), &err);
            if (rc == CL_ENOMEM) {
                pthread_mutex_lock(&sh->print_mu);
                sh->oom = true;
                pthread_mutex_unlock(&sh->print_mu);
                stop_reading(sh);
                return false;
            }
            if (rc != CL_OK) {
                refuse_line(sh, line, &err);
                if (sh->opt->strict)
                    return false;
            }
        }
        p = e + 1;
    }
    return true;
}

static void *work(void *ud)
{
    worker *w = ud;
    shared *sh = w->sh;
    while (next_batch(&sh->rd, &w->b)) {
        if (!process(w, &w->b))
            return NULL;
        if (sh->opt->strict && stopped(sh))
            break;
    }
    return NULL;
}

/* ------------------------------------------------------------------------
 * The table
 * ------------------------------------------------------------------------ */

/* digits with thousands separators: "1234567" -> "1,234,567". */
static void group_digits(const char *in, char *out, size_t size)
{
    size_t n = 0, k = 0;
    const char *digits = in;
    if (*digits == '-') {
        out[k++] = '-';
        digits++;
    }
    while (digits[n] >= '0' && digits[n] <= '9')
        n++;
    for (size_t i = 0; i < n && k + 2 < size; i++) {
        if (i > 0 && (n - i) % 3 == 0)
            out[k++] = ',';
        out[k++] = digits[i];
    }
    snprintf(out + k, size > k ? size - k : 0, "%s", digits + n);
}

static const char *count_text(int64_t v, char *buf, size_t size)
{
    char raw[32];
    snprintf(raw, sizeof raw, "%lld", (long long)v);
    group_digits(raw, buf, size);
    return buf;
}

static const char *money_text(int64_t minor, const char *cur, char *buf, size_t size)
{
    char raw[40];
    cl_amount_format(minor, cur[0] ? cur : "USD", raw, sizeof raw);
    group_digits(raw, buf, size);
    return buf;
}

/* A figure, or 0 when it is not there; an overflowing sum is shown as such. */
static int64_t fig(const cl_sim *s, unsigned view, long c, cl_sim_stat which, bool *overflow)
{
    int64_t v = 0;
    if (cl_sim_get(s, view, c, which, &v) == CL_EOVERFLOW && overflow)
        *overflow = true;
    return v;
}

static int64_t pct(const cl_sim *s, unsigned view, long c, unsigned p)
{
    int64_t v = 0;
    cl_sim_percentile(s, view, c, p, &v);
    return v;
}

static double share(int64_t part, int64_t whole)
{
    return whole > 0 ? 100.0 * (double)part / (double)whole : 0.0;
}

/* A share as a percentage with one decimal, "<0.1%" rather than "0.0%"
 * for a few. */
static const char *percent_text(int64_t part, int64_t whole, char *buf, size_t size)
{
    double p = share(part, whole);
    if (part > 0 && p < 0.05)
        snprintf(buf, size, "<0.1%%");
    else
        snprintf(buf, size, "%.1f%%", p);
    return buf;
}

/* The three most frequent reasons of coupon c: "WEEKDAY 71.2% (40.0% alone), ...". */
static void top_reasons(const cl_sim *s, unsigned view, long c, int64_t rejected)
{
    int order[CL_R_COUNT], n = 0;
    int64_t cnt[CL_R_COUNT], only[CL_R_COUNT];
    for (int r = 0; r < CL_R_COUNT; r++) {
        cnt[r] = only[r] = 0;
        cl_sim_reason(s, view, c, r, &cnt[r], &only[r]);
        if (cnt[r] == 0)
            continue;
        int j = n++;
        while (j > 0 && cnt[order[j - 1]] < cnt[r]) {
            order[j] = order[j - 1];
            j--;
        }
        order[j] = r;
    }
    for (int i = 0; i < n && i < 3; i++) {
        int r = order[i];
        char a[16], b[16];
        printf("%s%s %s", i ? ", " : "", cl_reason_name(r),
               percent_text(cnt[r], rejected, a, sizeof a));
        if (only[r] > 0)
            printf(" (%s alone)", percent_text(only[r], rejected, b, sizeof b));
    }
    if (n > 3)
        printf(", +%d more", n - 3);
}

static void print_totals(const cl_sim *s)
{
    const char *cur = cl_sim_currency(s);
    unsigned view = cl_sim_get(s, CL_SIM_EVAL, CL_SIM_ALL, CL_SIM_ORDERS, &(int64_t){0}) == CL_OK
                        ? CL_SIM_EVAL : CL_SIM_BEST;
    char a[48], b[48], c[48], d[48];
    bool of = false;
    int64_t orders = fig(s, view, CL_SIM_ALL, CL_SIM_ORDERS, &of);
    printf("%s orders", count_text(orders, a, sizeof a));
    int64_t errors = fig(s, view, CL_SIM_ALL, CL_SIM_ERRORS, &of);
    if (errors > 0)
        printf(" (and %s refused)", count_text(errors, b, sizeof b));
    printf(" in %s: subtotal %s, shipping %s%s\n", cur[0] ? cur : "no currency",
           money_text(fig(s, view, CL_SIM_ALL, CL_SIM_SUBTOTAL, &of), cur, c, sizeof c),
           money_text(fig(s, view, CL_SIM_ALL, CL_SIM_SHIPPING, &of), cur, d, sizeof d),
           of ? " (a sum overflows: see --json)" : "");
}

static int code_width(const cl_program *p)
{
    int w = 4;
    for (size_t i = 0; i < cl_program_count(p); i++) {
        int k = (int)strlen(cl_program_code(p, i));
        w = k > w ? k : w;
    }
    return w > 24 ? 24 : w;
}

static void print_eval(const cl_sim *s, bool entered)
{
    const cl_program *p = cl_sim_program(s);
    const char *cur = cl_sim_currency(s);
    int w = code_width(p);
    printf("\nEach coupon alone (%s):\n", entered ? "codes as the customers entered them"
                                                 : "as if every code had been entered");
    printf("  %-*s %11s %7s %15s %10s %10s %10s %10s  %s\n", w, "code", "qualifying", "share",
           "cost", "average", "p50", "p90", "p99", "why the others did not qualify");
    int64_t orders = fig(s, CL_SIM_EVAL, CL_SIM_ALL, CL_SIM_ORDERS, NULL);
    for (size_t i = 0; i < cl_program_count(p); i++) {
        long c = (long)i;
        char q[32], cost[48], avg[48], p50[48], p90[48], p99[48];
        bool of = false;
        int64_t qual = fig(s, CL_SIM_EVAL, c, CL_SIM_QUALIFYING, &of);
        int64_t d = fig(s, CL_SIM_EVAL, c, CL_SIM_DISCOUNT, &of);
        int64_t sd = fig(s, CL_SIM_EVAL, c, CL_SIM_SHIPPING_DISCOUNT, &of);
        printf("  %-*s %11s %6.2f%% %15s %10s %10s %10s %10s  ", w, cl_program_code(p, i),
               count_text(qual, q, sizeof q), share(qual, orders),
               of || d > INT64_MAX - sd ? "overflow" : money_text(d + sd, cur, cost, sizeof cost),
               money_text(fig(s, CL_SIM_EVAL, c, CL_SIM_AVERAGE, NULL), cur, avg, sizeof avg),
               money_text(pct(s, CL_SIM_EVAL, c, 5000), cur, p50, sizeof p50),
               money_text(pct(s, CL_SIM_EVAL, c, 9000), cur, p90, sizeof p90),
               money_text(pct(s, CL_SIM_EVAL, c, 9900), cur, p99, sizeof p99));
        top_reasons(s, CL_SIM_EVAL, c, fig(s, CL_SIM_EVAL, c, CL_SIM_REJECTED, NULL));
        printf("\n");
    }
}

static void print_best(const cl_sim *s, bool indexed)
{
    const cl_program *p = cl_sim_program(s);
    const char *cur = cl_sim_currency(s);
    int w = code_width(p);
    char a[48], b[48], c[48], d[48], e[48];
    bool of = false;
    int64_t orders = fig(s, CL_SIM_BEST, CL_SIM_ALL, CL_SIM_ORDERS, NULL);
    int64_t disc = fig(s, CL_SIM_BEST, CL_SIM_ALL, CL_SIM_QUALIFYING, NULL);
    int64_t cost = fig(s, CL_SIM_BEST, CL_SIM_ALL, CL_SIM_DISCOUNT, &of);
    int64_t ship = fig(s, CL_SIM_BEST, CL_SIM_ALL, CL_SIM_SHIPPING_DISCOUNT, &of);
    int64_t sales = fig(s, CL_SIM_BEST, CL_SIM_ALL, CL_SIM_SUBTOTAL, &of);
    int64_t shipping = fig(s, CL_SIM_BEST, CL_SIM_ALL, CL_SIM_SHIPPING, &of);
    of = of || cost > INT64_MAX - ship || sales > INT64_MAX - shipping;
    printf("\nBest combination of each order (automatic coupons and the codes entered%s):\n",
           indexed ? "; through the catalog index" : "");
    printf("  %s of %s orders discounted (%.2f%%); cost %s", count_text(disc, a, sizeof a),
           count_text(orders, b, sizeof b), share(disc, orders),
           of ? "overflow (see --json)" : money_text(cost + ship, cur, c, sizeof c));
    if (!of)
        printf(" (%s off goods, %s off shipping), %.2f%% of sales",
               money_text(cost, cur, d, sizeof d), money_text(ship, cur, e, sizeof e),
               share(cost + ship, sales + shipping));
    printf("\n  cost per discounted order: average %s; min %s",
           money_text(fig(s, CL_SIM_BEST, CL_SIM_ALL, CL_SIM_AVERAGE, NULL), cur, a, sizeof a),
           money_text(fig(s, CL_SIM_BEST, CL_SIM_ALL, CL_SIM_MIN, NULL), cur, b, sizeof b));
    static const unsigned ps[] = {2500, 5000, 7500, 9000, 9900};
    for (size_t i = 0; i < sizeof ps / sizeof ps[0]; i++)
        printf(", p%u %s", ps[i] / 100, money_text(pct(s, CL_SIM_BEST, CL_SIM_ALL, ps[i]), cur,
                                                  a, sizeof a));
    printf(", max %s\n",
           money_text(fig(s, CL_SIM_BEST, CL_SIM_ALL, CL_SIM_MAX, NULL), cur, a, sizeof a));
    int64_t unknown = fig(s, CL_SIM_BEST, CL_SIM_ALL, CL_SIM_REJECTED, NULL);
    if (unknown > 0)
        printf("  entered codes that match no coupon: %s\n", count_text(unknown, a, sizeof a));
    printf("  %-*s %11s %7s %15s %10s %10s  %s\n", w, "code", "won", "share", "cost", "average",
           "rejected", "why rejected");
    for (size_t i = 0; i < cl_program_count(p); i++) {
        long k = (long)i;
        bool o2 = false;
        int64_t won = fig(s, CL_SIM_BEST, k, CL_SIM_QUALIFYING, NULL);
        int64_t dd = fig(s, CL_SIM_BEST, k, CL_SIM_DISCOUNT, &o2);
        int64_t sd = fig(s, CL_SIM_BEST, k, CL_SIM_SHIPPING_DISCOUNT, &o2);
        int64_t rej = fig(s, CL_SIM_BEST, k, CL_SIM_REJECTED, NULL);
        printf("  %-*s %11s %6.2f%% %15s %10s %10s  ", w, cl_program_code(p, i),
               count_text(won, a, sizeof a), share(won, orders),
               o2 || dd > INT64_MAX - sd ? "overflow" : money_text(dd + sd, cur, b, sizeof b),
               money_text(fig(s, CL_SIM_BEST, k, CL_SIM_AVERAGE, NULL), cur, c, sizeof c),
               count_text(rej, d, sizeof d));
        top_reasons(s, CL_SIM_BEST, k, rej);
        printf("\n");
    }
}

/* ------------------------------------------------------------------------
 * The command
 * ------------------------------------------------------------------------ */

static const char simulate_usage[] =
    "usage: couponc simulate --orders ORDERS.jsonl[.gz] [options] FILE...\n"
    "       couponc simulate --synthesize N [--seed S] [--year Y] [--timezone ZONE] [--out FILE]\n"
    "\n"
    "  --orders FILE    one checkout context (JSON) per line, plain or gzip; - for stdin\n"
    "  --best           the best combination of each order instead of each coupon alone\n"
    "  --both           each coupon alone and the best combination\n"
    "  --entered        each coupon alone honours the codes entered (default: every code\n"
    "                   as if entered)\n"
    "  --indexed        the best combination through the catalog index\n"
    "  --json           the report as JSON (docs/simulation.md) instead of a table\n"
    "  --threads N      N threads (0: one per core; default 1)\n"
    "  --strict         stop at the first line that is not a valid order (exit 2)\n"
    "  --currency CUR   the currency of the simulation (default: the first order's);\n"
    "                   orders in another are refused\n"
    "  --max-errors N   refused lines printed on stderr (default 10; all are counted)\n"
    "  --stats          print the time taken, orders per second and peak memory on stderr\n";

static bool number(const char *v, long lo, long hi, long *out)
{
    char *end;
    errno = 0;
    long n = v ? strtol(v, &end, 10) : 0;
    if (v == NULL || *v == '\0' || *end != '\0' || errno != 0 || n < lo || n > hi)
        return false;
    *out = n;
    return true;
}

/* Parses the options; returns the index of the first coupon file, or -1
 * after a message. */
static int parse_options(int argc, char **argv, options *o)
{
    *o = (options){NULL, CL_SIM_EVAL, false, false, false, 1, NULL, 10};
    int i = 0;
    for (; i < argc && strncmp(argv[i], "--", 2) == 0; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--orders") == 0 && v) {
            o->orders = v;
            i++;
        } else if (strcmp(a, "--best") == 0) {
            o->flags = (o->flags & ~(unsigned)CL_SIM_EVAL) | CL_SIM_BEST;
        } else if (strcmp(a, "--both") == 0) {
            o->flags |= CL_SIM_EVAL | CL_SIM_BEST;
        } else if (strcmp(a, "--entered") == 0) {
            o->flags |= CL_EVAL_ENTERED;
        } else if (strcmp(a, "--indexed") == 0) {
            o->flags |= CL_BEST_INDEXED;
        } else if (strcmp(a, "--json") == 0) {
            o->json = true;
        } else if (strcmp(a, "--strict") == 0) {
            o->strict = true;
        } else if (strcmp(a, "--stats") == 0) {
            o->stats = true;
        } else if (strcmp(a, "--currency") == 0 && v) {
            o->currency = v;
            i++;
        } else if (strcmp(a, "--threads") == 0) {
            if (!number(v, 0, MAX_THREADS, &o->threads)) {
                fprintf(stderr, "couponc: --threads needs a number from 0 to %d\n", MAX_THREADS);
                return -1;
            }
            i++;
        } else if (strcmp(a, "--max-errors") == 0) {
            if (!number(v, 0, LONG_MAX, &o->max_errors)) {
                fprintf(stderr, "couponc: --max-errors needs a number\n");
                return -1;
            }
            i++;
        } else {
            fprintf(stderr, "couponc: simulate: unknown option %s\n%s", a, simulate_usage);
            return -1;
        }
    }
    if (o->orders == NULL || i >= argc) {
        fprintf(stderr, "couponc: simulate needs --orders and at least one coupon file\n%s",
                simulate_usage);
        return -1;
    }
    if (o->threads == 0) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        o->threads = n < 1 ? 1 : n > MAX_THREADS ? MAX_THREADS : n;
    }
    return i;
}

static double seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* --stats: how long the replay took, in time and in CPU, and the peak
 * resident memory of the process. */
static void print_stats(const cl_sim *s, double wall, long threads)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    double cpu = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
                 (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
    int64_t orders = 0, errors = 0;
    unsigned view = cl_sim_get(s, CL_SIM_EVAL, CL_SIM_ALL, CL_SIM_ORDERS, &orders) == CL_OK
                        ? CL_SIM_EVAL : CL_SIM_BEST;
    cl_sim_get(s, view, CL_SIM_ALL, CL_SIM_ORDERS, &orders);
    cl_sim_get(s, view, CL_SIM_ALL, CL_SIM_ERRORS, &errors);
    double n = (double)(orders + errors);
    fprintf(stderr, "couponc: %.0f lines in %.3f s with %ld thread%s: %.0f orders/s, "
            "%.0f orders per CPU second (%.3f s CPU); peak memory %ld KiB\n", n, wall, threads,
            threads == 1 ? "" : "s", wall > 0 ? n / wall : 0.0, cpu > 0 ? n / cpu : 0.0, cpu,
            (long)ru.ru_maxrss);
}

/* Runs the workers (the calling thread is the first) and merges their
 * simulations into ws[0].sim. */
static bool run(shared *sh, worker *ws, long n)
{
    long started = 1;
    for (; started < n; started++)
        if (pthread_create(&ws[started].tid, NULL, work, &ws[started]) != 0)
            break;
    work(&ws[0]);
    for (long i = 1; i < started; i++)
        pthread_join(ws[i].tid, NULL);
    for (long i = 1; i < started; i++) {
        if (cl_sim_merge(ws[0].sim, ws[i].sim) != CL_OK) {
            sh->oom = true;
            break;
        }
    }
    return !sh->oom && !sh->rd.failed;
}

int cc_cmd_simulate(const cl_env *env, int argc, char **argv)
{
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            fputs(simulate_usage, stdout);
            return EXIT_OK;
        }
    }
    for (int i = 0; i < argc; i++)
        if (strcmp(argv[i], "--synthesize") == 0)
            return cc_cmd_synthesize(env, argc, argv);
    options o;
    int first = parse_options(argc, argv, &o);
    if (first < 0)
        return EXIT_USAGE;
    cl_program *prog = cc_load_programs(env, argv + first, argc - first);
    if (prog == NULL)
        return EXIT_USAGE;
    int status = EXIT_USAGE;
    shared sh;
    memset(&sh, 0, sizeof sh);
    sh.opt = &o;
    sh.rd.max_line = (size_t)cl_env_limit(env, CL_LIMIT_INPUT_BYTES) + 1;
    pthread_mutex_init(&sh.rd.mu, NULL);
    pthread_mutex_init(&sh.print_mu, NULL);
    worker *ws = calloc((size_t)o.threads, sizeof *ws);
    bool opened = false;
    if (ws == NULL) {
        fprintf(stderr, "couponc: out of memory\n");
        goto done;
    }
    for (long i = 0; i < o.threads; i++) {
        cl_error err;
        ws[i].sh = &sh;
        if ((ws[i].sim = cl_sim_new(env, prog, o.flags, &err)) == NULL) {
            fprintf(stderr, "couponc: %s\n", err.message);
            goto done;
        }
        if (o.currency && cl_sim_set_currency(ws[i].sim, o.currency) != CL_OK) {
            fprintf(stderr, "couponc: unknown currency %s\n", o.currency);
            goto done;
        }
    }
    opened = true;
    if (source_open(&sh.rd.src, o.orders) != 0)
        goto done;
    double t0 = seconds();
    if (!run(&sh, ws, o.threads)) {
        if (sh.oom)
            fprintf(stderr, "couponc: out of memory\n");
        goto done;
    }
    if (o.strict && sh.refused > 0) {
        fprintf(stderr, "couponc: --strict: stopped at the first refused line\n");
        goto done;
    }
    if (o.stats)
        print_stats(ws[0].sim, seconds() - t0, o.threads);
    if (sh.refused > (unsigned long long)sh.printed)
        fprintf(stderr, "couponc: %llu lines refused (%ld shown)\n", sh.refused, sh.printed);
    if (o.json) {
        if (cl_sim_write_json(ws[0].sim, cc_write_file, stdout) != CL_OK) {
            fprintf(stderr, "couponc: cannot write the report\n");
            goto done;
        }
    } else {
        print_totals(ws[0].sim);
        if (o.flags & CL_SIM_EVAL)
            print_eval(ws[0].sim, o.flags & CL_EVAL_ENTERED);
        if (o.flags & CL_SIM_BEST)
            print_best(ws[0].sim, o.flags & CL_BEST_INDEXED);
    }
    status = fflush(stdout) == 0 ? EXIT_OK : EXIT_USAGE;
done:
    if (opened)
        source_close(&sh.rd.src);
    for (long i = 0; ws != NULL && i < o.threads; i++) {
        cl_sim_free(ws[i].sim);
        free(ws[i].b.p);
    }
    free(ws);
    free(sh.rd.carry);
    pthread_mutex_destroy(&sh.rd.mu);
    pthread_mutex_destroy(&sh.print_mu);
    cl_program_free(prog);
    return status;
}
