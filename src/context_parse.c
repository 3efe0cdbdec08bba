/*
 * context_parse.c - the context's JSON (or YAML) shape, SPEC section 3, read
 * from a clY_node tree with the position and path of every mistake. A JSON
 * `null` (plain) means the field is absent.
 */
#include "context.h"

#include "money.h"

#include <stdio.h>

/* A step of the path to the value being read: built only when an error
 * needs it (most contexts have none, and formatting every step cost more
 * than the rest of the reading). */
typedef struct step {
    const char *text;     /* ".sku", "now", or a key to put after a '.'; NULL: an index */
    uint8_t dot;          /* put a '.' before text */
    size_t index;
} step;

typedef struct reader {
    cl_context *ctx;
    const clY_doc *doc;
    cl_error *err;
    step steps[16];
    size_t nsteps;        /* may exceed 16: the deeper steps are not kept */
    char path[256];
} reader;

static size_t push_step(reader *r, const char *text, bool dot, size_t index)
{
    size_t mark = r->nsteps;
    if (r->nsteps < CL_COUNTOF(r->steps))
        r->steps[r->nsteps] = (step){text, dot, index};
    r->nsteps++;
    return mark;
}

/* A literal step (".sku", "now"). */
static size_t push(reader *r, const char *text)
{
    return push_step(r, text, false, 0);
}

/* ".key" */
static size_t push_key(reader *r, const char *key)
{
    return push_step(r, key, true, 0);
}

/* "[i]" */
static size_t push_index(reader *r, size_t i)
{
    return push_step(r, NULL, false, i);
}

static void pop(reader *r, size_t mark)
{
    r->nsteps = mark;
}

/* The path of the steps, into r->path. */
static const char *path_of(reader *r)
{
    size_t k = 0, n = r->nsteps < CL_COUNTOF(r->steps) ? r->nsteps : CL_COUNTOF(r->steps);
    r->path[0] = '\0';
    for (size_t i = 0; i < n && k + 1 < sizeof r->path; i++) {
        const step *s = &r->steps[i];
        int w = s->text == NULL ? snprintf(r->path + k, sizeof r->path - k, "[%zu]", s->index)
                                : snprintf(r->path + k, sizeof r->path - k, "%s%s",
                                           s->dot ? "." : "", s->text);
        if (w < 0)
            break;
        k += (size_t)w < sizeof r->path - k ? (size_t)w : sizeof r->path - k - 1;
    }
    return r->path;
}

static int fail(reader *r, const clY_node *node, int code, const char *fmt, ...) CL_PRINTF(4, 5);
static int fail(reader *r, const clY_node *node, int code, const char *fmt, ...)
{
    cl_pos pos = node ? clY_pos(r->doc, node) : (cl_pos){0, 0, 0};
    va_list ap;
    va_start(ap, fmt);
    clE_vset(r->err, code, pos, fmt, ap);
    va_end(ap);
    clE_path(r->err, path_of(r));
    return code;
}

/* A setter's status as an error at node. */
static int status(reader *r, const clY_node *node, int rc)
{
    switch (rc) {
    case CL_OK:
        return CL_OK;
    case CL_ENOMEM:
        return fail(r, node, rc, "out of memory");
    case CL_ELIMIT:
        return fail(r, node, rc, "exceeds a limit (list or text too long, or too many lines)");
    case CL_EOVERFLOW:
        return fail(r, node, rc, "quantity x unit_price overflows");
    default:
        return fail(r, node, rc, "invalid value");
    }
}

static bool is_null(const clY_node *n)
{
    return n == NULL || clY_plain_is(n, "null") || clY_plain_is(n, "~");
}

static int check_keys(reader *r, const clY_node *map, const char *const *keys, size_t n)
{
    if (map->kind != CLY_MAP)
        return fail(r, map, CL_ETYPE, "expected an object, found %s", clY_kind_name(map));
    for (uint32_t i = 0; i < map->n; i++) {
        const clY_node *k = map->items[2 * i];
        bool ok = false;
        for (size_t j = 0; j < n && !ok; j++)
            ok = strcmp(k->str, keys[j]) == 0;
        if (ok)
            continue;
        const char *near = clE_suggest(k->str, keys, n);
        return near ? fail(r, k, CL_EKEY, "unknown key \"%s\"; did you mean \"%s\"?", k->str, near)
                    : fail(r, k, CL_EKEY, "unknown key \"%s\"", k->str);
    }
    return CL_OK;
}

static int text(reader *r, const clY_node *n, const char **s)
{
    if (n->kind != CLY_SCALAR || clY_plain_is(n, "true") || clY_plain_is(n, "false"))
        return fail(r, n, CL_ETYPE, "expected a string, found %s",
                    n->kind == CLY_SCALAR ? "a boolean" : clY_kind_name(n));
    *s = n->str;
    return CL_OK;
}

