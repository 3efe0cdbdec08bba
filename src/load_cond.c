/*
 * load_cond.c - conditions (SPEC 4.1-4.5) and line filters (4.3): checked,
 * interned in the builder and turned into AST nodes, each with the message
 * a shopper reads when it fails. Calendars are in load_cal.c.
 */
#include "load.h"

#include <stdio.h>

/* ------------------------------------------------------------------------
 * Predicates on one value
 * ------------------------------------------------------------------------ */

typedef enum vtype { VT_INT, VT_AMT, VT_STR, VT_EMAIL } vtype;

typedef enum pkind {
    P_EQ, P_NE, P_IN, P_NOT_IN, P_GT, P_GTE, P_LT, P_LTE, P_BETWEEN, P_EVERY, P_PREFIX,
    P_MATCHES, P_DOMAIN
} pkind;

/* One parsed predicate: its kind, the interned operand and a phrase. */
typedef struct pred {
    uint8_t kind;
    uint32_t arg;
    const char *phrase;   /* "at least 3", "one of upi, card" */
} pred;

#define MAX_PREDS 16

static const char *const int_keys[] = {
    "eq", "ne", "in", "not_in", "gt", "gte", "lt", "lte", "between", "every", "offset",
};
static const char *const str_keys[] = {"eq", "ne", "in", "not_in", "prefix", "matches"};
static const char *const email_keys[] = {"eq", "ne", "in", "not_in", "prefix", "matches",
                                         "domain"};

/* Reads one number of the value's type (an amount or an integer). */
static int read_number(clL_state *L, const clY_node *node, vtype t, int64_t *v, char *txt,
                       size_t size)
{
    int rc = t == VT_AMT ? clL_amount(L, node, v) : clL_int(L, node, INT64_MIN, INT64_MAX, v);
    if (rc == CL_OK && t == VT_AMT)
        clL_fmt_amount(L, *v, txt, size);
    else if (rc == CL_OK)
        snprintf(txt, size, "%lld", (long long)*v);
    return rc;
}

/* A list of numbers into an iset. */
static int number_set(clL_state *L, const clY_node *node, vtype t, uint32_t *out)
{
    const clY_node *one;
    size_t n;
    const clY_node *const *v = clL_list(node, &n, &one);
    if (n > L->b->env->limits[CL_LIMIT_LIST])
        return clL_fail(L, node, CL_ELIMIT, "list longer than the limit");
    int64_t *vals = clB_alloc(L->b->env, n * sizeof *vals);
    if (vals == NULL)
        return clC_oom(L->b);
    int rc = CL_OK;
    char txt[32];
    for (size_t i = 0; i < n && rc == CL_OK; i++)
        rc = read_number(L, v[i], t, &vals[i], txt, sizeof txt);
    if (rc == CL_OK && n == 0)
        rc = clL_fail(L, node, CL_EVALUE, "an empty list never matches; remove the condition");
    if (rc == CL_OK)
        rc = clC_iset(L->b, vals, n, out);
    clB_free(L->b->env, vals, n * sizeof *vals);
    return rc;
}

/* A list of texts into a set (folded when fold). */
static int text_set(clL_state *L, const clY_node *node, bool fold, uint32_t *out)
{
    const clY_node *one;
    size_t n;
    const clY_node *const *v = clL_list(node, &n, &one);
    if (n == 0)
        return clL_fail(L, node, CL_EVALUE, "an empty list never matches; remove the condition");
    const char **s = clB_alloc(L->b->env, n * sizeof *s);
    size_t *lens = clB_alloc(L->b->env, n * sizeof *lens);
    int rc = s && lens ? CL_OK : clC_oom(L->b);
    for (size_t i = 0; i < n && rc == CL_OK; i++)
        rc = clL_text(L, v[i], &s[i], &lens[i]);
    if (rc == CL_OK)
        rc = clC_set(L->b, s, lens, n, fold, out);
    clB_free(L->b->env, s, n * sizeof *s);
    clB_free(L->b->env, lens, n * sizeof *lens);
    return rc;
}

/* eq / ne / gt / gte / lt / lte of a number. */
static int number_pred(clL_state *L, const clY_node *v, vtype t, pkind k, pred *p)
{
    static const char *const words[] = {
        [P_EQ] = "", [P_NE] = "other than ", [P_GT] = "more than ", [P_GTE] = "at least ",
        [P_LT] = "less than ", [P_LTE] = "at most ",
    };
    int64_t x;
    char txt[32] = "";
    int rc = read_number(L, v, t, &x, txt, sizeof txt);
    if (rc == CL_OK)
        rc = clC_int(L->b, x, &p->arg);
    p->phrase = clL_msg(L, "%s%s", words[k], txt);
    return rc;
}

static int between_pred(clL_state *L, const clY_node *v, vtype t, pred *p)
{
    if (v->kind != CLY_SEQ || v->n != 2)
        return clL_fail(L, v, CL_ETYPE, "between takes a list of two values: [low, high]");
    int64_t lo, hi;
    char a[32] = "", b[32] = "";
    int rc = read_number(L, v->items[0], t, &lo, a, sizeof a);
    if (rc == CL_OK)
        rc = read_number(L, v->items[1], t, &hi, b, sizeof b);
    if (rc == CL_OK && lo > hi)
        return clL_fail(L, v, CL_EVALUE, "between needs low <= high, found [%s, %s]", a, b);
    if (rc == CL_OK)
        rc = clC_int2(L->b, lo, hi, &p->arg);
    p->phrase = clL_msg(L, "between %s and %s", a, b);
    return rc;
}

static int every_pred(clL_state *L, const clY_node *map, const clY_node *v, pred *p)
{
    int64_t n, k = 0;
    int rc = clL_int(L, v, 1, INT64_MAX, &n);
    const clY_node *off = clY_get(map, "offset");
    if (rc == CL_OK && off != NULL) {
        /* offset is beside every, not under it: swap the last path key */
        const char *dot = strrchr(L->path, '.');
        clL_pop(L, dot ? (size_t)(dot - L->path) : 0);
        size_t mark = clL_push_key(L, "offset");
        rc = clL_int(L, off, INT64_MIN / 2, INT64_MAX / 2, &k);
        clL_pop(L, mark);
        clL_push_key(L, "every");
    }
    if (rc == CL_OK)
        rc = clC_int2(L->b, n, k, &p->arg);
    if (rc != CL_OK)
        return rc;
    int64_t k1, k2;
    if (k == 0)
        p->phrase = clL_msg(L, "a multiple of %lld", (long long)n);
    else if (clM_add(k, n, &k1) && clM_add(k1, n, &k2))
        p->phrase = clL_msg(L, "%lld, %lld, %lld, ... (every %lld from %lld)", (long long)k,
                            (long long)k1, (long long)k2, (long long)n, (long long)k);
    else
        p->phrase = clL_msg(L, "every %lld from %lld", (long long)n, (long long)k);
    return rc;
}

