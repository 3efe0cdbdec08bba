/*
 * outline.c - where the requirements of a coupon's source are (outline.h).
 */
#include "outline.h"

#include <couponlib/couponlib.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

/* The reasons a condition key of `when` can give (SPEC sections 4.2, 5). */
static const struct {
    const char *key;
    bool prefix;               /* key is a prefix ("payment.") */
    const char *reasons[3];
} when_keys[] = {
    {"order.sequence", false, {"ORDER_SEQUENCE"}},
    {"order.serial", false, {"ORDER_SERIAL"}},
    {"order.number", false, {"ORDER_NUMBER"}},
    {"payment.", true, {"PAYMENT"}},
    {"user.", true, {"USER"}},
    {"cart.subtotal", false, {"MIN_SUBTOTAL"}},
    {"cart.quantity", false, {"MIN_QUANTITY"}},
    {"shipping.", true, {"SHIPPING"}},
    {"currency", false, {"CURRENCY"}},
    {"items", false, {"ITEMS"}},
    {"category", false, {"CATEGORY"}},
    {"weekday", false, {"WEEKDAY"}},
    {"time", false, {"TIME_OF_DAY"}},
    {"date", false, {"SPECIAL_DAY"}},
    {"holiday", false, {"SPECIAL_DAY"}},
    {"birthday", false, {"SPECIAL_DAY"}},
    {"anniversary", false, {"SPECIAL_DAY"}},
};

typedef struct walk {
    yaml_document_t *doc;
    const char *src;
    size_t len;
    json_t *out;
} walk;

static bool scalar_is(const yaml_node_t *n, const char *s)
{
    return n != NULL && n->type == YAML_SCALAR_NODE && n->data.scalar.length == strlen(s) &&
           memcmp(n->data.scalar.value, s, n->data.scalar.length) == 0;
}

/* The value of key in mapping m, or NULL; *at receives the key node. */
static yaml_node_t *lookup(yaml_document_t *doc, yaml_node_t *m, const char *key,
                           yaml_node_t **at)
{
    if (m == NULL || m->type != YAML_MAPPING_NODE)
        return NULL;
    for (yaml_node_pair_t *p = m->data.mapping.pairs.start; p < m->data.mapping.pairs.top; p++) {
        yaml_node_t *k = yaml_document_get_node(doc, p->key);
        if (scalar_is(k, key)) {
            if (at)
                *at = k;
            return yaml_document_get_node(doc, p->value);
        }
    }
    return NULL;
}

/* Source line n (1-based) without its indentation, at most 160 bytes. */
static json_t *line_text(const walk *w, size_t n)
{
    const char *p = w->src, *end = w->src + w->len;
    for (size_t i = 1; i < n && p < end; i++) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        p = nl ? nl + 1 : end;
    }
    while (p < end && (*p == ' ' || *p == '\t' || *p == '-'))
        p++;
    const char *e = p;
    while (e < end && *e != '\n' && *e != '\r' && e - p < 160)
        e++;
    return json_stringn(p, (size_t)(e - p));
}

static void add(walk *w, const char *name, size_t namelen, const yaml_node_t *at,
                const char *const *reasons, size_t nreasons)
{
    json_t *codes = json_array();
    for (size_t i = 0; i < nreasons && reasons[i]; i++)
        json_array_append_new(codes, json_string(reasons[i]));
    size_t line = at->start_mark.line + 1;
    json_array_append_new(w->out, json_pack("{s:s%, s:I, s:o, s:o}", "name", name, namelen,
                                            "line", (json_int_t)line, "source",
                                            line_text(w, line), "reasons", codes));
}

