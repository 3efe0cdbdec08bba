/*
 * load.c - coupon documents and coupons, and the value readers every part
 * of the loader uses.
 */
#include "load.h"

#include <stdio.h>

/* ------------------------------------------------------------------------
 * Paths and errors
 * ------------------------------------------------------------------------ */

size_t clL_push_key(clL_state *L, const char *key)
{
    size_t mark = L->pathlen;
    int k = snprintf(L->path + L->pathlen, sizeof L->path - L->pathlen, "%s%s",
                     L->pathlen ? "." : "", key);
    if (k > 0)
        L->pathlen += (size_t)k < sizeof L->path - L->pathlen ? (size_t)k
                                                               : sizeof L->path - L->pathlen - 1;
    return mark;
}

size_t clL_push_index(clL_state *L, size_t i)
{
    size_t mark = L->pathlen;
    int k = snprintf(L->path + L->pathlen, sizeof L->path - L->pathlen, "[%zu]", i);
    if (k > 0)
        L->pathlen += (size_t)k < sizeof L->path - L->pathlen ? (size_t)k
                                                               : sizeof L->path - L->pathlen - 1;
    return mark;
}

void clL_pop(clL_state *L, size_t mark)
{
    L->pathlen = mark;
    L->path[mark] = '\0';
}

int clL_fail(clL_state *L, const clY_node *node, int code, const char *fmt, ...)
{
    cl_pos pos = {0, 0, 0};
    if (node != NULL)
        pos = clY_pos(L->doc, node);
    va_list ap;
    va_start(ap, fmt);
    clE_vset(L->err, code, pos, fmt, ap);
    va_end(ap);
    clE_path(L->err, L->path);
    return code;
}

int clL_check_keys(clL_state *L, const clY_node *map, const char *const *allowed, size_t n)
{
    for (uint32_t i = 0; i < map->n; i++) {
        const clY_node *k = map->items[2 * i];
        bool ok = false;
        for (size_t j = 0; j < n && !ok; j++)
            ok = strcmp(k->str, allowed[j]) == 0;
        if (ok)
            continue;
        const char *near = clE_suggest(k->str, allowed, n);
        size_t mark = clL_push_key(L, k->str);
        int rc = near != NULL
                     ? clL_fail(L, k, CL_EKEY, "unknown key \"%s\"; did you mean \"%s\"?",
                                k->str, near)
                     : clL_fail(L, k, CL_EKEY, "unknown key \"%s\"", k->str);
        clL_pop(L, mark);
        return rc;
    }
    return CL_OK;
}

/* ------------------------------------------------------------------------
 * Values
 * ------------------------------------------------------------------------ */

int clL_expect(clL_state *L, const clY_node *node, clY_kind kind, const char *what)
{
    if (node->kind == kind)
        return CL_OK;
    return clL_fail(L, node, CL_ETYPE, "expected %s, found %s", what, clY_kind_name(node));
}

int clL_bool(clL_state *L, const clY_node *node, bool *out)
{
    if (clY_plain_is(node, "true") || clY_plain_is(node, "false")) {
        *out = node->str[0] == 't';
        return CL_OK;
    }
    if (node->kind == CLY_SCALAR)
        return clL_fail(L, node, CL_ETYPE, "expected true or false, found \"%s\"", node->str);
    return clL_fail(L, node, CL_ETYPE, "expected true or false, found %s", clY_kind_name(node));
}