/* One `key: value` of a predicate mapping. */
static int one_pred(clL_state *L, const clY_node *map, const char *key, const clY_node *v,
                    vtype t, pred *p)
{
    bool num = t == VT_INT || t == VT_AMT, fold = t == VT_EMAIL;
    int rc;
    if (strcmp(key, "eq") == 0 || strcmp(key, "ne") == 0) {
        p->kind = key[0] == 'e' ? P_EQ : P_NE;
        if (num)
            return number_pred(L, v, t, (pkind)p->kind, p);
        const char *s;
        size_t n;
        if ((rc = clL_text(L, v, &s, &n)) != CL_OK)
            return rc;
        p->phrase = clL_msg(L, "%s%s", p->kind == P_NE ? "other than " : "", s);
        return clC_str(L->b, s, n, &p->arg);
    }
    if (strcmp(key, "in") == 0 || strcmp(key, "not_in") == 0) {
        p->kind = key[0] == 'i' ? P_IN : P_NOT_IN;
        rc = num ? number_set(L, v, t, &p->arg) : text_set(L, v, fold, &p->arg);
        p->phrase = clL_msg(L, "%s%s", p->kind == P_IN ? "one of " : "none of ",
                            clL_join(L, v, ", "));
        return rc;
    }
    if (num && (strcmp(key, "gt") == 0 || strcmp(key, "gte") == 0 ||
                strcmp(key, "lt") == 0 || strcmp(key, "lte") == 0)) {
        p->kind = key[0] == 'g' ? (key[2] ? P_GTE : P_GT) : (key[2] ? P_LTE : P_LT);
        return number_pred(L, v, t, (pkind)p->kind, p);
    }
    if (num && strcmp(key, "between") == 0) {
        p->kind = P_BETWEEN;
        return between_pred(L, v, t, p);
    }
    if (num && strcmp(key, "every") == 0) {
        p->kind = P_EVERY;
        return every_pred(L, map, v, p);
    }
    if (!num && strcmp(key, "prefix") == 0) {
        p->kind = P_PREFIX;
        rc = text_set(L, v, fold, &p->arg);
        p->phrase = clL_msg(L, "starting with %s", clL_join(L, v, " or "));
        return rc;
    }
    if (!num && strcmp(key, "matches") == 0) {
        const char *s;
        size_t n;
        if ((rc = clL_text(L, v, &s, &n)) != CL_OK)
            return rc;
        cl_pos pos = clY_pos(L->doc, v);
        if (v->quoted) {
            pos.col++;
            pos.offset++;
        }
        p->kind = P_MATCHES;
        p->phrase = clL_msg(L, "matching %s", s);
        rc = clC_regex(L->b, s, n, pos, &p->arg);
        if (rc != CL_OK)
            clE_path(L->err, L->path);
        return rc;
    }
    /* domain, email only */
    p->kind = P_DOMAIN;
    rc = text_set(L, v, true, &p->arg);
    p->phrase = clL_msg(L, "at %s", clL_join(L, v, " or "));
    return rc;
}

/*
 * A predicate on a value of type t:
 *   5 / "card"               eq
 *   [a, b]                   in
 *   { gte: 1, lt: 10 }       every key must hold
 * Fills preds[0..*n).
 */
static int load_preds(clL_state *L, const clY_node *node, vtype t, pred *preds, size_t *n)
{
    bool num = t == VT_INT || t == VT_AMT;
    *n = 0;
    if (node->kind == CLY_SCALAR)
        return one_pred(L, node, "eq", node, t, &preds[(*n)++]);
    if (node->kind == CLY_SEQ)
        return one_pred(L, node, "in", node, t, &preds[(*n)++]);
    const char *const *keys = num ? int_keys : t == VT_EMAIL ? email_keys : str_keys;
    size_t nkeys = num ? CL_COUNTOF(int_keys)
                       : t == VT_EMAIL ? CL_COUNTOF(email_keys) : CL_COUNTOF(str_keys);
    int rc = clL_check_keys(L, node, keys, nkeys);
    if (rc != CL_OK)
        return rc;
    if (node->n == 0)
        return clL_fail(L, node, CL_EVALUE, "an empty predicate; write a value or a test "
                        "such as { gte: 1 }");
    if (node->n > MAX_PREDS)
        return clL_fail(L, node, CL_ELIMIT, "more than %d tests on one value", MAX_PREDS);
    if (clY_get(node, "offset") != NULL && clY_get(node, "every") == NULL)
        return clL_fail(L, node, CL_EVALUE, "offset goes with every");
    for (uint32_t i = 0; i < node->n && rc == CL_OK; i++) {
        const char *key = node->items[2 * i]->str;
        if (strcmp(key, "offset") == 0)
            continue;
        size_t mark = clL_push_key(L, key);
        rc = one_pred(L, node, key, node->items[2 * i + 1], t, &preds[(*n)++]);
        clL_pop(L, mark);
    }
    return rc;
}

/* Joins the phrases of preds: "at least 1 and at most 5". */
static const char *join_phrases(clL_state *L, const pred *p, size_t n)
{
    char buf[1024];
    size_t len = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < n && len < sizeof buf; i++) {
        int k = snprintf(buf + len, sizeof buf - len, "%s%s", i ? " and " : "", p[i].phrase);
        if (k > 0)
            len += (size_t)k;
    }
    return clL_msg(L, "%s", buf);
}

/* ------------------------------------------------------------------------
 * Value conditions
 * ------------------------------------------------------------------------ */

typedef struct field_def {
    const char *key;
    uint8_t field;      /* clP_field */
    uint8_t type;       /* vtype */
    uint8_t reason;     /* cl_reason */
    const char *subject;
} field_def;