static int integer(reader *r, const clY_node *n, int64_t lo, int64_t *out)
{
    if (n->kind != CLY_SCALAR)
        return fail(r, n, CL_ETYPE, "expected a whole number, found %s", clY_kind_name(n));
    int decimals;
    if (clM_parse(n->str, n->n, 0, true, out, &decimals) != CL_OK)
        return fail(r, n, CL_EVALUE, "expected a whole number, found \"%s\"", n->str);
    if (*out < lo)
        return fail(r, n, CL_EVALUE, "expected a number of at least %lld, found %s",
                    (long long)lo, n->str);
    return CL_OK;
}

static int amount(reader *r, const clY_node *n, int64_t *out)
{
    if (n->kind != CLY_SCALAR)
        return fail(r, n, CL_ETYPE, "expected an amount such as \"12.50\", found %s",
                    clY_kind_name(n));
    int decimals = 0;
    int rc = clM_parse(n->str, n->n, r->ctx->exponent, false, out, &decimals);
    if (rc == CL_EOVERFLOW)
        return fail(r, n, rc, "amount %s is too large", n->str);
    if (rc != CL_OK && decimals > r->ctx->exponent)
        return fail(r, n, CL_EAMOUNT, "amount %s has %d decimals but %s has %d", n->str, decimals,
                    r->ctx->currency, r->ctx->exponent);
    if (rc != CL_OK)
        return fail(r, n, CL_EAMOUNT, "expected an amount such as \"12.50\" (not negative), "
                    "found \"%s\"", n->str);
    return CL_OK;
}

static int date(reader *r, const clY_node *n, cl_field f)
{
    const char *s;
    clT_date d;
    int rc = text(r, n, &s);
    if (rc == CL_OK && !clT_parse_date(s, n->n, &d))
        return fail(r, n, CL_EDATE, "expected a date such as 1990-11-28, found \"%s\"", s);
    return rc == CL_OK ? status(r, n, cl_context_set_date(r->ctx, f, d.year, d.month, d.day)) : rc;
}

/* A list of strings (a single string is a one-element list). */
static int strings(reader *r, const clY_node *n, int (*add)(reader *, size_t, const char *),
                   size_t index)
{
    const clY_node *one = n;
    const clY_node *const *v = &one;
    size_t count = 1;
    if (n->kind == CLY_SEQ) {
        v = (const clY_node *const *)n->items;
        count = n->n;
    }
    for (size_t i = 0; i < count; i++) {
        const char *s;
        size_t mark = n->kind == CLY_SEQ ? push_index(r, i) : r->nsteps;
        int rc = text(r, v[i], &s);
        if (rc == CL_OK)
            rc = status(r, v[i], add(r, index, s));
        pop(r, mark);
        if (rc != CL_OK)
            return rc;
    }
    return CL_OK;
}

static int add_code(reader *r, size_t i, const char *s)
{
    CL_UNUSED(i);
    return cl_context_add_code(r->ctx, s);
}
static int add_user_tag(reader *r, size_t i, const char *s)
{
    CL_UNUSED(i);
    return cl_context_add_user_tag(r->ctx, s);
}
static int add_category(reader *r, size_t i, const char *s)
{
    return cl_context_item_add_category(r->ctx, i, s);
}
static int add_tag(reader *r, size_t i, const char *s)
{
    return cl_context_item_add_tag(r->ctx, i, s);
}

/* ------------------------------------------------------------------------
 * Sections
 * ------------------------------------------------------------------------ */

typedef struct section_field {
    const char *key;
    cl_field field;
    char type;       /* 's' string, 'i' integer >= 0, 'q' integer >= 1, 'd' date, 'a' amount */
} section_field;

/* An object of scalar fields (user, order, payment, shipping). */
static int section(reader *r, const clY_node *n, const section_field *f, size_t nf,
                   const char *const *extra, size_t nextra)
{
    const char *keys[16];
    size_t nk = 0;
    for (size_t i = 0; i < nf; i++)
        keys[nk++] = f[i].key;
    for (size_t i = 0; i < nextra; i++)
        keys[nk++] = extra[i];
    int rc = check_keys(r, n, keys, nk);
    for (size_t i = 0; i < nf && rc == CL_OK; i++) {
        const clY_node *v = clY_get(n, f[i].key);
        if (is_null(v))
            continue;
        size_t mark = push_key(r, f[i].key);
        const char *s;
        int64_t x;
        switch (f[i].type) {
        case 's':
            if ((rc = text(r, v, &s)) == CL_OK)
                rc = status(r, v, cl_context_set_string(r->ctx, f[i].field, s));
            break;
        case 'i':
        case 'q':
            if ((rc = integer(r, v, f[i].type == 'q' ? 1 : 0, &x)) == CL_OK)
                rc = status(r, v, cl_context_set_int(r->ctx, f[i].field, x));
            break;
        case 'd':
            rc = date(r, v, f[i].field);
            break;
        default:
            if ((rc = amount(r, v, &x)) == CL_OK)
                rc = status(r, v, cl_context_set_amount(r->ctx, f[i].field, x));
            break;
        }
        pop(r, mark);
    }
    return rc;
}