/* The conditions of a `when` condition, a nested `all` flattened. */
static void conditions(walk *w, yaml_node_t *c, const yaml_node_t *at)
{
    static const char *const composite[] = {"CONDITION"};
    if (c == NULL)
        return;
    if (c->type == YAML_SEQUENCE_NODE) {       /* the items of an `all` */
        for (yaml_node_item_t *i = c->data.sequence.items.start; i < c->data.sequence.items.top;
             i++)
            conditions(w, yaml_document_get_node(w->doc, *i), at);
        return;
    }
    if (c->type != YAML_MAPPING_NODE) {
        add(w, "when", 4, at, composite, 1);
        return;
    }
    for (yaml_node_pair_t *p = c->data.mapping.pairs.start; p < c->data.mapping.pairs.top; p++) {
        yaml_node_t *k = yaml_document_get_node(w->doc, p->key);
        yaml_node_t *v = yaml_document_get_node(w->doc, p->value);
        if (k == NULL || k->type != YAML_SCALAR_NODE)
            continue;
        const char *key = (const char *)k->data.scalar.value;
        size_t klen = k->data.scalar.length;
        if (scalar_is(k, "all")) {
            conditions(w, v, k);
            continue;
        }
        const char *const *reasons = composite;
        size_t n = 1;
        for (size_t i = 0; i < sizeof when_keys / sizeof when_keys[0]; i++) {
            size_t l = strlen(when_keys[i].key);
            if (when_keys[i].prefix ? klen > l && memcmp(key, when_keys[i].key, l) == 0
                                    : klen == l && memcmp(key, when_keys[i].key, l) == 0) {
                reasons = when_keys[i].reasons;
                n = 3;
                break;
            }
        }
        add(w, key, klen, k, reasons, n);
    }
}

static long long int_of(const yaml_node_t *v)
{
    if (v == NULL || v->type != YAML_SCALAR_NODE)
        return -1;
    char *end;
    long long n = strtoll((const char *)v->data.scalar.value, &end, 10);
    return *end == '\0' ? n : -1;
}

json_t *outline_requirements(const char *source, size_t len, const char *currency,
                             outline_limits *lim, json_t **valid)
{
    if (lim)
        *lim = (outline_limits){-1, -1, -1};
    if (valid)
        *valid = NULL;
    yaml_parser_t parser;
    yaml_document_t doc;
    if (!yaml_parser_initialize(&parser))
        return NULL;
    yaml_parser_set_input_string(&parser, (const unsigned char *)source, len);
    if (!yaml_parser_load(&parser, &doc)) {
        yaml_parser_delete(&parser);
        return NULL;
    }
    yaml_parser_delete(&parser);
    json_t *out = NULL;
    yaml_node_t *root = yaml_document_get_root_node(&doc), *at = NULL, *v;
    if (root == NULL || root->type != YAML_MAPPING_NODE)
        goto done;
    walk w = {&doc, source, len, json_array()};
    out = w.out;
    /* a one-coupon file, or a document with a list of one coupon */
    yaml_node_t *coupon = root, *list = lookup(&doc, root, "coupons", NULL);
    if (list != NULL && list->type == YAML_SEQUENCE_NODE &&
        list->data.sequence.items.top > list->data.sequence.items.start)
        coupon = yaml_document_get_node(&doc, *list->data.sequence.items.start);
    static const char *const r_currency[] = {"CURRENCY"}, *const r_valid[] = {"NOT_STARTED",
                                                                               "EXPIRED"},
                             *const r_user[] = {"USER"}, *const r_uses[] = {"USAGE_LIMIT"},
                             *const r_per_user[] = {"PER_USER_LIMIT"},
                             *const r_budget[] = {"BUDGET"},
                             *const r_target[] = {"ITEMS", "SHIPPING", "MIN_SUBTOTAL"};
    if (lookup(&doc, coupon, "currency", &at) || lookup(&doc, root, "currency", &at))
        add(&w, "currency", 8, at, r_currency, 1);
    if ((v = lookup(&doc, coupon, "valid", &at)) != NULL) {
        add(&w, "valid", 5, at, r_valid, 2);
        if (valid) {
            yaml_node_t *f = lookup(&doc, v, "from", NULL), *u = lookup(&doc, v, "until", NULL);
            *valid = json_object();
            if (f && f->type == YAML_SCALAR_NODE)
                json_object_set_new(*valid, "from",
                                    json_stringn((const char *)f->data.scalar.value,
                                                 f->data.scalar.length));
            if (u && u->type == YAML_SCALAR_NODE)
                json_object_set_new(*valid, "until",
                                    json_stringn((const char *)u->data.scalar.value,
                                                 u->data.scalar.length));
        }
    }
    if (lookup(&doc, coupon, "owner", &at))
        add(&w, "owner", 5, at, r_user, 1);
    if ((v = lookup(&doc, coupon, "when", &at)) != NULL)
        conditions(&w, v, at);
    yaml_node_t *limits = lookup(&doc, coupon, "limits", NULL);
    if ((v = lookup(&doc, limits, "uses", &at)) != NULL) {
        add(&w, "limits.uses", 11, at, r_uses, 1);
        if (lim)
            lim->uses = int_of(v);
    }
    if ((v = lookup(&doc, limits, "per_user", &at)) != NULL) {
        add(&w, "limits.per_user", 15, at, r_per_user, 1);
        if (lim)
            lim->per_user = int_of(v);
    }
    if ((v = lookup(&doc, limits, "budget", &at)) != NULL) {
        add(&w, "limits.budget", 13, at, r_budget, 1);
        int64_t minor;
        if (lim && v->type == YAML_SCALAR_NODE &&
            cl_amount_parse((const char *)v->data.scalar.value, v->data.scalar.length, currency,
                            &minor) == CL_OK)
            lim->budget = minor;
    }
    yaml_node_t *discount = lookup(&doc, coupon, "discount", &at);
    if (discount != NULL) {
        yaml_node_t *tat = at;
        lookup(&doc, discount, "target", &tat);
        add(&w, "discount", 8, tat, r_target, 3);
    }
done:
    yaml_document_delete(&doc);
    return out;
}