int clL_int(clL_state *L, const clY_node *node, int64_t lo, int64_t hi, int64_t *out)
{
    if (node->kind != CLY_SCALAR)
        return clL_fail(L, node, CL_ETYPE, "expected a whole number, found %s",
                        clY_kind_name(node));
    const char *s = node->str;
    size_t i = s[0] == '-' ? 1 : 0;
    if (s[i] == '\0')
        return clL_fail(L, node, CL_EVALUE, "expected a whole number, found \"%s\"", s);
    uint64_t v = 0;
    for (; s[i] != '\0'; i++) {
        if (s[i] < '0' || s[i] > '9')
            return clL_fail(L, node, CL_EVALUE, "expected a whole number, found \"%s\"", s);
        if (v > (UINT64_MAX - 9) / 10)
            return clL_fail(L, node, CL_EVALUE, "number %s is too large", s);
        v = v * 10 + (uint64_t)(s[i] - '0');
    }
    if (v > (uint64_t)INT64_MAX)
        return clL_fail(L, node, CL_EVALUE, "number %s is too large", s);
    int64_t x = s[0] == '-' ? -(int64_t)v : (int64_t)v;
    if (x < lo || x > hi) {
        if (hi == INT64_MAX)
            return clL_fail(L, node, CL_EVALUE, "expected a number of at least %lld, found %s",
                            (long long)lo, s);
        return clL_fail(L, node, CL_EVALUE, "expected a number from %lld to %lld, found %s",
                        (long long)lo, (long long)hi, s);
    }
    *out = x;
    return CL_OK;
}

int clL_text(clL_state *L, const clY_node *node, const char **s, size_t *n)
{
    if (node->kind != CLY_SCALAR)
        return clL_fail(L, node, CL_ETYPE, "expected text, found %s", clY_kind_name(node));
    if (clY_plain_is(node, "true") || clY_plain_is(node, "false"))
        return clL_fail(L, node, CL_ETYPE,
                        "expected text, found the boolean %s (quote it to mean the text)",
                        node->str);
    *s = node->str;
    *n = node->n;
    return CL_OK;
}

int clL_amount(clL_state *L, const clY_node *node, int64_t *out)
{
    if (node->kind != CLY_SCALAR)
        return clL_fail(L, node, CL_ETYPE, "expected an amount such as \"12.50\", found %s",
                        clY_kind_name(node));
    if (L->exponent < 0)
        return clL_fail(L, node, CL_ECURRENCY,
                        "an amount needs the file's currency: add `currency: USD` (or another "
                        "ISO 4217 code) to the file");
    int decimals = 0;
    int rc = clM_parse(node->str, node->n, L->exponent, false, out, &decimals);
    if (rc == CL_EOVERFLOW)
        return clL_fail(L, node, CL_EOVERFLOW, "amount %s is too large", node->str);
    if (rc != CL_OK && decimals > L->exponent)
        return clL_fail(L, node, CL_EAMOUNT, "amount %s has %d decimals but %s has %d",
                        node->str, decimals, L->currency, L->exponent);
    if (rc != CL_OK)
        return clL_fail(L, node, CL_EAMOUNT,
                        "expected an amount such as \"12.50\" (not negative), found \"%s\"",
                        node->str);
    return CL_OK;
}

int clL_percent(clL_state *L, const clY_node *node, int64_t *out)
{
    if (node->kind != CLY_SCALAR)
        return clL_fail(L, node, CL_ETYPE, "expected a percentage such as 12.5, found %s",
                        clY_kind_name(node));
    int decimals = 0;
    int64_t bp = 0;
    int rc = clM_parse(node->str, node->n, 2, true, &bp, &decimals);
    if (rc != CL_OK && decimals > 2)
        return clL_fail(L, node, CL_EVALUE, "percent %s has more than two decimals", node->str);
    if (rc != CL_OK)
        return clL_fail(L, node, CL_EVALUE, "expected a percentage such as 12.5, found \"%s\"",
                        node->str);
    if (bp <= 0 || bp > 10000)
        return clL_fail(L, node, CL_EVALUE,
                        "percent must be greater than 0 and at most 100, found %s", node->str);
    *out = bp;
    return CL_OK;
}

const clY_node *const *clL_list(const clY_node *node, size_t *n, const clY_node **one)
{
    if (node->kind == CLY_SEQ) {
        *n = node->n;
        return (const clY_node *const *)node->items;
    }
    *one = node;
    *n = 1;
    return one;
}

const char *clL_fmt_amount(const clL_state *L, int64_t v, char *buf, size_t size)
{
    clM_format(v, L->exponent < 0 ? 2 : L->exponent, buf, size);
    return buf;
}