static int user(reader *r, const clY_node *n)
{
    static const section_field f[] = {
        {"id", CL_FIELD_USER_ID, 's'}, {"email", CL_FIELD_USER_EMAIL, 's'},
        {"birthday", CL_FIELD_USER_BIRTHDAY, 'd'}, {"signup_date", CL_FIELD_USER_SIGNUP_DATE, 'd'},
        {"orders_completed", CL_FIELD_USER_ORDERS_COMPLETED, 'i'},
    };
    static const char *const extra[] = {"tags"};
    int rc = section(r, n, f, CL_COUNTOF(f), extra, 1);
    const clY_node *tags = clY_get(n, "tags");
    if (rc == CL_OK && !is_null(tags)) {
        size_t mark = push(r, ".tags");
        rc = strings(r, tags, add_user_tag, 0);
        pop(r, mark);
    }
    return rc;
}

static int order(reader *r, const clY_node *n)
{
    static const section_field f[] = {
        {"number", CL_FIELD_ORDER_NUMBER, 's'}, {"serial", CL_FIELD_ORDER_SERIAL, 'i'},
        {"sequence", CL_FIELD_ORDER_SEQUENCE, 'q'},
    };
    return section(r, n, f, CL_COUNTOF(f), NULL, 0);
}

static int payment(reader *r, const clY_node *n)
{
    static const section_field f[] = {
        {"method", CL_FIELD_PAYMENT_METHOD, 's'}, {"network", CL_FIELD_PAYMENT_NETWORK, 's'},
        {"bin", CL_FIELD_PAYMENT_BIN, 's'}, {"wallet", CL_FIELD_PAYMENT_WALLET, 's'},
    };
    return section(r, n, f, CL_COUNTOF(f), NULL, 0);
}

static int shipping(reader *r, const clY_node *n)
{
    static const section_field f[] = {
        {"method", CL_FIELD_SHIPPING_METHOD, 's'}, {"country", CL_FIELD_SHIPPING_COUNTRY, 's'},
        {"amount", CL_FIELD_SHIPPING_AMOUNT, 'a'},
    };
    return section(r, n, f, CL_COUNTOF(f), NULL, 0);
}

/*
 * { "sku": "TV-55", "quantity": 1, "unit_price": "499.99",
 *   "categories": [...], "tags": [...], "on_sale": false, "name": "..." }
 */
static int item(reader *r, const clY_node *n)
{
    static const char *const keys[] = {"sku", "quantity", "unit_price", "categories", "tags",
                                       "on_sale", "name"};
    int rc = check_keys(r, n, keys, CL_COUNTOF(keys));
    if (rc != CL_OK)
        return rc;
    const clY_node *sku = clY_get(n, "sku"), *q = clY_get(n, "quantity");
    const clY_node *price = clY_get(n, "unit_price");
    if (is_null(sku) || is_null(q) || is_null(price))
        return fail(r, n, CL_EMISSING, "a line needs sku, quantity and unit_price");
    const char *s;
    int64_t qty, unit;
    size_t mark = push(r, ".sku");
    rc = text(r, sku, &s);
    pop(r, mark);
    if (rc == CL_OK) {
        mark = push(r, ".quantity");
        rc = integer(r, q, 1, &qty);
        pop(r, mark);
    }
    if (rc == CL_OK) {
        mark = push(r, ".unit_price");
        rc = amount(r, price, &unit);
        pop(r, mark);
    }
    size_t index = 0;
    uint64_t most = r->ctx->env->limits[CL_LIMIT_ITEMS];
    if (rc == CL_OK && r->ctx->items.n >= most)
        rc = fail(r, n, CL_ELIMIT, "more than %llu lines in one context", (unsigned long long)most);
    if (rc == CL_OK)
        rc = status(r, n, cl_context_add_item(r->ctx, s, qty, unit, &index));
    const clY_node *v;
    if (rc == CL_OK && !is_null(v = clY_get(n, "categories"))) {
        mark = push(r, ".categories");
        rc = strings(r, v, add_category, index);
        pop(r, mark);
    }
    if (rc == CL_OK && !is_null(v = clY_get(n, "tags"))) {
        mark = push(r, ".tags");
        rc = strings(r, v, add_tag, index);
        pop(r, mark);
    }
    if (rc == CL_OK && !is_null(v = clY_get(n, "on_sale"))) {
        mark = push(r, ".on_sale");
        if (!clY_plain_is(v, "true") && !clY_plain_is(v, "false"))
            rc = fail(r, v, CL_ETYPE, "expected true or false");
        else
            cl_context_item_set_on_sale(r->ctx, index, v->str[0] == 't');
        pop(r, mark);
    }
    if (rc == CL_OK && !is_null(v = clY_get(n, "name"))) {
        mark = push(r, ".name");
        rc = text(r, v, &s);
        pop(r, mark);
    }
    return rc;
}