static bool can_give(const json_t *req, const char *code)
{
    size_t i;
    json_t *c;
    json_array_foreach(json_object_get(req, "reasons"), i, c) {
        if (json_is_string(c) && strcmp(json_string_value(c), code) == 0)
            return true;
    }
    return false;
}

json_t *outline_judge(const json_t *outline, const json_t *result)
{
    json_t *out = json_array();
    size_t i, j;
    json_t *req, *reason;
    json_array_foreach(outline, i, req) {
        json_array_append_new(out, json_pack("{s:O, s:O, s:O, s:b, s:[]}", "name",
                                             json_object_get(req, "name"), "line",
                                             json_object_get(req, "line"), "source",
                                             json_object_get(req, "source"), "passed", 1,
                                             "reasons"));
    }
    json_array_foreach(json_object_get(result, "reasons"), j, reason) {
        const char *code = json_string_value(json_object_get(reason, "code"));
        json_int_t line = json_integer_value(json_object_get(reason, "line"));
        if (code == NULL)
            continue;
        long to = -1;
        json_array_foreach(outline, i, req) {
            if (can_give(req, code) &&
                json_integer_value(json_object_get(req, "line")) == line) {
                to = (long)i;
                break;
            }
        }
        if (to < 0) {
            json_array_foreach(outline, i, req) {
                if (can_give(req, code)) {
                    to = (long)i;
                    break;
                }
            }
        }
        json_t *r;
        if (to >= 0) {
            r = json_array_get(out, (size_t)to);
        } else {
            r = json_pack("{s:s, s:I, s:s, s:b, s:[]}", "name", code, "line", line, "source",
                          "", "passed", 1, "reasons");
            json_array_append_new(out, r);
        }
        json_object_set_new(r, "passed", json_false());
        json_array_append(json_object_get(r, "reasons"), reason);
    }
    return out;
}