/* What clL_msg() and clL_join() give when out of memory. */
static const char no_memory_text[64];

const char *clL_msg(clL_state *L, const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (k < 0)
        k = 0;
    size_t n = (size_t)k < sizeof buf ? (size_t)k : sizeof buf - 1;
    if (n == sizeof buf - 1)
        memcpy(buf + n - 3, "...", 3);
    const char *r = clB_arena_strndup(L->b->arena, buf, n);
    if (r == NULL) {
        L->oom = 1;
        return no_memory_text;
    }
    return r;
}

/* Joins up to 8 texts of a list: "a, b or c" (", ..." beyond). */
const char *clL_join(clL_state *L, const clY_node *list, const char *last_sep)
{
    const clY_node *one;
    size_t n;
    const clY_node *const *v = clL_list(list, &n, &one);
    clB_str s = {0};
    bool ok = true;
    for (size_t i = 0; i < n && i < 8 && ok; i++) {
        const char *sep = i == 0 ? "" : i + 1 == n ? last_sep : ", ";
        ok = clB_str_append(L->b->env, &s, sep, strlen(sep)) &&
             clB_str_append(L->b->env, &s, v[i]->kind == CLY_SCALAR ? v[i]->str : "...",
                            v[i]->kind == CLY_SCALAR ? v[i]->n : 3);
    }
    if (ok && n > 8)
        ok = clB_str_append(L->b->env, &s, ", ...", 5);
    const char *r = ok ? clB_arena_strndup(L->b->arena, s.p ? s.p : "", s.n) : NULL;
    clB_str_free(L->b->env, &s);
    if (r == NULL) {
        L->oom = 1;
        return no_memory_text;
    }
    return r;
}

int clL_weekday(const char *s, size_t n)
{
    static const char *const names[7] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};
    for (int i = 0; i < 7; i++)
        if (clB_eq(s, n, names[i], 3))
            return i;
    return -1;
}

/* ------------------------------------------------------------------------
 * File settings
 * ------------------------------------------------------------------------ */

static int load_currency(clL_state *L, const clY_node *node)
{
    const char *s;
    size_t n;
    int rc = clL_text(L, node, &s, &n);
    if (rc != CL_OK)
        return rc;
    int e = clM_exponent(s, n);
    if (e < 0)
        return clL_fail(L, node, CL_ECURRENCY, "unknown currency \"%s\" (expected an ISO 4217 "
                        "code such as USD, EUR or JPY)", s);
    memcpy(L->currency, s, 3);
    L->currency[3] = '\0';
    L->exponent = e;
    return CL_OK;
}

static int load_zone(clL_state *L, const clY_node *node, uint32_t *out)
{
    const char *s;
    size_t n;
    int rc = clL_text(L, node, &s, &n);
    if (rc != CL_OK)
        return rc;
    rc = clC_zone(L->b, s, n, clY_pos(L->doc, node), out);
    if (rc != CL_OK)
        clE_path(L->err, L->path);
    return rc;
}

/*
 * weekend: [sat, sun]     -- day names; a single name is a one-day weekend
 */
static int load_weekend(clL_state *L, const clY_node *node)
{
    const clY_node *one;
    size_t n;
    const clY_node *const *v = clL_list(node, &n, &one);
    unsigned mask = 0;
    for (size_t i = 0; i < n; i++) {
        const char *s;
        size_t len;
        int rc = clL_text(L, v[i], &s, &len);
        if (rc != CL_OK)
            return rc;
        int d = clL_weekday(s, len);
        if (d < 0)
            return clL_fail(L, v[i], CL_EVALUE, "unknown day \"%s\" (expected mon, tue, wed, "
                            "thu, fri, sat or sun)", s);
        mask |= 1u << d;
    }
    if (mask == 0 || mask == 0x7F)
        return clL_fail(L, node, CL_EVALUE, "a weekend has from one to six days");
    L->weekend = (uint8_t)mask;
    return CL_OK;
}

