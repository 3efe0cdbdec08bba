/*
 * load_discount.c - a coupon's `discount` (SPEC 4.6): its kind, target,
 * caps and the messages for a target with nothing to work on.
 */
#include "load.h"

#include <stdio.h>

static const char *const discount_keys[] = {
    "percent", "amount", "amount_per_item", "fixed_price", "free_shipping", "buy_get", "tiers",
    "target", "max_amount", "max_units", "exclude_sale_items",
};

static const char *const kind_keys[DK__COUNT] = {
    [DK_PERCENT] = "percent", [DK_AMOUNT] = "amount", [DK_PER_ITEM] = "amount_per_item",
    [DK_FIXED_PRICE] = "fixed_price", [DK_BUY_GET] = "buy_get", [DK_TIERS] = "tiers",
    [DK_FREE_SHIPPING] = "free_shipping",
};

static bool per_unit(int kind)
{
    return kind == DK_PER_ITEM || kind == DK_FIXED_PRICE || kind == DK_BUY_GET;
}

/*
 * buy_get: { buy: 2, get: 1, percent: 100, max_groups: 3 }
 */
static int load_buy_get(clL_state *L, const clY_node *v, clP_discount *d)
{
    static const char *const keys[] = {"buy", "get", "percent", "max_groups"};
    int rc = clL_expect(L, v, CLY_MAP, "a mapping such as { buy: 2, get: 1 }");
    if (rc == CL_OK)
        rc = clL_check_keys(L, v, keys, CL_COUNTOF(keys));
    const clY_node *buy = clY_get(v, "buy"), *get = clY_get(v, "get");
    if (rc == CL_OK && (buy == NULL || get == NULL))
        rc = clL_fail(L, v, CL_EMISSING, "buy_get needs buy and get");
    d->value = 10000;
    size_t mark;
    if (rc == CL_OK) {
        mark = clL_push_key(L, "buy");
        rc = clL_int(L, buy, 1, 1000000, &d->buy);
        clL_pop(L, mark);
    }
    if (rc == CL_OK) {
        mark = clL_push_key(L, "get");
        rc = clL_int(L, get, 1, 1000000, &d->get);
        clL_pop(L, mark);
    }
    const clY_node *x;
    if (rc == CL_OK && (x = clY_get(v, "percent")) != NULL) {
        mark = clL_push_key(L, "percent");
        rc = clL_percent(L, x, &d->value);
        clL_pop(L, mark);
    }
    if (rc == CL_OK && (x = clY_get(v, "max_groups")) != NULL) {
        mark = clL_push_key(L, "max_groups");
        rc = clL_int(L, x, 1, INT64_MAX, &d->max_groups);
        clL_pop(L, mark);
    }
    return rc;
}

/*
 * tiers: [ {min: "100.00", amount: "10.00"}, {min: "200.00", percent: 15} ]
 */
static int load_tier(clL_state *L, const clY_node *t, clP_tier *out)
{
    static const char *const keys[] = {"min", "amount", "percent"};
    int rc = clL_expect(L, t, CLY_MAP, "a tier such as { min: \"100.00\", amount: \"10.00\" }");
    if (rc == CL_OK)
        rc = clL_check_keys(L, t, keys, CL_COUNTOF(keys));
    const clY_node *min = clY_get(t, "min"), *amount = clY_get(t, "amount");
    const clY_node *percent = clY_get(t, "percent");
    if (rc == CL_OK && (min == NULL || (amount == NULL) == (percent == NULL)))
        return clL_fail(L, t, CL_EMISSING, "a tier needs min and one of amount or percent");
    size_t mark;
    if (rc == CL_OK) {
        mark = clL_push_key(L, "min");
        rc = clL_amount(L, min, &out->min);
        clL_pop(L, mark);
    }
    if (rc == CL_OK) {
        mark = clL_push_key(L, amount ? "amount" : "percent");
        out->percent = amount == NULL;
        rc = amount ? clL_amount(L, amount, &out->value) : clL_percent(L, percent, &out->value);
        clL_pop(L, mark);
    }
    return rc;
}

static int load_tiers(clL_state *L, const clY_node *v, clP_discount *d)
{
    int rc = clL_expect(L, v, CLY_SEQ, "a list of tiers");
    if (rc == CL_OK && v->n == 0)
        rc = clL_fail(L, v, CL_EVALUE, "tiers needs at least one tier");
    d->tier_first = (uint32_t)L->b->tiers.n;
    for (uint32_t i = 0; i < v->n && rc == CL_OK; i++) {
        clP_tier t = {0};
        size_t mark = clL_push_index(L, i);
        rc = load_tier(L, v->items[i], &t);
        if (rc == CL_OK && i > 0 && t.min <= L->b->tiers.v[L->b->tiers.n - 1].min)
            rc = clL_fail(L, v->items[i], CL_EVALUE, "tiers go up: each min must be larger "
                          "than the one before");
        clL_pop(L, mark);
        if (rc == CL_OK && !CL_PUSH(L->b->env, L->b->tiers, t))
            rc = clC_oom(L->b);
    }
    d->tier_count = v->n;
    return rc;
}