static const field_def fields[] = {
    {"order.sequence", FLD_ORDER_SEQUENCE, VT_INT, CL_R_ORDER_SEQUENCE,
     "the customer's order count"},
    {"order.serial", FLD_ORDER_SERIAL, VT_INT, CL_R_ORDER_SERIAL, "the shop's order serial"},
    {"order.number", FLD_ORDER_NUMBER, VT_STR, CL_R_ORDER_NUMBER, "the order number"},
    {"payment.method", FLD_PAYMENT_METHOD, VT_STR, CL_R_PAYMENT, "the payment method"},
    {"payment.network", FLD_PAYMENT_NETWORK, VT_STR, CL_R_PAYMENT, "the card network"},
    {"payment.bin", FLD_PAYMENT_BIN, VT_STR, CL_R_PAYMENT, "the card number"},
    {"payment.wallet", FLD_PAYMENT_WALLET, VT_STR, CL_R_PAYMENT, "the wallet"},
    {"user.id", FLD_USER_ID, VT_STR, CL_R_USER, "the customer"},
    {"user.email", FLD_USER_EMAIL, VT_EMAIL, CL_R_USER, "the email address"},
    {"user.orders_completed", FLD_USER_ORDERS, VT_INT, CL_R_USER,
     "the customer's completed orders"},
    {"cart.subtotal", FLD_CART_SUBTOTAL, VT_AMT, CL_R_MIN_SUBTOTAL, "the cart subtotal"},
    {"cart.quantity", FLD_CART_QUANTITY, VT_INT, CL_R_MIN_QUANTITY,
     "the number of items in the cart"},
    {"shipping.country", FLD_SHIPPING_COUNTRY, VT_STR, CL_R_SHIPPING, "the shipping country"},
    {"shipping.method", FLD_SHIPPING_METHOD, VT_STR, CL_R_SHIPPING, "the shipping method"},
    {"shipping.amount", FLD_SHIPPING_AMOUNT, VT_AMT, CL_R_SHIPPING, "the shipping cost"},
    {"currency", FLD_CURRENCY, VT_STR, CL_R_CURRENCY, "the currency"},
};

static clL_cond *new_cond(clL_state *L, int kind, int reason, const clY_node *at)
{
    clL_cond *c = clB_arena_alloc(L->b->arena, sizeof *c);
    if (c == NULL)
        return NULL;
    c->kind = (uint8_t)kind;
    c->reason = (uint8_t)reason;
    c->line = at->line;
    c->col = at->col;
    return c;
}

/* The instruction testing a loaded value for one predicate. */
static clL_test to_test(const pred *p, vtype t)
{
    bool num = t == VT_INT || t == VT_AMT;
    clL_test x = {0, 0, 0, p->arg};
    switch ((pkind)p->kind) {
    case P_EQ: case P_NE:
        if (num) {
            x.op = OP_INT_CMP;
            x.a = p->kind == P_EQ ? CMP_EQ : CMP_NE;
        } else {
            x.op = t == VT_EMAIL ? OP_STR_IEQ : OP_STR_EQ;
            x.negate = p->kind == P_NE;
        }
        break;
    case P_GT: x.op = OP_INT_CMP; x.a = CMP_GT; break;
    case P_GTE: x.op = OP_INT_CMP; x.a = CMP_GE; break;
    case P_LT: x.op = OP_INT_CMP; x.a = CMP_LT; break;
    case P_LTE: x.op = OP_INT_CMP; x.a = CMP_LE; break;
    case P_BETWEEN: x.op = OP_INT_BETWEEN; break;
    case P_EVERY: x.op = OP_INT_EVERY; break;
    case P_IN: case P_NOT_IN:
        x.op = num ? OP_INT_IN : OP_STR_IN;
        x.negate = p->kind == P_NOT_IN;
        break;
    case P_PREFIX: x.op = OP_STR_PREFIX; break;
    case P_MATCHES: x.op = OP_STR_MATCH; break;
    case P_DOMAIN: x.op = OP_STR_DOMAIN; break;
    }
    return x;
}

/* The message of a value condition, with friendlier words for the commonest. */
static const char *value_message(clL_state *L, const field_def *f, const pred *p, size_t n)
{
    if (f->field == FLD_ORDER_SEQUENCE && n == 1 && p[0].kind == P_EQ &&
        strcmp(p[0].phrase, "1") == 0)
        return clL_msg(L, "only for a customer's first order");
    if (f->field == FLD_ORDER_SEQUENCE && n == 1 && p[0].kind == P_EVERY &&
        strncmp(p[0].phrase, "a multiple of ", 14) == 0)
        return clL_msg(L, "only for every %sth order of a customer", p[0].phrase + 14);
    if (n == 1 && p[0].kind == P_PREFIX)
        return clL_msg(L, "%s must start with %s", f->subject, p[0].phrase + 14);
    if (n == 1 && p[0].kind == P_MATCHES)
        return clL_msg(L, "%s must match %s", f->subject, p[0].phrase + 9);
    if (n == 1 && p[0].kind == P_DOMAIN)
        return clL_msg(L, "%s must be %s", f->subject, p[0].phrase);
    return clL_msg(L, "%s must be %s", f->subject, join_phrases(L, p, n));
}

static int load_value(clL_state *L, const clY_node *key, const clY_node *v, const field_def *f,
                      clL_cond **out)
{
    pred preds[MAX_PREDS];
    size_t n;
    int rc = load_preds(L, v, (vtype)f->type, preds, &n);
    if (rc != CL_OK)
        return rc;
    clL_cond *c = new_cond(L, CK_VALUE, f->reason, key);
    clL_test *tests = clB_arena_alloc(L->b->arena, n * sizeof *tests);
    if (c == NULL || tests == NULL)
        return clC_oom(L->b);
    for (size_t i = 0; i < n; i++)
        tests[i] = to_test(&preds[i], (vtype)f->type);
    c->field = f->field;
    c->tests = tests;
    c->ntests = (uint32_t)n;
    c->message = value_message(L, f, preds, n);
    *out = c;
    return CL_OK;
}

/* ------------------------------------------------------------------------
 * Tags
 * ------------------------------------------------------------------------ */

static clL_cond *op_cond(clL_state *L, int reason, const clY_node *at, int op, unsigned a,
                         uint32_t c, const char *message)
{
    clL_cond *x = new_cond(L, CK_OP, reason, at);
    if (x == NULL)
        return NULL;
    x->op = (uint8_t)op;
    x->a = (uint8_t)a;
    x->c = c;
    x->message = message;
    return x;
}