static int load_rounding(clL_state *L, const clY_node *node)
{
    const char *s;
    size_t n;
    int rc = clL_text(L, node, &s, &n);
    if (rc != CL_OK)
        return rc;
    int mode = clM_rounding_parse(s, n);
    if (mode < 0)
        return clL_fail(L, node, CL_EVALUE,
                        "unknown rounding \"%s\" (expected half_even, half_up, down or up)", s);
    L->rounding = (uint8_t)mode;
    return CL_OK;
}

/*
 * selection: { max_coupons: 3 }
 */
static int load_selection(clL_state *L, const clY_node *node)
{
    static const char *const keys[] = {"max_coupons"};
    int rc = clL_expect(L, node, CLY_MAP, "a mapping such as { max_coupons: 3 }");
    if (rc == CL_OK)
        rc = clL_check_keys(L, node, keys, CL_COUNTOF(keys));
    const clY_node *v = clY_get(node, "max_coupons");
    if (rc != CL_OK || v == NULL)
        return rc;
    int64_t max;
    size_t mark = clL_push_key(L, "max_coupons");
    rc = clL_int(L, v, 1, 1000000, &max);
    clL_pop(L, mark);
    if (rc == CL_OK && (L->b->max_coupons == 0 || (uint64_t)max < L->b->max_coupons))
        L->b->max_coupons = (uint64_t)max;
    return rc;
}

/* Reads the settings a document (or a one-coupon file) may carry. */
static int load_settings(clL_state *L, const clY_node *root)
{
    static const struct {
        const char *key;
        int (*load)(clL_state *, const clY_node *);
    } settings[] = {
        {"currency", load_currency}, {"weekend", load_weekend}, {"rounding", load_rounding},
        {"calendars", clL_calendars}, {"selection", load_selection},
    };
    const clY_node *v = clY_get(root, "version");
    if (v != NULL && !(v->kind == CLY_SCALAR && strcmp(v->str, "1") == 0)) {
        size_t mark = clL_push_key(L, "version");
        int rc = clL_fail(L, v, CL_EVALUE, "unsupported version (this is couponlib's version 1 "
                          "language; write `version: 1`)");
        clL_pop(L, mark);
        return rc;
    }
    for (size_t i = 0; i < CL_COUNTOF(settings); i++) {
        v = clY_get(root, settings[i].key);
        if (v == NULL)
            continue;
        size_t mark = clL_push_key(L, settings[i].key);
        int rc = settings[i].load(L, v);
        clL_pop(L, mark);
        if (rc != CL_OK)
            return rc;
    }
    v = clY_get(root, "timezone");
    if (v != NULL) {
        size_t mark = clL_push_key(L, "timezone");
        int rc = load_zone(L, v, &L->zone);
        clL_pop(L, mark);
        return rc;
    }
    return CL_OK;
}

/* ------------------------------------------------------------------------
 * Coupons
 * ------------------------------------------------------------------------ */

static const char *const coupon_keys[] = {
    "code", "name", "automatic", "owner", "valid", "timezone", "priority", "combine",
    "group", "stop", "when", "discount", "limits",
};