static int items(reader *r, const clY_node *n)
{
    if (n->kind != CLY_SEQ)
        return fail(r, n, CL_ETYPE, "expected a list of lines, found %s", clY_kind_name(n));
    for (uint32_t i = 0; i < n->n; i++) {
        size_t mark = push_index(r, i);
        int rc = item(r, n->items[i]);
        pop(r, mark);
        if (rc != CL_OK)
            return rc;
    }
    return CL_OK;
}

/* "usage": { "WELCOME10": { "total": 152, "user": 0, "spent": "1520.00" } } */
static int usage(reader *r, const clY_node *n)
{
    static const char *const keys[] = {"total", "user", "spent"};
    if (n->kind != CLY_MAP)
        return fail(r, n, CL_ETYPE, "expected an object of codes, found %s", clY_kind_name(n));
    for (uint32_t i = 0; i < n->n; i++) {
        const clY_node *code = n->items[2 * i], *v = n->items[2 * i + 1];
        size_t mark = push_key(r, code->str);
        int64_t x[3] = {0, 0, 0};
        int rc = check_keys(r, v, keys, CL_COUNTOF(keys));
        for (int k = 0; k < 3 && rc == CL_OK; k++) {
            const clY_node *f = clY_get(v, keys[k]);
            if (is_null(f))
                continue;
            size_t m2 = push_key(r, keys[k]);
            rc = k < 2 ? integer(r, f, 0, &x[k]) : amount(r, f, &x[k]);
            pop(r, m2);
        }
        if (rc == CL_OK && clX_usage_of(r->ctx, code->str, code->n) != NULL)
            rc = fail(r, code, CL_EDUPLICATE, "usage of %s is given twice", code->str);
        if (rc == CL_OK)
            rc = status(r, v, cl_context_set_usage(r->ctx, code->str, x[0], x[1], x[2]));
        pop(r, mark);
        if (rc != CL_OK)
            return rc;
    }
    return CL_OK;
}

/* ------------------------------------------------------------------------
 * The whole context
 * ------------------------------------------------------------------------ */

static int head(reader *r, const clY_node *n)
{
    static const char *const keys[] = {"now", "timezone", "currency", "codes", "user", "order",
                                       "payment", "shipping", "items", "usage"};
    int rc = check_keys(r, n, keys, CL_COUNTOF(keys));
    if (rc != CL_OK)
        return rc;
    const clY_node *now = clY_get(n, "now"), *cur = clY_get(n, "currency");
    const clY_node *tz = clY_get(n, "timezone");
    if (is_null(now) || is_null(cur) || is_null(clY_get(n, "items")))
        return fail(r, n, CL_EMISSING, "a context needs now, currency and items");
    const char *s;
    int64_t t;
    size_t mark = push(r, "now");
    if ((rc = text(r, now, &s)) == CL_OK && !clT_parse_instant(s, now->n, &t))
        rc = fail(r, now, CL_EDATE, "expected an RFC 3339 instant such as "
                  "\"2026-11-28T15:30:00Z\", found \"%s\"", s);
    pop(r, mark);
    if (rc == CL_OK)
        cl_context_set_now(r->ctx, t);
    if (rc == CL_OK) {
        mark = push(r, "currency");
        if ((rc = text(r, cur, &s)) == CL_OK && cl_context_set_currency(r->ctx, s) != CL_OK)
            rc = fail(r, cur, CL_ECURRENCY, "unknown currency \"%s\"", s);
        pop(r, mark);
    }
    if (rc == CL_OK && !is_null(tz)) {
        mark = push(r, "timezone");
        if ((rc = text(r, tz, &s)) == CL_OK) {
            rc = clX_set_zone(r->ctx, s, tz->n, r->err);
            if (rc != CL_OK)
                rc = fail(r, tz, rc, "unknown time zone \"%s\"", s);
        }
        pop(r, mark);
    }
    return rc;
}

int clX_from_node(cl_context *ctx, const clY_doc *doc, const clY_node *node, cl_error *err)
{
    cl_context_clear(ctx);
    reader r = {.ctx = ctx, .doc = doc, .err = err};
    int rc = head(&r, node);
    static const struct {
        const char *key;
        int (*read)(reader *, const clY_node *);
    } parts[] = {
        {"user", user}, {"order", order}, {"payment", payment}, {"shipping", shipping},
        {"items", items}, {"usage", usage},
    };
    for (size_t i = 0; i < CL_COUNTOF(parts) && rc == CL_OK; i++) {
        const clY_node *v = clY_get(node, parts[i].key);
        if (is_null(v))
            continue;
        size_t mark = push(&r, parts[i].key);
        rc = parts[i].read(&r, v);
        pop(&r, mark);
    }
    const clY_node *codes = clY_get(node, "codes");
    if (rc == CL_OK && !is_null(codes)) {
        size_t mark = push(&r, "codes");
        rc = strings(&r, codes, add_code, 0);
        pop(&r, mark);
    }
    if (rc != CL_OK)
        cl_context_clear(ctx);
    return rc;
}