/* A tag test {any|all|none: [...]}: mode and set. A plain list means any. */
static int tag_mode(const char *key)
{
    return strcmp(key, "any") == 0 ? TAGS_ANY : strcmp(key, "all") == 0 ? TAGS_ALL : TAGS_NONE;
}

/*
 * user.tags: [vip]  |  { any: [vip, gold], none: [blocked] }
 */
static int load_user_tags(clL_state *L, const clY_node *key, const clY_node *v, clL_cond **out)
{
    static const char *const keys[] = {"any", "all", "none"};
    static const char *const words[] = {"one of", "all of", "none of"};
    if (v->kind != CLY_MAP) {
        uint32_t set;
        int rc = text_set(L, v, false, &set);
        *out = op_cond(L, CL_R_USER, key, OP_TAGS, TAGS_ANY, set,
                       clL_msg(L, "only for customers tagged %s", clL_join(L, v, " or ")));
        return rc != CL_OK ? rc : *out ? CL_OK : clC_oom(L->b);
    }
    int rc = clL_check_keys(L, v, keys, CL_COUNTOF(keys));
    if (rc == CL_OK && v->n == 0)
        rc = clL_fail(L, v, CL_EVALUE, "expected any, all or none");
    clL_cond *all = new_cond(L, CK_AND, CL_R_USER, key);
    clL_cond **kids = clB_arena_alloc(L->b->arena, v->n * sizeof *kids);
    if (rc == CL_OK && (all == NULL || kids == NULL))
        rc = clC_oom(L->b);
    char buf[600] = "";
    for (uint32_t i = 0; i < v->n && rc == CL_OK; i++) {
        const char *k = v->items[2 * i]->str;
        size_t mark = clL_push_key(L, k);
        uint32_t set;
        rc = text_set(L, v->items[2 * i + 1], false, &set);
        clL_pop(L, mark);
        int mode = tag_mode(k);
        size_t len = strlen(buf);
        snprintf(buf + len, sizeof buf - len, "%s%s %s", i ? " and " : "", words[mode],
                 clL_join(L, v->items[2 * i + 1], ", "));
        kids[i] = op_cond(L, CL_R_USER, v->items[2 * i], OP_TAGS, (unsigned)mode, set, NULL);
        if (rc == CL_OK && kids[i] == NULL)
            rc = clC_oom(L->b);
    }
    if (rc != CL_OK)
        return rc;
    all->kids = kids;
    all->nkids = v->n;
    all->message = clL_msg(L, "only for customers with the tags %s", buf);
    *out = all;
    return CL_OK;
}

/* ------------------------------------------------------------------------
 * Line filters
 * ------------------------------------------------------------------------ */

static const char *const filter_keys[] = {
    "sku", "category", "exclude_sku", "exclude_category", "tags", "on_sale", "unit_price",
    "min_quantity", "min_amount",
};

/* Predicates of a filter into the builder's spreds (strings) or ipreds. */
static int filter_preds(clL_state *L, const clY_node *v, vtype t, uint32_t *first,
                        uint32_t *count, const char **phrase)
{
    pred preds[MAX_PREDS];
    size_t n;
    int rc = load_preds(L, v, t, preds, &n);
    if (rc != CL_OK)
        return rc;
    *first = t == VT_STR ? (uint32_t)L->b->spreds.n : (uint32_t)L->b->ipreds.n;
    *count = (uint32_t)n;
    for (size_t i = 0; i < n; i++) {
        static const uint8_t skind[] = {[P_EQ] = SP_EQ, [P_NE] = SP_NE, [P_IN] = SP_IN,
                                        [P_NOT_IN] = SP_NOT_IN, [P_PREFIX] = SP_PREFIX,
                                        [P_MATCHES] = SP_MATCH};
        static const uint8_t ikind[] = {[P_EQ] = IP_EQ, [P_NE] = IP_NE, [P_IN] = IP_IN,
                                        [P_NOT_IN] = IP_NOT_IN, [P_GT] = IP_GT,
                                        [P_GTE] = IP_GE, [P_LT] = IP_LT, [P_LTE] = IP_LE,
                                        [P_BETWEEN] = IP_BETWEEN, [P_EVERY] = IP_EVERY};
        bool ok;
        if (t == VT_STR) {
            clP_spred sp = {skind[preds[i].kind], preds[i].arg};
            ok = CL_PUSH(L->b->env, L->b->spreds, sp);
        } else {
            clP_ipred ip = {ikind[preds[i].kind], preds[i].arg};
            ok = CL_PUSH(L->b->env, L->b->ipreds, ip);
        }
        if (!ok)
            return clC_oom(L->b);
    }
    *phrase = join_phrases(L, preds, n);
    return CL_OK;
}

/* Category paths: non-empty, '/'-separated, no empty segment. */
static int category_set(clL_state *L, const clY_node *v, uint32_t *out)
{
    const clY_node *one;
    size_t n;
    const clY_node *const *items = clL_list(v, &n, &one);
    for (size_t i = 0; i < n; i++) {
        const char *s;
        size_t len;
        int rc = clL_text(L, items[i], &s, &len);
        if (rc != CL_OK)
            return rc;
        if (len == 0 || s[0] == '/' || s[len - 1] == '/' || strstr(s, "//") != NULL)
            return clL_fail(L, items[i], CL_EVALUE, "a category is a path such as "
                            "electronics/tv, found \"%s\"", s);
    }
    return text_set(L, v, false, out);
}

/* Appends "; part" to a description. */
static void describe(char *buf, size_t size, const char *fmt, ...) CL_PRINTF(3, 4);
static void describe(char *buf, size_t size, const char *fmt, ...)
{
    size_t len = strlen(buf);
    if (len + 3 >= size)
        return;
    if (len > 0) {
        memcpy(buf + len, "; ", 3);
        len += 2;
    }
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf + len, size - len, fmt, ap);
    va_end(ap);
}

static int filter_tags(clL_state *L, const clY_node *v, clP_filter *f, char *desc, size_t size)
{
    static const char *const keys[] = {"any", "all", "none"};
    const clY_node *list = v;
    f->tags_mode = TAGS_ANY;
    if (v->kind == CLY_MAP) {
        int rc = clL_check_keys(L, v, keys, CL_COUNTOF(keys));
        if (rc == CL_OK && v->n != 1)
            rc = clL_fail(L, v, CL_EVALUE, "a line filter's tags take one of any, all or none");
        if (rc != CL_OK)
            return rc;
        f->tags_mode = (uint8_t)tag_mode(v->items[0]->str);
        list = v->items[1];
    }
    static const char *const words[] = {"tagged", "tagged all of", "not tagged"};
    describe(desc, size, "%s %s", words[f->tags_mode], clL_join(L, list, " or "));
    return text_set(L, list, false, &f->tags);
}