/* A coupon code: 1..64 letters, digits, '-', '_' or '.'. */
static int load_code(clL_state *L, const clY_node *node, clL_coupon *c)
{
    const char *s;
    size_t n;
    int rc = clL_text(L, node, &s, &n);
    if (rc != CL_OK)
        return rc;
    if (n == 0 || n > 64)
        return clL_fail(L, node, CL_EVALUE, "a code has 1 to 64 characters");
    for (size_t i = 0; i < n; i++) {
        char ch = s[i];
        bool ok = (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
                  (ch >= '0' && ch <= '9') || ch == '-' || ch == '_' || ch == '.';
        if (!ok)
            return clL_fail(L, node, CL_EVALUE, "code \"%s\" may only have letters, digits, "
                            "'-', '_' and '.'", s);
    }
    rc = clC_str(L->b, s, n, &c->rec.code);
    c->code_message = clL_msg(L, "enter the code %s to use this coupon", s);
    return rc;
}

/*
 * A validity bound: a date (2026-06-30) or a date-time with or without an
 * offset (2026-06-30T18:00:00+02:00). A date `from` starts at local
 * midnight; a date `until` runs through the end of that local day.
 */
static int load_bound(clL_state *L, const clY_node *node, bool until, clL_bound *out)
{
    const char *s;
    size_t n;
    int rc = clL_text(L, node, &s, &n);
    if (rc != CL_OK)
        return rc;
    clT_date d;
    int64_t local;
    bool has_off;
    int32_t off;
    out->set = 1;
    out->line = node->line;
    if (clT_parse_date(s, n, &d)) {
        out->form = 1;
        out->value = (clT_days_from_civil(d.year, d.month, d.day) + (until ? 1 : 0)) * 86400;
        out->message = until ? clL_msg(L, "expired at the end of %s", s)
                             : clL_msg(L, "valid from %s", s);
        return CL_OK;
    }
    if (!clT_parse_datetime(s, n, &local, &has_off, &off))
        return clL_fail(L, node, CL_EDATE, "expected a date (2026-06-30) or a date and time "
                        "(2026-06-30T18:00:00, optionally with an offset), found \"%s\"", s);
    out->form = has_off ? 0 : 1;
    out->value = has_off ? local - off : local;
    out->message = until ? clL_msg(L, "expired at %s", s) : clL_msg(L, "valid from %s", s);
    return CL_OK;
}

/*
 * Whether valid.until can come after valid.from. Bounds of one form compare
 * as they are; a local bound and an instant compare in the coupon's zone
 * when the file knows it, and otherwise (the context's zone, unknown until
 * evaluation) only fail when no UTC offset (TZif allows -25h to +26h) could
 * order them.
 */
static bool bounds_ordered(clL_state *L, const clL_coupon *c)
{
    const clL_bound *f = &c->from, *u = &c->until;
    if (f->form == u->form)
        return u->value > f->value;
    if (c->rec.zone != CL_NONE) {
        const clT_zone *z = L->b->zones.v[c->rec.zone];
        int64_t from = f->form ? clT_local_to_instant(z, f->value) : f->value;
        int64_t until = u->form ? clT_local_to_instant(z, u->value) : u->value;
        return until > from;
    }
    return f->form ? u->value > f->value - 93600 : u->value + 90000 > f->value;
}

/*
 * valid: { from: 2026-01-01, until: 2026-12-31 }
 */
static int load_valid(clL_state *L, const clY_node *node, clL_coupon *c)
{
    static const char *const keys[] = {"from", "until"};
    int rc = clL_expect(L, node, CLY_MAP, "a mapping such as { from: 2026-01-01 }");
    if (rc == CL_OK)
        rc = clL_check_keys(L, node, keys, CL_COUNTOF(keys));
    const clY_node *from = clY_get(node, "from"), *until = clY_get(node, "until");
    size_t mark;
    if (rc == CL_OK && from != NULL) {
        mark = clL_push_key(L, "from");
        rc = load_bound(L, from, false, &c->from);
        clL_pop(L, mark);
    }
    if (rc == CL_OK && until != NULL) {
        mark = clL_push_key(L, "until");
        rc = load_bound(L, until, true, &c->until);
        if (rc == CL_OK && c->from.set && !bounds_ordered(L, c))
            rc = clL_fail(L, until, CL_EVALUE, "valid.until is not after valid.from");
        clL_pop(L, mark);
    }
    return rc;
}

/*
 * limits: { uses: 1000, per_user: 1, budget: "5000.00" }
 */
static int load_limits(clL_state *L, const clY_node *node, clL_coupon *c)
{
    static const char *const keys[] = {"uses", "per_user", "budget"};
    int rc = clL_expect(L, node, CLY_MAP, "a mapping such as { uses: 1000 }");
    if (rc == CL_OK)
        rc = clL_check_keys(L, node, keys, CL_COUNTOF(keys));
    c->limits_line = node->line;
    const clY_node *v;
    size_t mark;
    if (rc == CL_OK && (v = clY_get(node, "uses")) != NULL) {
        mark = clL_push_key(L, "uses");
        rc = clL_int(L, v, 1, INT64_MAX, &c->rec.uses);
        clL_pop(L, mark);
    }
    if (rc == CL_OK && (v = clY_get(node, "per_user")) != NULL) {
        mark = clL_push_key(L, "per_user");
        rc = clL_int(L, v, 1, INT64_MAX, &c->rec.per_user);
        clL_pop(L, mark);
    }
    if (rc == CL_OK && (v = clY_get(node, "budget")) != NULL) {
        mark = clL_push_key(L, "budget");
        rc = clL_amount(L, v, &c->rec.budget);
        if (rc == CL_OK && c->rec.budget == 0)
            rc = clL_fail(L, v, CL_EVALUE, "a budget must be more than zero");
        clL_pop(L, mark);
    }
    return rc;
}

static int load_flags(clL_state *L, const clY_node *node, clL_coupon *c)
{
    const clY_node *v;
    bool flag = false;
    int rc = CL_OK;
    size_t mark;
    if ((v = clY_get(node, "automatic")) != NULL) {
        mark = clL_push_key(L, "automatic");
        rc = clL_bool(L, v, &flag);
        c->rec.automatic = flag;
        clL_pop(L, mark);
    }
    if (rc == CL_OK && (v = clY_get(node, "stop")) != NULL) {
        mark = clL_push_key(L, "stop");
        rc = clL_bool(L, v, &flag);
        c->rec.stop = flag;
        clL_pop(L, mark);
    }
    if (rc == CL_OK && (v = clY_get(node, "priority")) != NULL) {
        mark = clL_push_key(L, "priority");
        rc = clL_int(L, v, -1000000000, 1000000000, &c->rec.priority);
        clL_pop(L, mark);
    }
    if (rc == CL_OK && (v = clY_get(node, "combine")) != NULL) {
        mark = clL_push_key(L, "combine");
        if (clY_plain_is(v, "exclusive") || (v->kind == CLY_SCALAR && strcmp(v->str, "exclusive") == 0))
            c->rec.exclusive = 1;
        else if (!(v->kind == CLY_SCALAR && strcmp(v->str, "stackable") == 0))
            rc = clL_fail(L, v, CL_EVALUE, "combine is stackable or exclusive");
        clL_pop(L, mark);
    }
    return rc;
}

static int load_strings(clL_state *L, const clY_node *node, clL_coupon *c)
{
    const clY_node *v;
    const char *s;
    size_t n, mark;
    int rc = CL_OK;
    if ((v = clY_get(node, "name")) != NULL) {
        mark = clL_push_key(L, "name");
        rc = clL_text(L, v, &s, &n);
        if (rc == CL_OK)
            rc = clC_str(L->b, s, n, &c->rec.name);
        clL_pop(L, mark);
    }
    if (rc == CL_OK && (v = clY_get(node, "group")) != NULL) {
        mark = clL_push_key(L, "group");
        rc = clL_text(L, v, &s, &n);
        if (rc == CL_OK && n == 0)
            rc = clL_fail(L, v, CL_EVALUE, "a group name cannot be empty");
        if (rc == CL_OK)
            rc = clC_str(L->b, s, n, &c->rec.group);
        clL_pop(L, mark);
    }
    if (rc == CL_OK && (v = clY_get(node, "owner")) != NULL) {
        mark = clL_push_key(L, "owner");
        rc = clL_text(L, v, &s, &n);
        if (rc == CL_OK)
            rc = clC_str(L->b, s, n, &c->owner);
        c->owner_line = v->line;
        c->owner_message = clL_msg(L, "this coupon is personal to another customer");
        clL_pop(L, mark);
    }
    if (rc == CL_OK && (v = clY_get(node, "timezone")) != NULL) {
        mark = clL_push_key(L, "timezone");
        rc = load_zone(L, v, &c->rec.zone);
        clL_pop(L, mark);
    }
    return rc;
}

/* One coupon mapping into *c. */
static int load_coupon(clL_state *L, const clY_node *node, bool one_file, clL_coupon *c)
{
    static const char *const one_keys[] = {
        "code", "name", "automatic", "owner", "valid", "timezone", "priority", "combine",
        "group", "stop", "when", "discount", "limits", "currency", "weekend", "rounding",
        "version", "calendars", "selection",
    };
    int rc = clL_expect(L, node, CLY_MAP, "a coupon (a mapping with `code` and `discount`)");
    if (rc == CL_OK)
        rc = one_file ? clL_check_keys(L, node, one_keys, CL_COUNTOF(one_keys))
                      : clL_check_keys(L, node, coupon_keys, CL_COUNTOF(coupon_keys));
    if (rc != CL_OK)
        return rc;
    memset(c, 0, sizeof *c);
    c->rec.name = c->rec.group = c->owner = CL_NONE;
    c->rec.zone = L->zone;
    c->rec.uses = c->rec.per_user = c->rec.budget = -1;
    c->rec.line = node->line;
    c->rec.col = node->col;
    c->rec.rounding = L->rounding;
    c->rec.weekend = L->weekend;
    memcpy(c->rec.currency, L->currency, sizeof c->rec.currency);
    c->rec.exponent = (int8_t)L->exponent;
    if (L->exponent >= 0)
        c->currency_message = clL_msg(L, "only for payments in %s", L->currency);
    const clY_node *code = clY_get(node, "code");
    if (code == NULL)
        return clL_fail(L, node, CL_EMISSING, "a coupon needs a `code`");
    size_t mark = clL_push_key(L, "code");
    rc = load_code(L, code, c);
    clL_pop(L, mark);
    if (rc == CL_OK)
        rc = load_flags(L, node, c);
    if (rc == CL_OK)
        rc = load_strings(L, node, c);
    const clY_node *v;
    if (rc == CL_OK && (v = clY_get(node, "valid")) != NULL) {
        mark = clL_push_key(L, "valid");
        rc = load_valid(L, v, c);
        clL_pop(L, mark);
    }
    if (rc == CL_OK && (v = clY_get(node, "when")) != NULL) {
        mark = clL_push_key(L, "when");
        rc = clL_condition(L, v, &c->when);
        clL_pop(L, mark);
    }
    if (rc == CL_OK && (v = clY_get(node, "limits")) != NULL) {
        mark = clL_push_key(L, "limits");
        rc = load_limits(L, v, c);
        clL_pop(L, mark);
    }
    if (rc != CL_OK)
        return rc;
    if ((v = clY_get(node, "discount")) == NULL)
        return clL_fail(L, node, CL_EMISSING, "coupon %s needs a `discount`", code->str);
    mark = clL_push_key(L, "discount");
    rc = clL_discount(L, v, &c->rec.discount);
    clL_pop(L, mark);
    return rc;
}

/* ------------------------------------------------------------------------
 * Documents
 * ------------------------------------------------------------------------ */

typedef CL_VEC(clL_coupon) coupon_vec;

static int push_coupon(clL_state *L, coupon_vec *out, const clY_node *node, bool one_file)
{
    if (out->n >= L->b->env->limits[CL_LIMIT_COUPONS])
        return clL_fail(L, node, CL_ELIMIT, "more than %llu coupons",
                        (unsigned long long)L->b->env->limits[CL_LIMIT_COUPONS]);
    if (!CL_RESERVE(L->b->env, *out, 1))
        return clC_oom(L->b);
    int rc = load_coupon(L, node, one_file, &out->v[out->n]);
    if (rc == CL_OK)
        out->n++;
    return rc;
}

/*
 * A document: { version, currency, timezone, weekend, rounding, calendars,
 * selection, coupons: [coupon...] }, or one coupon with `code` (which may
 * carry the settings beside its own keys).
 */
static int load_root(clL_state *L, const clY_node *root, coupon_vec *out)
{
    static const char *const doc_keys[] = {
        "version", "currency", "timezone", "weekend", "rounding", "calendars", "selection",
        "coupons",
    };
    L->currency[0] = '\0';
    L->exponent = -1;
    L->rounding = 0;
    L->weekend = (1u << 5) | (1u << 6);
    L->zone = CL_NONE;
    L->ncalendars_named = (uint32_t)L->b->calendars.n;
    int rc = clL_expect(L, root, CLY_MAP, "a coupon document (a mapping with `coupons`, or "
                        "one coupon with `code`)");
    if (rc != CL_OK)
        return rc;
    bool one = clY_get(root, "code") != NULL;
    if (!one && (rc = clL_check_keys(L, root, doc_keys, CL_COUNTOF(doc_keys))) != CL_OK)
        return rc;
    if ((rc = load_settings(L, root)) != CL_OK)
        return rc;
    if (one)
        return push_coupon(L, out, root, true);
    const clY_node *list = clY_get(root, "coupons");
    if (list == NULL)
        return clL_fail(L, root, CL_EMISSING, "a document needs `coupons` (a list of coupons)");
    size_t mark = clL_push_key(L, "coupons");
    rc = clL_expect(L, list, CLY_SEQ, "a list of coupons");
    for (uint32_t i = 0; rc == CL_OK && i < list->n; i++) {
        size_t m2 = clL_push_index(L, i);
        rc = push_coupon(L, out, list->items[i], false);
        clL_pop(L, m2);
    }
    clL_pop(L, mark);
    return rc;
}

/* Two coupons of one file may not share a code (case-insensitively). */
static int check_duplicates(clL_state *L, const coupon_vec *v)
{
    const clC_builder *b = L->b;
    size_t size = 16;
    while (size < 2 * v->n)
        size *= 2;
    uint32_t *slots = clB_calloc(b->env, size, sizeof *slots);
    if (slots == NULL)
        return clC_oom(L->b);
    int rc = CL_OK;
    for (size_t i = 0; i < v->n && rc == CL_OK; i++) {
        const clP_str *s = &b->strs.v[v->v[i].rec.code];
        const char *code = b->pool.p + s->off;
        size_t h = clP_hash(code, s->len, true) & (size - 1);
        for (; slots[h] != 0; h = (h + 1) & (size - 1)) {
            const clL_coupon *o = &v->v[slots[h] - 1];
            const clP_str *t = &b->strs.v[o->rec.code];
            if (!clB_ieq(b->pool.p + t->off, t->len, code, s->len))
                continue;
            cl_pos pos = {v->v[i].rec.line, v->v[i].rec.col, 0};
            rc = clE_set(L->err, CL_EDUPLICATE, pos, "duplicate coupon code %s (first defined "
                         "at line %u)", code, o->rec.line);
            clE_path(L->err, "");
            break;
        }
        slots[h] = (uint32_t)i + 1;
    }
    clB_free(b->env, slots, size * sizeof *slots);
    return rc;
}

int clL_load_unit(clC_builder *b, const clY_doc *doc, clL_coupon **coupons, size_t *ncoupons)
{
    clL_state L = {.b = b, .doc = doc, .err = b->err};
    coupon_vec out = {0};
    int rc = CL_OK;
    for (size_t i = 0; i < doc->nroots && rc == CL_OK; i++)
        rc = load_root(&L, doc->roots[i], &out);
    if (rc == CL_OK && L.oom)
        rc = clC_oom(b);
    if (rc == CL_OK)
        rc = check_duplicates(&L, &out);
    *coupons = NULL;
    *ncoupons = 0;
    if (rc == CL_OK && out.n > 0) {
        /* The AST lives in the arena; so does the list of coupons. */
        *coupons = clB_arena_alloc(b->arena, out.n * sizeof *out.v);
        if (*coupons == NULL)
            rc = clC_oom(b);
        else {
            memcpy(*coupons, out.v, out.n * sizeof *out.v);
            *ncoupons = out.n;
        }
    }
    CL_VEC_FREE(b->env, out);
    return rc;
}
