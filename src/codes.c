/*
 * codes.c - unique random coupon codes for campaigns.
 *
 * Randomness comes from libbsd's arc4random (ChaCha20, seeded by the
 * kernel). Each code's random part is one uniform draw from [0, A^L)
 * (A symbols, L characters), taken by rejection from 64 random bits so that
 * every code is equally likely; the draws are kept in a hash set, and a
 * repeat is drawn again, so the codes of one call are unique. For random
 * parts longer than fit in 64 bits, the first ones that fit are drawn that
 * way (and keep the codes unique) and the rest uniformly one by one. The
 * random bits are fetched 512 bytes at a time and used once each; the
 * pool is on the stack and wiped when the call returns.
 *
 * The optional check character covers the random part, so that a typo is
 * caught before any lookup. For an odd number N of symbols (the default
 * alphabet has 31) it is a Damm-style check over the quasigroup
 * x * y = (2x + y) mod N: each step is a bijection of both the running value
 * and the symbol, which catches every single mistyped character, and
 * (c * x) * y = (c * y) * x only when x = y, which catches every swap of two
 * neighbours (the check character's included). No such check exists over
 * an even N, where Luhn's mod N algorithm is used: it catches every single
 * mistyped character and every swap of two neighbours but one pair (the
 * first and last symbols).
 */
#include "core.h"

#include <bsd/stdlib.h>
#include <stdio.h>

static const char default_alphabet[] = "23456789ABCDEFGHJKMNPQRSTUVWXYZ";

#define MAX_LENGTH 64
#define MAX_PREFIX 64

typedef struct spec {
    const char *alphabet;
    size_t nsym;
    size_t length;
    const char *prefix;
    size_t nprefix;
    bool check;
    size_t head;          /* characters drawn as one integer */
    uint64_t space;       /* nsym^head */
} spec;

/* ------------------------------------------------------------------------
 * Options
 * ------------------------------------------------------------------------ */

static int read_spec(const cl_code_spec *in, spec *s, cl_error *err)
{
    s->alphabet = in && in->alphabet ? in->alphabet : default_alphabet;
    s->nsym = strlen(s->alphabet);
    s->length = in && in->length ? in->length : 10;
    s->prefix = in && in->prefix ? in->prefix : "";
    s->nprefix = strlen(s->prefix);
    s->check = in && in->check;
    if (s->nsym < 2 || s->nsym > 64)
        return clE_set(err, CL_EINVAL, (cl_pos){0, 0, 0}, "an alphabet has 2 to 64 characters");
    for (size_t i = 0; i < s->nsym; i++) {
        unsigned char c = (unsigned char)s->alphabet[i];
        if (c <= ' ' || c >= 0x7f || memchr(s->alphabet, c, i) != NULL)
            return clE_set(err, CL_EINVAL, (cl_pos){0, 0, 0}, "the alphabet must be distinct "
                           "printable ASCII characters");
    }
    if (s->length > MAX_LENGTH)
        return clE_set(err, CL_EINVAL, (cl_pos){0, 0, 0}, "a code has at most %d random "
                       "characters", MAX_LENGTH);
    if (s->nprefix > MAX_PREFIX)
        return clE_set(err, CL_EINVAL, (cl_pos){0, 0, 0}, "a prefix has at most %d characters",
                       MAX_PREFIX);
    s->head = 0;
    s->space = 1;
    while (s->head < s->length && s->space <= UINT64_MAX / s->nsym) {
        s->space *= s->nsym;
        s->head++;
    }
    return CL_OK;
}

/* The index of c in the alphabet, or -1. */
static int symbol(const spec *s, char c)
{
    const char *p = memchr(s->alphabet, c, s->nsym);
    return p ? (int)(p - s->alphabet) : -1;
}

/* The check symbol of the symbol values v[0..n) (see the top of this
 * file). */
static unsigned check_of(size_t nsym, const uint8_t *v, size_t n)
{
    uint64_t N = nsym;
    if (N % 2 == 1) {
        uint64_t x = 0;
        for (size_t i = 0; i < n; i++)
            x = (2 * x + v[i]) % N;
        return (unsigned)((N - 2 * x % N) % N);
    }
    /* Luhn mod N: the sum of the doubled and plain digits, from the right
     * (the rightmost is doubled, as the check comes after it), made a
     * multiple of N. */
    uint64_t sum = 0;
    bool twice = true;
    for (size_t i = n; i-- > 0;) {
        uint64_t d = v[i];
        if (twice) {
            d *= 2;
            d = d / N + d % N;
        }
        sum += d;
        twice = !twice;
    }
    return (unsigned)((N - sum % N) % N);
}

/* The check character of code[0..n), whose characters are all symbols. */
static char check_char(const spec *s, const char *code, size_t n)
{
    uint8_t v[MAX_LENGTH];
    for (size_t i = 0; i < n; i++)
        v[i] = (uint8_t)symbol(s, code[i]);
    return s->alphabet[check_of(s->nsym, v, n)];
}

CL_API bool cl_code_valid(const cl_code_spec *in, const char *code)
{
    spec s;
    if (code == NULL || read_spec(in, &s, NULL) != CL_OK)
        return false;
    size_t n = strlen(code), want = s.nprefix + s.length + (s.check ? 1 : 0);
    if (n != want || strncmp(code, s.prefix, s.nprefix) != 0)
        return false;
    const char *body = code + s.nprefix;
    for (size_t i = 0; i < s.length + (s.check ? 1 : 0); i++)
        if (symbol(&s, body[i]) < 0)
            return false;
    return !s.check || check_char(&s, body, s.length) == body[s.length];
}