/* Reads the keys of a filter mapping into f (one key per call). */
static int filter_key(clL_state *L, const char *key, const clY_node *v, clP_filter *f,
                      char *desc, size_t size)
{
    const char *ph = "";   /* filter_preds leaves it unset when it fails */
    int rc = CL_OK;
    if (strcmp(key, "sku") == 0) {
        rc = filter_preds(L, v, VT_STR, &f->sku_first, &f->sku_count, &ph);
        describe(desc, size, "SKU %s", ph);
    } else if (strcmp(key, "exclude_sku") == 0) {
        rc = filter_preds(L, v, VT_STR, &f->xsku_first, &f->xsku_count, &ph);
        describe(desc, size, "not SKU %s", ph);
    } else if (strcmp(key, "category") == 0) {
        rc = category_set(L, v, &f->cat);
        describe(desc, size, "in %s", clL_join(L, v, " or "));
    } else if (strcmp(key, "exclude_category") == 0) {
        rc = category_set(L, v, &f->xcat);
        describe(desc, size, "not in %s", clL_join(L, v, " or "));
    } else if (strcmp(key, "tags") == 0) {
        rc = filter_tags(L, v, f, desc, size);
    } else if (strcmp(key, "on_sale") == 0) {
        bool b = false;
        rc = clL_bool(L, v, &b);
        f->on_sale = b ? 1 : 2;
        describe(desc, size, "%s", b ? "on sale" : "not on sale");
    } else if (strcmp(key, "unit_price") == 0) {
        rc = filter_preds(L, v, VT_AMT, &f->price_first, &f->price_count, &ph);
        describe(desc, size, "priced %s", ph);
    } else if (strcmp(key, "min_quantity") == 0) {
        rc = clL_int(L, v, 1, INT64_MAX, &f->min_quantity);
    } else { /* min_amount */
        rc = clL_amount(L, v, &f->min_amount);
    }
    return rc;
}

int clL_filter(clL_state *L, const clY_node *node, uint32_t *out, const char **desc)
{
    int rc = clL_expect(L, node, CLY_MAP, "a line filter such as { sku: [TV-55] }");
    if (rc == CL_OK)
        rc = clL_check_keys(L, node, filter_keys, CL_COUNTOF(filter_keys));
    if (rc != CL_OK)
        return rc;
    clP_filter f = {0};
    f.cat = f.xcat = f.tags = CL_NONE;
    f.min_quantity = 1;
    char buf[700] = "";
    for (uint32_t i = 0; i < node->n && rc == CL_OK; i++) {
        const char *key = node->items[2 * i]->str;
        size_t mark = clL_push_key(L, key);
        rc = filter_key(L, key, node->items[2 * i + 1], &f, buf, sizeof buf);
        clL_pop(L, mark);
    }
    if (rc != CL_OK)
        return rc;
    if (!CL_PUSH(L->b->env, L->b->filters, f))
        return clC_oom(L->b);
    *out = (uint32_t)L->b->filters.n - 1;
    char amount[32];
    const char *what = buf[0] ? clL_msg(L, " (%s)", buf) : "";
    if (f.min_amount > 0)
        *desc = clL_msg(L, "items worth at least %s%s",
                        clL_fmt_amount(L, f.min_amount, amount, sizeof amount), what);
    else if (f.min_quantity > 1)
        *desc = clL_msg(L, "at least %lld items%s", (long long)f.min_quantity, what);
    else
        *desc = clL_msg(L, "an item%s", what);
    return CL_OK;
}

static int load_items(clL_state *L, const clY_node *key, const clY_node *v, clL_cond **out)
{
    uint32_t filter;
    const char *desc;
    int rc = clL_filter(L, v, &filter, &desc);
    if (rc != CL_OK)
        return rc;
    *out = op_cond(L, CL_R_ITEMS, key, OP_ITEMS, 0, filter, clL_msg(L, "requires %s", desc));
    return *out ? CL_OK : clC_oom(L->b);
}

/*
 * category: [electronics, home/kitchen]   -- items: { category: [...] }
 */
static int load_category(clL_state *L, const clY_node *key, const clY_node *v, clL_cond **out)
{
    clP_filter f = {0};
    f.cat = f.xcat = f.tags = CL_NONE;
    f.min_quantity = 1;
    int rc = category_set(L, v, &f.cat);
    if (rc != CL_OK)
        return rc;
    if (!CL_PUSH(L->b->env, L->b->filters, f))
        return clC_oom(L->b);
    *out = op_cond(L, CL_R_CATEGORY, key, OP_ITEMS, 0, (uint32_t)L->b->filters.n - 1,
                   clL_msg(L, "requires an item in %s", clL_join(L, v, " or ")));
    return *out ? CL_OK : clC_oom(L->b);
}

/* ------------------------------------------------------------------------
 * Weekdays and times of day
 * ------------------------------------------------------------------------ */

static const char *const day_names[7] = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};

/*
 * weekday: [mon, tue] | weekend | workdays | [fri, weekend]
 */
static int load_weekday(clL_state *L, const clY_node *key, const clY_node *v, clL_cond **out)
{
    const clY_node *one;
    size_t n;
    const clY_node *const *items = clL_list(v, &n, &one);
    unsigned mask = 0;
    for (size_t i = 0; i < n; i++) {
        const char *s;
        size_t len;
        int rc = clL_text(L, items[i], &s, &len);
        if (rc != CL_OK)
            return rc;
        int d = clL_weekday(s, len);
        if (d >= 0)
            mask |= 1u << d;
        else if (strcmp(s, "weekend") == 0)
            mask |= L->weekend;
        else if (strcmp(s, "workdays") == 0)
            mask |= 0x7Fu & ~(unsigned)L->weekend;
        else
            return clL_fail(L, items[i], CL_EVALUE, "unknown day \"%s\" (expected mon ... sun, "
                            "weekend or workdays)", s);
    }
    if (mask == 0)
        return clL_fail(L, v, CL_EVALUE, "an empty list of days never matches");
    char buf[64] = "";
    for (int d = 0; d < 7; d++)
        if (mask & (1u << d))
            describe(buf, sizeof buf, "%s", day_names[d]);
    for (char *p = buf; (p = strchr(p, ';')) != NULL;)
        *p = ',';
    *out = op_cond(L, CL_R_WEEKDAY, key, OP_WEEKDAY, mask, 0,
                   clL_msg(L, "valid only on %s", buf));
    return *out ? CL_OK : clC_oom(L->b);
}