/* free_shipping: true | { max_amount: "5.00" } */
static int load_free_shipping(clL_state *L, const clY_node *v, clP_discount *d)
{
    static const char *const keys[] = {"max_amount"};
    d->target = TG_SHIPPING;
    d->value = 10000;
    if (v->kind != CLY_MAP) {
        if (clY_plain_is(v, "true"))
            return CL_OK;
        return clL_fail(L, v, CL_EVALUE, "free_shipping takes true or { max_amount: \"5.00\" }");
    }
    int rc = clL_check_keys(L, v, keys, CL_COUNTOF(keys));
    const clY_node *m = clY_get(v, "max_amount");
    if (rc == CL_OK && m != NULL) {
        size_t mark = clL_push_key(L, "max_amount");
        rc = clL_amount(L, m, &d->max_amount);
        clL_pop(L, mark);
    }
    return rc;
}

/* The kind's own value. */
static int load_kind(clL_state *L, const clY_node *node, clP_discount *d)
{
    int found = -1;
    for (int k = 0; k < DK__COUNT; k++) {
        if (clY_get(node, kind_keys[k]) == NULL)
            continue;
        if (found >= 0)
            return clL_fail(L, clY_get(node, kind_keys[k]), CL_EVALUE, "a discount has one "
                            "kind; found both %s and %s", kind_keys[found], kind_keys[k]);
        found = k;
    }
    if (found < 0)
        return clL_fail(L, node, CL_EMISSING, "a discount needs one of percent, amount, "
                        "amount_per_item, fixed_price, free_shipping, buy_get or tiers");
    d->kind = (uint8_t)found;
    const clY_node *v = clY_get(node, kind_keys[found]);
    size_t mark = clL_push_key(L, kind_keys[found]);
    int rc;
    switch (found) {
    case DK_PERCENT:
        rc = clL_percent(L, v, &d->value);
        break;
    case DK_BUY_GET:
        rc = load_buy_get(L, v, d);
        break;
    case DK_TIERS:
        rc = load_tiers(L, v, d);
        break;
    case DK_FREE_SHIPPING:
        rc = load_free_shipping(L, v, d);
        break;
    default:
        rc = clL_amount(L, v, &d->value);
        if (rc == CL_OK && d->value == 0 && found != DK_FIXED_PRICE)
            rc = clL_fail(L, v, CL_EVALUE, "a discount of zero gives nothing");
        break;
    }
    clL_pop(L, mark);
    return rc;
}

/*
 * target: order | shipping | { items: LINE_FILTER }
 */
static int load_target(clL_state *L, const clY_node *v, clP_discount *d, const char **desc)
{
    static const char *const keys[] = {"items"};
    *desc = NULL;
    if (v->kind == CLY_SCALAR && strcmp(v->str, "order") == 0) {
        d->target = TG_ORDER;
        return CL_OK;
    }
    if (v->kind == CLY_SCALAR && strcmp(v->str, "shipping") == 0) {
        d->target = TG_SHIPPING;
        return CL_OK;
    }
    if (v->kind != CLY_MAP)
        return clL_fail(L, v, CL_EVALUE, "target is order, shipping or { items: ... }");
    int rc = clL_check_keys(L, v, keys, CL_COUNTOF(keys));
    const clY_node *items = clY_get(v, "items");
    if (rc == CL_OK && items == NULL)
        rc = clL_fail(L, v, CL_EMISSING, "target needs items: a line filter");
    if (rc != CL_OK)
        return rc;
    size_t mark = clL_push_key(L, "items");
    d->target = TG_ITEMS;
    rc = clL_filter(L, items, &d->filter, desc);
    clL_pop(L, mark);
    return rc;
}