/* ------------------------------------------------------------------------
 * Drawing
 * ------------------------------------------------------------------------ */

/* Random bits, drawn from arc4random in blocks (each call takes a lock). */
typedef struct pool {
    uint64_t v[64];
    size_t left;
} pool;

static uint64_t bits(pool *p)
{
    if (p->left == 0) {
        arc4random_buf(p->v, sizeof p->v);
        p->left = CL_COUNTOF(p->v);
    }
    return p->v[--p->left];
}

/* A uniform integer in [0, space): 64 random bits, rejected above the
 * largest multiple of space. */
static uint64_t draw(pool *p, uint64_t space)
{
    uint64_t limit = UINT64_MAX - (UINT64_MAX % space + 1) % space, r;
    do
        r = bits(p);
    while (r > limit);
    return r % space;
}

/* A set of 64-bit draws (open addressing; 0 is stored as a flag). */
typedef struct drawn {
    uint64_t *slots;
    size_t cap;           /* power of two */
    bool has_zero;
} drawn;

static uint64_t mix(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdull;
    x ^= x >> 33;
    return x;
}

/* Adds v; false when it was there already. */
static bool drawn_add(drawn *d, uint64_t v)
{
    if (v == 0) {
        bool fresh = !d->has_zero;
        d->has_zero = true;
        return fresh;
    }
    size_t mask = d->cap - 1;
    for (size_t i = mix(v) & mask;; i = (i + 1) & mask) {
        if (d->slots[i] == v)
            return false;
        if (d->slots[i] == 0) {
            d->slots[i] = v;
            return true;
        }
    }
}

/* Writes the text of one code, whose first s->head symbols are the digits
 * of head, into out (no NUL); returns its length. */
static size_t render(const spec *s, pool *p, uint64_t head, char *out)
{
    uint8_t v[MAX_LENGTH];
    for (size_t i = s->head; i-- > 0;) {
        v[i] = (uint8_t)(head % s->nsym);
        head /= s->nsym;
    }
    for (size_t i = s->head; i < s->length; i++)
        v[i] = (uint8_t)draw(p, s->nsym);
    memcpy(out, s->prefix, s->nprefix);
    size_t k = s->nprefix;
    for (size_t i = 0; i < s->length; i++)
        out[k++] = s->alphabet[v[i]];
    if (s->check)
        out[k++] = s->alphabet[check_of(s->nsym, v, s->length)];
    out[k++] = '\n';
    return k;
}

CL_API cl_status cl_codes_generate(const cl_env *env, const cl_code_spec *in, size_t count,
                                   cl_write_fn write, void *ud, cl_error *err)
{
    clE_clear(err);
    spec s;
    if (env == NULL || write == NULL)
        return (cl_status)clE_set(err, CL_EINVAL, (cl_pos){0, 0, 0}, "no env or writer");
    int rc = read_spec(in, &s, err);
    if (rc != CL_OK)
        return (cl_status)rc;
    if (count > env->limits[CL_LIMIT_LIST])
        return (cl_status)clE_set(err, CL_ELIMIT, (cl_pos){0, 0, 0}, "%zu codes exceed the "
                                  "list limit of %llu", count,
                                  (unsigned long long)env->limits[CL_LIMIT_LIST]);
    /* Ask for at most half the codes there are, so that repeats stay rare. */
    if (s.head == s.length && count > s.space / 2)
        return (cl_status)clE_set(err, CL_EINVAL, (cl_pos){0, 0, 0}, "%zu codes of %zu "
                                  "characters from %zu symbols are too many to be unique and "
                                  "hard to guess; use longer codes", count, s.length, s.nsym);
    drawn d = {NULL, 16, false};
    while (d.cap < 2 * count)
        d.cap *= 2;
    d.slots = clB_calloc(env, d.cap, sizeof *d.slots);
    char *buf = clB_alloc(env, 65536);
    if (d.slots == NULL || buf == NULL) {
        clB_free(env, d.slots, d.cap * sizeof *d.slots);
        clB_free(env, buf, 65536);
        return (cl_status)clE_set(err, CL_ENOMEM, (cl_pos){0, 0, 0}, "out of memory");
    }
    size_t used = 0, line = s.nprefix + s.length + 2;
    rc = CL_OK;
    pool bitpool = {{0}, 0};
    for (size_t i = 0; i < count && rc == CL_OK; i++) {
        uint64_t v;
        do
            v = draw(&bitpool, s.space);
        while (!drawn_add(&d, v));
        if (used + line > 65536) {
            if (write(ud, buf, used) != 0)
                rc = clE_set(err, CL_EIO, (cl_pos){0, 0, 0}, "cannot write the codes");
            used = 0;
        }
        used += render(&s, &bitpool, v, buf + used);
    }
    if (rc == CL_OK && used > 0 && write(ud, buf, used) != 0)
        rc = clE_set(err, CL_EIO, (cl_pos){0, 0, 0}, "cannot write the codes");
    explicit_bzero(&bitpool, sizeof bitpool);
    clB_free(env, d.slots, d.cap * sizeof *d.slots);
    clB_free(env, buf, 65536);
    return (cl_status)rc;
}