/* ------------------------------------------------------------------------
 * The fast way: plain JSON read straight into the context
 * ------------------------------------------------------------------------ */

/*
 * Most contexts are plain JSON: known keys, no escapes, ASCII text, numbers
 * without exponents, the currency before the amounts. Those are read here
 * in one pass over the text, without a tree, by the same setters and the
 * same conversions (clM_parse, clT_parse_instant, clT_parse_date) as the
 * reader above, so the context comes out the same. Anything else (a syntax
 * error, an unknown key, a wrong type, an escape, a limit that could bite,
 * a setter's refusal...) makes it give up, and cl_context_parse() reads
 * the text again the general way, which also gives the error and its
 * position. The fast way reports no error of its own.
 */

typedef struct fast {
    const char *s, *end;
    cl_context *ctx;
    bool oom;             /* a setter ran out of memory: that is the answer */
} fast;

/* Whether a setter's status is CL_OK; out of memory is remembered. */
static bool fast_ok(fast *f, int rc)
{
    if (rc == CL_ENOMEM)
        f->oom = true;
    return rc == CL_OK;
}

#define FAST_GIVE_UP (-1)

/* Lists a line may carry, read ahead of its add_item. */
#define FAST_LIST 16

typedef struct span {
    const char *p;
    size_t n;
} span;

/* Bytes the fast way stops at inside a string: the closing quote and
 * whatever it leaves to the general way (escapes, control characters,
 * anything outside printable ASCII). */
static bool stops_string(unsigned char c)
{
    return c == '"' || c == '\\' || c < 0x20 || c >= 0x7f;
}

static void fast_ws(fast *f)
{
    const char *s = f->s, *end = f->end;
    while (s < end && (unsigned char)*s <= ' ' &&
           (*s == ' ' || *s == '\n' || *s == '\r' || *s == '\t'))
        s++;
    f->s = s;
}

/* The next character c, after white space. */
static bool fast_is(fast *f, char c)
{
    fast_ws(f);
    if (f->s < f->end && *f->s == c) {
        f->s++;
        return true;
    }
    return false;
}

/* Whether the next value is the literal lit ("null", "true", "false"). */
static bool fast_lit(fast *f, const char *lit, size_t n)
{
    fast_ws(f);
    if ((size_t)(f->end - f->s) < n || f->s[0] != lit[0] || memcmp(f->s, lit, n) != 0)
        return false;
    const char *after = f->s + n;
    if (after < f->end && ((*after >= 'a' && *after <= 'z') || (*after >= '0' && *after <= '9')))
        return false;
    f->s = after;
    return true;
}

/* A string without escapes, of printable ASCII. */
static bool fast_str(fast *f, span *out)
{
    fast_ws(f);
    if (f->s >= f->end || *f->s != '"')
        return false;
    const char *p = f->s + 1, *q = p, *end = f->end;
    while (q < end && !stops_string((unsigned char)*q))
        q++;
    if (q >= end || *q != '"')
        return false;
    out->p = p;
    out->n = (size_t)(q - p);
    f->s = q + 1;
    return true;
}

/* A number of the form -?(0|[1-9][0-9]*)(.[0-9]+)?, as its text. */
static bool fast_num(fast *f, span *out)
{
    fast_ws(f);
    const char *p = f->s, *q = p;
    if (q < f->end && *q == '-')
        q++;
    if (q >= f->end || *q < '0' || *q > '9')
        return false;
    if (*q == '0')
        q++;
    else
        while (q < f->end && *q >= '0' && *q <= '9')
            q++;
    if (q < f->end && *q == '.') {
        const char *d = ++q;
        while (q < f->end && *q >= '0' && *q <= '9')
            q++;
        if (q == d)
            return false;
    }
    if (q < f->end && (*q == 'e' || *q == 'E' || *q == '.' || (*q >= '0' && *q <= '9')))
        return false;
    out->p = p;
    out->n = (size_t)(q - p);
    f->s = q;
    return true;
}

/* Which of keys[0..n) s is, or -1. */
static int fast_key(const span *s, const char *const *keys, int n)
{
    for (int i = 0; i < n; i++)
        if (keys[i][0] == s->p[0] && strncmp(keys[i], s->p, s->n) == 0 && keys[i][s->n] == '\0')
            return i;
    return -1;
}

/* Opens an object and reads its first key ("{" "key" ":"); *empty when it
 * has none. */
static bool fast_first(fast *f, span *key, bool *empty)
{
    if (!fast_is(f, '{'))
        return false;
    *empty = fast_is(f, '}');
    return *empty || (fast_str(f, key) && fast_is(f, ':'));
}