/*
 * time: { from: "17:00", until: "19:00" }   -- until exclusive, may wrap midnight
 */
static int load_time(clL_state *L, const clY_node *key, const clY_node *v, clL_cond **out)
{
    static const char *const keys[] = {"from", "until"};
    int rc = clL_expect(L, v, CLY_MAP, "a mapping such as { from: \"17:00\", until: \"19:00\" }");
    if (rc == CL_OK)
        rc = clL_check_keys(L, v, keys, CL_COUNTOF(keys));
    const clY_node *from = clY_get(v, "from"), *until = clY_get(v, "until");
    if (rc == CL_OK && (from == NULL || until == NULL))
        rc = clL_fail(L, v, CL_EMISSING, "time needs both from and until");
    int32_t secs[2];
    const clY_node *nodes[2] = {from, until};
    for (int i = 0; i < 2 && rc == CL_OK; i++) {
        const char *s;
        size_t n;
        size_t mark = clL_push_key(L, keys[i]);
        rc = clL_text(L, nodes[i], &s, &n);
        if (rc == CL_OK && !clT_parse_time(s, n, i == 1, &secs[i]))
            rc = clL_fail(L, nodes[i], CL_EDATE, "expected a time such as \"17:00\", found "
                          "\"%s\"", s);
        clL_pop(L, mark);
    }
    if (rc != CL_OK)
        return rc;
    if (secs[0] == secs[1] || (secs[1] == 86400 && secs[0] == 0))
        return clL_fail(L, until, CL_EVALUE, "time.until equals time.from: the window would be "
                        "empty or the whole day");
    uint32_t idx;
    if ((rc = clC_int2(L->b, secs[0], secs[1] % 86400, &idx)) != CL_OK)
        return rc;
    *out = op_cond(L, CL_R_TIME_OF_DAY, key, OP_TIME_OF_DAY, 0, idx,
                   clL_msg(L, "valid only from %s until %s", from->str, until->str));
    return *out ? CL_OK : clC_oom(L->b);
}

/* ------------------------------------------------------------------------
 * Special days
 * ------------------------------------------------------------------------ */

int clL_read_day(clL_state *L, const clY_node *v, bool *annual, int64_t *out)
{
    const char *s;
    size_t n;
    *annual = false;
    *out = 0;
    int rc = clL_text(L, v, &s, &n);
    if (rc != CL_OK)
        return rc;
    clT_date d;
    int m, day;
    if (clT_parse_date(s, n, &d)) {
        *annual = false;
        *out = clT_days_from_civil(d.year, d.month, d.day);
        return CL_OK;
    }
    if (clT_parse_month_day(s, n, &m, &day)) {
        *annual = true;
        *out = m * 100 + day;
        return CL_OK;
    }
    return clL_fail(L, v, CL_EDATE, "expected a date (2026-12-25) or an every-year day (12-25), "
                    "found \"%s\"", s);
}

static int date_on(clL_state *L, const clY_node *v, clP_datespec *ds)
{
    const clY_node *one;
    size_t n;
    const clY_node *const *items = clL_list(v, &n, &one);
    if (n == 0)
        return clL_fail(L, v, CL_EVALUE, "an empty list of days never matches");
    int64_t *full = clB_alloc(L->b->env, n * sizeof *full);
    int64_t *annual = clB_alloc(L->b->env, n * sizeof *annual);
    size_t nf = 0, na = 0;
    int rc = full && annual ? CL_OK : clC_oom(L->b);
    for (size_t i = 0; i < n && rc == CL_OK; i++) {
        bool a;
        int64_t d;
        rc = clL_read_day(L, items[i], &a, &d);
        if (a)
            annual[na++] = d;
        else
            full[nf++] = d;
    }
    ds->kind = DS_ON;
    ds->full = ds->annual = CL_NONE;
    if (rc == CL_OK && nf > 0)
        rc = clC_iset(L->b, full, nf, &ds->full);
    if (rc == CL_OK && na > 0)
        rc = clC_iset(L->b, annual, na, &ds->annual);
    clB_free(L->b->env, full, n * sizeof *full);
    clB_free(L->b->env, annual, n * sizeof *annual);
    return rc;
}

static int date_between(clL_state *L, const clY_node *v, clP_datespec *ds)
{
    if (v->kind != CLY_SEQ || v->n != 2)
        return clL_fail(L, v, CL_ETYPE, "between takes two days: [\"12-20\", \"01-06\"]");
    bool a0, a1;
    int rc = clL_read_day(L, v->items[0], &a0, &ds->from);
    if (rc == CL_OK)
        rc = clL_read_day(L, v->items[1], &a1, &ds->to);
    if (rc != CL_OK)
        return rc;
    if (a0 != a1)
        return clL_fail(L, v, CL_EVALUE, "between takes two full dates or two every-year days, "
                        "not one of each");
    if (!a0 && ds->from > ds->to)
        return clL_fail(L, v, CL_EVALUE, "between needs the first date on or before the second");
    ds->kind = DS_BETWEEN;
    ds->annual_range = a0;
    return CL_OK;
}

/* A list of small numbers lo..hi into a bit mask. */
static int bit_list(clL_state *L, const clY_node *v, int lo, int hi, uint32_t *mask)
{
    const clY_node *one;
    size_t n;
    const clY_node *const *items = clL_list(v, &n, &one);
    *mask = 0;
    for (size_t i = 0; i < n; i++) {
        int64_t x;
        int rc = clL_int(L, items[i], lo, hi, &x);
        if (rc != CL_OK)
            return rc;
        *mask |= 1u << x;
    }
    if (*mask == 0)
        return clL_fail(L, v, CL_EVALUE, "an empty list never matches");
    return CL_OK;
}

/*
 * date: { on: ["2026-12-25", "12-24"] } | { between: ["12-20", "01-06"] }
 *     | { month: [11, 12], day: [1, 15] }
 */