/* Caps and switches beside the kind. */
static int load_caps(clL_state *L, const clY_node *node, clP_discount *d)
{
    const clY_node *v;
    size_t mark;
    int rc = CL_OK;
    if ((v = clY_get(node, "max_amount")) != NULL) {
        mark = clL_push_key(L, "max_amount");
        if (d->kind == DK_FREE_SHIPPING && d->max_amount >= 0)
            rc = clL_fail(L, v, CL_EVALUE, "give the cap once, in free_shipping.max_amount");
        else if ((rc = clL_amount(L, v, &d->max_amount)) == CL_OK && d->max_amount == 0)
            rc = clL_fail(L, v, CL_EVALUE, "a cap of zero gives nothing");
        clL_pop(L, mark);
    }
    if (rc == CL_OK && (v = clY_get(node, "max_units")) != NULL) {
        mark = clL_push_key(L, "max_units");
        if (!per_unit(d->kind))
            rc = clL_fail(L, v, CL_EVALUE, "max_units goes with amount_per_item, fixed_price "
                          "or buy_get");
        else
            rc = clL_int(L, v, 1, INT64_MAX, &d->max_units);
        clL_pop(L, mark);
    }
    bool b = false;
    if (rc == CL_OK && (v = clY_get(node, "exclude_sale_items")) != NULL) {
        mark = clL_push_key(L, "exclude_sale_items");
        rc = clL_bool(L, v, &b);
        d->exclude_sale = b;
        clL_pop(L, mark);
    }
    return rc;
}

/* The messages TARGET records when the discount has nothing to work on. */
static int target_messages(clL_state *L, const clY_node *node, clP_discount *d,
                           const char *desc)
{
    char amount[32];
    const char *msg;
    int reason = CL_R_ITEMS;
    if (d->target == TG_SHIPPING) {
        reason = CL_R_SHIPPING;
        msg = "there is no shipping cost to take off";
    } else if (desc != NULL) {
        msg = clL_msg(L, "requires %s%s", desc,
                      d->exclude_sale ? " that is not on sale" : "");
    } else {
        msg = d->exclude_sale ? "requires an item that is not on sale"
                              : "requires an item in the cart";
    }
    int rc = clC_msg(L->b, reason, msg, node->line, &d->msg);
    d->msg2 = CL_NONE;
    if (rc == CL_OK && d->kind == DK_BUY_GET)
        rc = clC_msg(L->b, CL_R_ITEMS,
                     clL_msg(L, "requires at least %lld eligible items (buy %lld, get %lld)",
                             (long long)(d->buy + d->get), (long long)d->buy,
                             (long long)d->get),
                     node->line, &d->msg2);
    if (rc == CL_OK && d->kind == DK_TIERS)
        rc = clC_msg(L->b, CL_R_MIN_SUBTOTAL,
                     clL_msg(L, "spend at least %s on eligible items",
                             clL_fmt_amount(L, L->b->tiers.v[d->tier_first].min, amount,
                                            sizeof amount)),
                     node->line, &d->msg2);
    return rc;
}

int clL_discount(clL_state *L, const clY_node *node, uint32_t *out)
{
    int rc = clL_expect(L, node, CLY_MAP, "a discount such as { percent: 10 }");
    if (rc == CL_OK)
        rc = clL_check_keys(L, node, discount_keys, CL_COUNTOF(discount_keys));
    if (rc != CL_OK)
        return rc;
    clP_discount d = {0};
    d.filter = CL_NONE;
    d.max_amount = d.max_units = d.max_groups = -1;
    d.line = node->line;
    if ((rc = load_kind(L, node, &d)) != CL_OK)
        return rc;
    const char *desc = NULL;
    const clY_node *t = clY_get(node, "target");
    if (t != NULL) {
        size_t mark = clL_push_key(L, "target");
        bool was_shipping = d.kind == DK_FREE_SHIPPING;
        rc = load_target(L, t, &d, &desc);
        if (rc == CL_OK && was_shipping && d.target != TG_SHIPPING)
            rc = clL_fail(L, t, CL_EVALUE, "free_shipping always targets shipping");
        else if (rc == CL_OK && d.target == TG_SHIPPING &&
                 (per_unit(d.kind) || d.kind == DK_TIERS))
            rc = clL_fail(L, t, CL_EVALUE, "%s cannot target shipping", kind_keys[d.kind]);
        clL_pop(L, mark);
    }
    if (rc == CL_OK)
        rc = load_caps(L, node, &d);
    if (rc == CL_OK && d.target == TG_SHIPPING && d.exclude_sale)
        rc = clL_fail(L, clY_get(node, "exclude_sale_items"), CL_EVALUE,
                      "exclude_sale_items does not apply to shipping");
    if (rc == CL_OK)
        rc = target_messages(L, node, &d, desc);
    if (rc != CL_OK)
        return rc;
    if (!CL_PUSH(L->b->env, L->b->discounts, d))
        return clC_oom(L->b);
    *out = (uint32_t)L->b->discounts.n - 1;
    return CL_OK;
}