/* After a member: "," and the next key, or the close (*done). */
static bool fast_next(fast *f, span *key, bool *done)
{
    if (fast_is(f, '}')) {
        *done = true;
        return true;
    }
    *done = false;
    return fast_is(f, ',') && fast_str(f, key) && fast_is(f, ':');
}

/* A whole number >= lo, as integer() reads one. */
static bool fast_int(fast *f, int64_t lo, int64_t *out)
{
    span s;
    int decimals;
    return fast_num(f, &s) && clM_parse(s.p, s.n, 0, true, out, &decimals) == CL_OK && *out >= lo;
}

/* An amount (a string or a number), as amount() reads one. */
static bool fast_amount(fast *f, int64_t *out)
{
    span s;
    int decimals = 0;
    if (f->ctx->exponent < 0)
        return false;   /* the currency comes later in the text */
    fast_ws(f);
    if (!(f->s < f->end && *f->s == '"' ? fast_str(f, &s) : fast_num(f, &s)))
        return false;
    return clM_parse(s.p, s.n, f->ctx->exponent, false, out, &decimals) == CL_OK;
}

/* A string or a list of strings, into v[0..*n) (at most FAST_LIST). */
static bool fast_strings(fast *f, span *v, size_t *n)
{
    *n = 0;
    fast_ws(f);
    if (f->s < f->end && *f->s == '"') {
        *n = 1;
        return fast_str(f, &v[0]);
    }
    if (!fast_is(f, '['))
        return false;
    if (fast_is(f, ']'))
        return true;
    do {
        if (*n == FAST_LIST || !fast_str(f, &v[(*n)++]))
            return false;
    } while (fast_is(f, ','));
    return fast_is(f, ']');
}

/* user, order, payment, shipping: an object of scalar fields. */
static bool fast_section(fast *f, const section_field *fields, int nf, bool user)
{
    span key, s;
    bool done;
    uint32_t seen = 0;
    if (!fast_first(f, &key, &done))
        return false;
    const char *keys[8];
    for (int i = 0; i < nf; i++)
        keys[i] = fields[i].key;
    keys[nf] = "tags";          /* user's only */
    while (!done) {
        int k = fast_key(&key, keys, user ? nf + 1 : nf);
        if (k < 0 || (seen >> k & 1))
            return false;
        seen |= 1u << k;
        if (fast_lit(f, "null", 4)) {
            /* absent */
        } else if (k == nf) {
            span v[FAST_LIST];
            size_t n;
            if (!fast_strings(f, v, &n))
                return false;
            for (size_t i = 0; i < n; i++)
                if (!fast_ok(f, clX_add_user_tag(f->ctx, v[i].p, v[i].n)))
                    return false;
        } else {
            const section_field *x = &fields[k];
            int64_t v;
            clT_date d;
            switch (x->type) {
            case 's':
                if (!fast_str(f, &s) || !fast_ok(f, clX_set_string(f->ctx, x->field, s.p, s.n)))
                    return false;
                break;
            case 'i':
            case 'q':
                if (!fast_int(f, x->type == 'q' ? 1 : 0, &v) ||
                    !fast_ok(f, cl_context_set_int(f->ctx, x->field, v)))
                    return false;
                break;
            case 'd':
                if (!fast_str(f, &s) || !clT_parse_date(s.p, s.n, &d) ||
                    !fast_ok(f, cl_context_set_date(f->ctx, x->field, d.year, d.month, d.day)))
                    return false;
                break;
            default:
                if (!fast_amount(f, &v) || !fast_ok(f, cl_context_set_amount(f->ctx, x->field, v)))
                    return false;
                break;
            }
        }
        if (!fast_next(f, &key, &done))
            return false;
    }
    return true;
}

/* One line of items. */
static bool fast_item(fast *f)
{
    static const char *const keys[] = {"sku", "quantity", "unit_price", "categories", "tags",
                                       "on_sale", "name"};
    span key, sku = {NULL, 0}, cats[FAST_LIST], tags[FAST_LIST], name;
    size_t ncats = 0, ntags = 0;
    int64_t qty = 0, unit = 0;
    int on_sale = -1;
    bool done;
    uint32_t seen = 0, got = 0;
    if (!fast_first(f, &key, &done))
        return false;
    while (!done) {
        int k = fast_key(&key, keys, 7);
        if (k < 0 || (seen >> k & 1))
            return false;
        seen |= 1u << k;
        if (fast_lit(f, "null", 4)) {
            /* absent */
        } else {
            bool ok;
            switch (k) {
            case 0: ok = fast_str(f, &sku); break;
            case 1: ok = fast_int(f, 1, &qty); break;
            case 2: ok = fast_amount(f, &unit); break;
            case 3: ok = fast_strings(f, cats, &ncats); break;
            case 4: ok = fast_strings(f, tags, &ntags); break;
            case 5:
                if (fast_lit(f, "true", 4))
                    on_sale = 1;
                else if (fast_lit(f, "false", 5))
                    on_sale = 0;
                ok = on_sale >= 0;
                break;
            default: ok = fast_str(f, &name); break;
            }
            if (!ok)
                return false;
            got |= 1u << k;
        }
        if (!fast_next(f, &key, &done))
            return false;
    }
    size_t index;
    if ((got & 7) != 7 || !fast_ok(f, clX_add_item(f->ctx, sku.p, sku.n, qty, unit, &index)))
        return false;
    for (size_t i = 0; i < ncats; i++)
        if (!fast_ok(f, clX_add_category(f->ctx, index, cats[i].p, cats[i].n)))
            return false;
    for (size_t i = 0; i < ntags; i++)
        if (!fast_ok(f, clX_add_item_tag(f->ctx, index, tags[i].p, tags[i].n)))
            return false;
    if (on_sale >= 0)
        cl_context_item_set_on_sale(f->ctx, index, on_sale == 1);
    return true;
}