static int load_date(clL_state *L, const clY_node *key, const clY_node *v, clL_cond **out)
{
    static const char *const keys[] = {"on", "between", "month", "day"};
    int rc = clL_expect(L, v, CLY_MAP, "a mapping with on, between, or month and day");
    if (rc == CL_OK)
        rc = clL_check_keys(L, v, keys, CL_COUNTOF(keys));
    const clY_node *on = clY_get(v, "on"), *between = clY_get(v, "between");
    const clY_node *month = clY_get(v, "month"), *day = clY_get(v, "day");
    int forms = (on != NULL) + (between != NULL) + (month != NULL || day != NULL);
    if (rc == CL_OK && forms != 1)
        rc = clL_fail(L, v, CL_EVALUE, "date takes one of: on, between, or month and day");
    if (rc != CL_OK)
        return rc;
    clP_datespec ds = {0};
    ds.full = ds.annual = CL_NONE;
    const char *msg;
    size_t mark;
    if (on != NULL) {
        mark = clL_push_key(L, "on");
        rc = date_on(L, on, &ds);
        msg = clL_msg(L, "valid only on %s", clL_join(L, on, " or "));
    } else if (between != NULL) {
        mark = clL_push_key(L, "between");
        rc = date_between(L, between, &ds);
        msg = rc ? "" : clL_msg(L, "valid only from %s to %s", between->items[0]->str,
                                between->items[1]->str);
    } else {
        mark = clL_push_key(L, month ? "month" : "day");
        uint32_t m = 0;
        ds.kind = DS_MONTHDAY;
        if (month != NULL && (rc = bit_list(L, month, 1, 12, &m)) == CL_OK)
            ds.months = (uint16_t)m;
        if (rc == CL_OK && day != NULL)
            rc = bit_list(L, day, 1, 31, &ds.days);
        msg = clL_msg(L, "valid only on %s%s%s%s", day ? "days " : "",
                      day ? clL_join(L, day, " and ") : "", month ? " in months " : "",
                      month ? clL_join(L, month, " and ") : "");
    }
    clL_pop(L, mark);
    if (rc != CL_OK)
        return rc;
    if (!CL_PUSH(L->b->env, L->b->datespecs, ds))
        return clC_oom(L->b);
    *out = op_cond(L, CL_R_SPECIAL_DAY, key, OP_DATE, 0, (uint32_t)L->b->datespecs.n - 1, msg);
    return *out ? CL_OK : clC_oom(L->b);
}

/*
 * holiday: [black-friday, us-retail/cyber-monday, uk-bank-holidays]
 *   -- days of this file's calendars, by name, qualified name or calendar
 */
static int load_holiday(clL_state *L, const clY_node *key, const clY_node *v, clL_cond **out)
{
    const clY_node *one;
    size_t n;
    const clY_node *const *items = clL_list(v, &n, &one);
    if (n == 0)
        return clL_fail(L, v, CL_EVALUE, "an empty list of holidays never matches");
    CL_VEC(int64_t) idx = {0};
    int rc = CL_OK;
    for (size_t i = 0; i < n && rc == CL_OK; i++) {
        size_t mark = v->kind == CLY_SEQ ? clL_push_index(L, i) : L->pathlen;
        rc = clL_holiday_days(L, items[i], &idx.v, &idx.n, &idx.cap);
        clL_pop(L, mark);
    }
    uint32_t set = 0;
    if (rc == CL_OK)
        rc = clC_iset(L->b, idx.v, idx.n, &set);
    CL_VEC_FREE(L->b->env, idx);
    if (rc != CL_OK)
        return rc;
    *out = op_cond(L, CL_R_SPECIAL_DAY, key, OP_HOLIDAY, 0, set,
                   clL_msg(L, "valid only on %s", clL_join(L, v, " or ")));
    return *out ? CL_OK : clC_oom(L->b);
}

/*
 * birthday: true | { within_days: 3 }
 */
static int load_birthday(clL_state *L, const clY_node *key, const clY_node *v, clL_cond **out)
{
    static const char *const keys[] = {"within_days"};
    int64_t within = 0;
    int rc = CL_OK;
    if (v->kind == CLY_MAP) {
        rc = clL_check_keys(L, v, keys, CL_COUNTOF(keys));
        const clY_node *w = clY_get(v, "within_days");
        if (rc == CL_OK && w == NULL)
            rc = clL_fail(L, v, CL_EMISSING, "birthday takes within_days");
        if (rc == CL_OK) {
            size_t mark = clL_push_key(L, "within_days");
            rc = clL_int(L, w, 0, 366, &within);
            clL_pop(L, mark);
        }
    } else if (!clY_plain_is(v, "true")) {
        rc = clL_fail(L, v, CL_EVALUE, "birthday takes true or { within_days: N }");
    }
    uint32_t idx = 0;
    if (rc == CL_OK)
        rc = clC_int(L->b, within, &idx);
    if (rc != CL_OK)
        return rc;
    const char *msg = within == 0 ? clL_msg(L, "valid only on the customer's birthday")
                                  : clL_msg(L, "valid only within %lld days of the customer's "
                                            "birthday", (long long)within);
    *out = op_cond(L, CL_R_SPECIAL_DAY, key, OP_BIRTHDAY, 0, idx, msg);
    return *out ? CL_OK : clC_oom(L->b);
}

/*
 * anniversary: { of: signup, within_days: 0, years: [1, 5, 10] }
 */
static int load_anniversary(clL_state *L, const clY_node *key, const clY_node *v,
                            clL_cond **out)
{
    static const char *const keys[] = {"of", "within_days", "years"};
    int rc = clL_expect(L, v, CLY_MAP, "a mapping such as { of: signup, years: [1] }");
    if (rc == CL_OK)
        rc = clL_check_keys(L, v, keys, CL_COUNTOF(keys));
    const clY_node *of = clY_get(v, "of"), *w = clY_get(v, "within_days");
    const clY_node *years = clY_get(v, "years");
    if (rc == CL_OK && of != NULL && !(of->kind == CLY_SCALAR && strcmp(of->str, "signup") == 0))
        rc = clL_fail(L, of, CL_EVALUE, "anniversary.of takes signup");
    clP_anniv a = {0, CL_NONE};
    if (rc == CL_OK && w != NULL)
        rc = clL_int(L, w, 0, 366, &a.within);
    if (rc == CL_OK && years != NULL) {
        size_t mark = clL_push_key(L, "years");
        const clY_node *one;
        size_t n;
        const clY_node *const *items = clL_list(years, &n, &one);
        for (size_t i = 0; i < n && rc == CL_OK; i++) {
            int64_t y;
            rc = clL_int(L, items[i], 1, 1000, &y);
        }
        if (rc == CL_OK)
            rc = number_set(L, years, VT_INT, &a.years);
        clL_pop(L, mark);
    }
    if (rc != CL_OK)
        return rc;
    if (!CL_PUSH(L->b->env, L->b->annivs, a))
        return clC_oom(L->b);
    const char *msg = years ? clL_msg(L, "valid only on the customer's %s-year anniversary",
                                      clL_join(L, years, " or "))
                            : clL_msg(L, "valid only on the customer's signup anniversary");
    *out = op_cond(L, CL_R_SPECIAL_DAY, key, OP_ANNIV, 0, (uint32_t)L->b->annivs.n - 1, msg);
    return *out ? CL_OK : clC_oom(L->b);
}