static bool fast_items(fast *f)
{
    if (!fast_is(f, '['))
        return false;
    if (fast_is(f, ']'))
        return true;
    do {
        if (!fast_item(f))
            return false;
    } while (fast_is(f, ','));
    return fast_is(f, ']');
}

/* "usage": { "CODE": { "total": 1, "user": 0, "spent": "10.00" }, ... } */
static bool fast_usage(fast *f)
{
    static const char *const keys[] = {"total", "user", "spent"};
    span code, key;
    bool done, inner;
    if (!fast_first(f, &code, &done))
        return false;
    while (!done) {
        int64_t x[3] = {0, 0, 0};
        uint32_t seen = 0;
        if (!fast_first(f, &key, &inner))
            return false;
        while (!inner) {
            int k = fast_key(&key, keys, 3);
            if (k < 0 || (seen >> k & 1))
                return false;
            seen |= 1u << k;
            if (!fast_lit(f, "null", 4) &&
                !(k < 2 ? fast_int(f, 0, &x[k]) : fast_amount(f, &x[k])))
                return false;
            if (!fast_next(f, &key, &inner))
                return false;
        }
        if (clX_usage_of(f->ctx, code.p, code.n) != NULL ||
            !fast_ok(f, clX_set_usage(f->ctx, code.p, code.n, x[0], x[1], x[2])))
            return false;
        if (!fast_next(f, &code, &done))
            return false;
    }
    return true;
}

static const section_field user_fields[] = {
    {"id", CL_FIELD_USER_ID, 's'}, {"email", CL_FIELD_USER_EMAIL, 's'},
    {"birthday", CL_FIELD_USER_BIRTHDAY, 'd'}, {"signup_date", CL_FIELD_USER_SIGNUP_DATE, 'd'},
    {"orders_completed", CL_FIELD_USER_ORDERS_COMPLETED, 'i'},
};
static const section_field order_fields[] = {
    {"number", CL_FIELD_ORDER_NUMBER, 's'}, {"serial", CL_FIELD_ORDER_SERIAL, 'i'},
    {"sequence", CL_FIELD_ORDER_SEQUENCE, 'q'},
};
static const section_field payment_fields[] = {
    {"method", CL_FIELD_PAYMENT_METHOD, 's'}, {"network", CL_FIELD_PAYMENT_NETWORK, 's'},
    {"bin", CL_FIELD_PAYMENT_BIN, 's'}, {"wallet", CL_FIELD_PAYMENT_WALLET, 's'},
};
static const section_field shipping_fields[] = {
    {"method", CL_FIELD_SHIPPING_METHOD, 's'}, {"country", CL_FIELD_SHIPPING_COUNTRY, 's'},
    {"amount", CL_FIELD_SHIPPING_AMOUNT, 'a'},
};

/* One top-level member, key k of the keys of head(). */
static bool fast_member(fast *f, int k, bool *has_now, int64_t *now)
{
    span s, v[FAST_LIST];
    size_t n;
    char cur[4];
    switch (k) {
    case 0: /* now */
        return fast_str(f, &s) && clT_parse_instant(s.p, s.n, now) && (*has_now = true);
    case 1: /* timezone */
        return fast_str(f, &s) && fast_ok(f, clX_set_zone(f->ctx, s.p, s.n, NULL));
    case 2: /* currency */
        if (!fast_str(f, &s) || s.n != 3)
            return false;
        memcpy(cur, s.p, 3);
        cur[3] = '\0';
        return fast_ok(f, cl_context_set_currency(f->ctx, cur));
    case 3: /* codes */
        if (!fast_strings(f, v, &n))
            return false;
        for (size_t i = 0; i < n; i++)
            if (!fast_ok(f, clX_add_code(f->ctx, v[i].p, v[i].n)))
                return false;
        return true;
    case 4: return fast_section(f, user_fields, CL_COUNTOF(user_fields), true);
    case 5: return fast_section(f, order_fields, CL_COUNTOF(order_fields), false);
    case 6: return fast_section(f, payment_fields, CL_COUNTOF(payment_fields), false);
    case 7: return fast_section(f, shipping_fields, CL_COUNTOF(shipping_fields), false);
    case 8: return fast_items(f);
    default: return fast_usage(f);
    }
}