/* ------------------------------------------------------------------------
 * Composite conditions
 * ------------------------------------------------------------------------ */

static const char *const cond_keys[] = {
    "all", "any", "not", "order.sequence", "order.serial", "order.number", "payment.method",
    "payment.network", "payment.bin", "payment.wallet", "user.id", "user.email",
    "user.orders_completed", "user.tags", "cart.subtotal", "cart.quantity", "shipping.country",
    "shipping.method", "shipping.amount", "currency", "items", "category", "date", "holiday",
    "birthday", "anniversary", "weekday", "time",
};

static int load_key(clL_state *L, const clY_node *key, const clY_node *v, clL_cond **out);

/* The kids of all/any: a list of conditions. */
static int load_list(clL_state *L, const clY_node *key, const clY_node *v, int kind,
                     clL_cond **out)
{
    int rc = clL_expect(L, v, CLY_SEQ, "a list of conditions");
    if (rc != CL_OK)
        return rc;
    clL_cond *c = new_cond(L, kind, CL_R_CONDITION, key);
    clL_cond **kids = clB_arena_alloc(L->b->arena, (v->n ? v->n : 1) * sizeof *kids);
    if (c == NULL || kids == NULL)
        return clC_oom(L->b);
    char buf[900] = "";
    for (uint32_t i = 0; i < v->n && rc == CL_OK; i++) {
        size_t mark = clL_push_index(L, i);
        rc = clL_condition(L, v->items[i], &kids[i]);
        clL_pop(L, mark);
        if (rc == CL_OK) {
            size_t len = strlen(buf);
            snprintf(buf + len, sizeof buf - len, "%s%s", i ? (kind == CK_ANY ? "; or " : "; and ")
                                                              : "", kids[i]->message);
        }
    }
    c->kids = kids;
    c->nkids = v->n;
    c->message = kind == CK_ANY ? clL_msg(L, "requires one of: %s", buf)
                                : clL_msg(L, "requires all of: %s", buf);
    *out = c;
    return rc;
}

static int load_key(clL_state *L, const clY_node *key, const clY_node *v, clL_cond **out)
{
    const char *k = key->str;
    if (strcmp(k, "all") == 0)
        return load_list(L, key, v, CK_ALL, out);
    if (strcmp(k, "any") == 0)
        return load_list(L, key, v, CK_ANY, out);
    if (strcmp(k, "not") == 0) {
        clL_cond *c = new_cond(L, CK_NOT, CL_R_CONDITION, key);
        clL_cond **kids = clB_arena_alloc(L->b->arena, sizeof *kids);
        if (c == NULL || kids == NULL)
            return clC_oom(L->b);
        int rc = clL_condition(L, v, &kids[0]);
        c->kids = kids;
        c->nkids = 1;
        c->message = rc ? "" : clL_msg(L, "not available when: %s", kids[0]->message);
        *out = c;
        return rc;
    }
    for (size_t i = 0; i < CL_COUNTOF(fields); i++)
        if (strcmp(k, fields[i].key) == 0)
            return load_value(L, key, v, &fields[i], out);
    static const struct {
        const char *key;
        int (*load)(clL_state *, const clY_node *, const clY_node *, clL_cond **);
    } others[] = {
        {"user.tags", load_user_tags}, {"items", load_items},     {"category", load_category},
        {"weekday", load_weekday},     {"time", load_time},       {"date", load_date},
        {"holiday", load_holiday},     {"birthday", load_birthday},
        {"anniversary", load_anniversary},
    };
    for (size_t i = 0; i < CL_COUNTOF(others); i++)
        if (strcmp(k, others[i].key) == 0)
            return others[i].load(L, key, v, out);
    return clL_fail(L, key, CL_EKEY, "unknown condition \"%s\"", k);
}

/*
 * A condition: a mapping whose keys are conditions, all of which must hold.
 */
int clL_condition(clL_state *L, const clY_node *node, clL_cond **out)
{
    int rc = clL_expect(L, node, CLY_MAP, "a condition (a mapping such as "
                        "{ payment.method: card })");
    if (rc == CL_OK)
        rc = clL_check_keys(L, node, cond_keys, CL_COUNTOF(cond_keys));
    if (rc != CL_OK)
        return rc;
    if (++L->depth > L->b->env->limits[CL_LIMIT_DEPTH])
        return clL_fail(L, node, CL_ELIMIT, "conditions nested deeper than %llu levels",
                        (unsigned long long)L->b->env->limits[CL_LIMIT_DEPTH]);
    clL_cond *c = new_cond(L, CK_ALL, CL_R_CONDITION, node);
    clL_cond **kids = clB_arena_alloc(L->b->arena, (node->n ? node->n : 1) * sizeof *kids);
    if (c == NULL || kids == NULL)
        return clC_oom(L->b);
    char buf[900] = "";
    for (uint32_t i = 0; i < node->n && rc == CL_OK; i++) {
        const clY_node *key = node->items[2 * i];
        size_t mark = clL_push_key(L, key->str);
        rc = load_key(L, key, node->items[2 * i + 1], &kids[i]);
        clL_pop(L, mark);
        if (rc == CL_OK) {
            size_t len = strlen(buf);
            snprintf(buf + len, sizeof buf - len, "%s%s", i ? "; and " : "", kids[i]->message);
        }
    }
    L->depth--;
    c->kids = kids;
    c->nkids = node->n;
    c->message = node->n == 1 && rc == CL_OK ? kids[0]->message : clL_msg(L, "%s", buf);
    *out = c;
    return rc;
}