/* Reads text[0..len) into ctx the fast way: CL_OK, CL_ENOMEM when a setter
 * ran out of memory, or FAST_GIVE_UP (ctx then holds part of it; the
 * caller reads it again). */
static int fast_parse(cl_context *ctx, const char *text, size_t len)
{
    static const char *const keys[] = {"now", "timezone", "currency", "codes", "user", "order",
                                       "payment", "shipping", "items", "usage"};
    const uint64_t *lim = ctx->env->limits;
    /* Limits the general reader checks on the way: with a text this short
     * none of them can bite (every node, list entry and string takes a
     * byte of it, and this reader nests five deep at most). */
    if (len > lim[CL_LIMIT_INPUT_BYTES] || len >= lim[CL_LIMIT_NODES] ||
        len >= lim[CL_LIMIT_LIST] || len > lim[CL_LIMIT_STRING] || lim[CL_LIMIT_DEPTH] < 5)
        return FAST_GIVE_UP;
    cl_context_clear(ctx);
    fast f = {text, text + len, ctx, false};
    if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0)
        f.s += 3;
    span key;
    bool done, has_now = false;
    int64_t now = 0;
    uint32_t seen = 0;
    if (!fast_first(&f, &key, &done))
        return f.oom ? CL_ENOMEM : FAST_GIVE_UP;
    while (!done) {
        int k = fast_key(&key, keys, 10);
        if (k < 0 || (seen >> k & 1))
            return f.oom ? CL_ENOMEM : FAST_GIVE_UP;
        seen |= 1u << k;
        if (fast_lit(&f, "null", 4)) {
            if (k == 0 || k == 2 || k == 8)
                return f.oom ? CL_ENOMEM : FAST_GIVE_UP;   /* now, currency and items are needed */
        } else if (!fast_member(&f, k, &has_now, &now)) {
            return f.oom ? CL_ENOMEM : FAST_GIVE_UP;
        }
        if (!fast_next(&f, &key, &done))
            return f.oom ? CL_ENOMEM : FAST_GIVE_UP;
    }
    fast_ws(&f);
    if (f.s != f.end || !has_now || ctx->exponent < 0 || !(seen >> 8 & 1))
        return f.oom ? CL_ENOMEM : FAST_GIVE_UP;
    cl_context_set_now(ctx, now);
    return CL_OK;
}

CL_API cl_status cl_context_parse(cl_context *ctx, const char *text_, size_t len, cl_error *err)
{
    return (cl_status)clX_parse(ctx, text_, len, err, true);
}

int clX_parse(cl_context *ctx, const char *text_, size_t len, cl_error *err, bool fast_way)
{
    clE_clear(err);
    clE_source(err, "<context>");
    if (ctx == NULL || (text_ == NULL && len > 0))
        return clE_set(err, CL_EINVAL, (cl_pos){0, 0, 0}, "no context given");
    clY_doc doc;
    const char *text = text_ ? text_ : "";
    size_t i = len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0;
    while (i < len && (text[i] == ' ' || text[i] == '\t' || text[i] == '\n' || text[i] == '\r'))
        i++;
    int rc;
    if (fast_way && i < len && text[i] == '{') {
        int fr = fast_parse(ctx, text, len);
        if (fr == CL_OK)
            return CL_OK;
        if (fr == CL_ENOMEM) {
            cl_context_clear(ctx);
            return clE_set(err, CL_ENOMEM, (cl_pos){0, 0, 0}, "out of memory");
        }
    }
    if (i < len && text[i] == '{') {
        /* JSON, read by the fast JSON reader; a flow-style YAML mapping that
         * is not JSON goes to libyaml, and when that fails too the JSON
         * reader's error is the one reported. */
        rc = clJ_load(ctx->env, text, len, &doc, err);
        if (rc == CL_ESYNTAX) {
            clY_doc ydoc;
            cl_error yerr;
            if (clY_load(ctx->env, text, len, &ydoc, &yerr) == CL_OK) {
                clY_free(&doc);
                doc = ydoc;       /* the tree and its arena move over */
                clE_clear(err);
                clE_source(err, "<context>");
                rc = CL_OK;
            } else {
                clY_free(&ydoc);
            }
        }
    } else {
        rc = clY_load(ctx->env, text, len, &doc, err);
    }
    if (rc == CL_OK && doc.nroots != 1)
        rc = clE_set(err, CL_ESYNTAX, (cl_pos){1, 1, 0}, "expected one JSON object");
    if (rc == CL_OK)
        rc = clX_from_node(ctx, &doc, doc.roots[0], err);
    else
        cl_context_clear(ctx);
    clY_free(&doc);
    return rc;
}
