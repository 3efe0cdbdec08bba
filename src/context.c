/*
 * context.c - checkout contexts: setters for C callers, and the JSON (or
 * YAML) shape of SPEC section 3.
 */
#include "context.h"

#include "money.h"

#include <stdio.h>

/* ------------------------------------------------------------------------
 * Life cycle
 * ------------------------------------------------------------------------ */

CL_API cl_context *cl_context_new(const cl_env *env)
{
    if (env == NULL)
        return NULL;
    cl_context *ctx = clB_calloc(env, 1, sizeof *ctx);
    if (ctx == NULL)
        return NULL;
    ctx->env = env;
    ctx->exponent = -1;
    return ctx;
}

CL_API void cl_context_clear(cl_context *ctx)
{
    if (ctx == NULL)
        return;
    clT_zone *spare = ctx->zone;
    if (spare == NULL)
        spare = ctx->spare;
    else
        clT_zone_free(ctx->env, ctx->spare);
    const cl_env *env = ctx->env;
    clX_chunk *chunks = ctx->chunks;
    CL_VEC(clX_item) items = {ctx->items.v, 0, ctx->items.cap};
    CL_VEC(int64_t) amounts = {ctx->amounts.v, 0, ctx->amounts.cap};
    CL_VEC(clX_usage) usage = {ctx->usage.v, 0, ctx->usage.cap};
    memset(ctx, 0, sizeof *ctx);
    ctx->env = env;
    ctx->chunks = chunks;           /* the pool starts again at its first block */
    ctx->items.v = items.v;
    ctx->items.cap = items.cap;
    ctx->amounts.v = amounts.v;
    ctx->amounts.cap = amounts.cap;
    ctx->usage.v = usage.v;
    ctx->usage.cap = usage.cap;
    ctx->exponent = -1;
    ctx->spare = spare;
}

CL_API void cl_context_free(cl_context *ctx)
{
    if (ctx == NULL)
        return;
    clT_zone_free(ctx->env, ctx->zone);
    clT_zone_free(ctx->env, ctx->spare);
    for (clX_chunk *c = ctx->chunks, *next; c != NULL; c = next) {
        next = c->next;
        clB_free(ctx->env, c, sizeof *c + c->size);
    }
    CL_VEC_FREE(ctx->env, ctx->items);
    CL_VEC_FREE(ctx->env, ctx->amounts);
    CL_VEC_FREE(ctx->env, ctx->usage);
    clB_free(ctx->env, ctx, sizeof *ctx);
}

/* ------------------------------------------------------------------------
 * Strings and lists in the pool
 * ------------------------------------------------------------------------ */

/* The pool's blocks hold at least this many bytes. */
#define CHUNK_SIZE 4096

/* The next block of the pool with room for n bytes: the one after the
 * block in use when it is big enough (kept from before a clear), else a
 * new one put there. */
static clX_chunk *next_chunk(cl_context *ctx, size_t n)
{
    clX_chunk *at = ctx->chunk ? ctx->chunk->next : ctx->chunks;
    if (at != NULL && at->size >= n)
        return at;
    size_t size = n > CHUNK_SIZE ? n : CHUNK_SIZE;
    if (size > SIZE_MAX - sizeof(clX_chunk))
        return NULL;
    clX_chunk *c = clB_alloc(ctx->env, sizeof *c + size);
    if (c == NULL)
        return NULL;
    c->size = size;
    c->next = at;
    if (ctx->chunk != NULL)
        ctx->chunk->next = c;
    else
        ctx->chunks = c;
    return c;
}

/* n bytes (8-byte aligned, not zeroed) that live until the context is
 * cleared, or NULL when out of memory. */
static void *bump(cl_context *ctx, size_t n)
{
    if (n > SIZE_MAX - 7)
        return NULL;
    n = (n + 7) & ~(size_t)7;
    if (CL_UNLIKELY(n > ctx->bump_left)) {
        clX_chunk *c = next_chunk(ctx, n);
        if (c == NULL)
            return NULL;
        ctx->chunk = c;
        ctx->bump = c->data;
        ctx->bump_left = c->size;
    }
    void *p = ctx->bump;
    ctx->bump += n;
    ctx->bump_left -= n;
    return p;
}

/* CL_OK, CL_ELIMIT (longer than CL_LIMIT_STRING) or CL_ENOMEM. */
static int copy_str(cl_context *ctx, const char *s, size_t n, clX_str *out)
{
    if (n > ctx->env->limits[CL_LIMIT_STRING] || n > UINT32_MAX)
        return CL_ELIMIT;
    char *p = bump(ctx, n + 1);
    if (p == NULL)
        return CL_ENOMEM;
    memcpy(p, s, n);
    p[n] = '\0';
    out->p = p;
    out->n = (uint32_t)n;
    return CL_OK;
}

static int list_add(cl_context *ctx, clX_list *l, const char *s, size_t n)
{
    if (n > ctx->env->limits[CL_LIMIT_STRING])
        return CL_ELIMIT;
    if (l->n >= ctx->env->limits[CL_LIMIT_LIST])
        return CL_ELIMIT;
    if (l->n == l->cap) {
        uint32_t cap = l->cap ? l->cap * 2 : 4;
        clX_str *v = bump(ctx, cap * sizeof *v);
        if (v == NULL)
            return CL_ENOMEM;
        if (l->n)
            memcpy(v, l->v, l->n * sizeof *v);
        l->v = v;
        l->cap = cap;
    }
    int rc = copy_str(ctx, s, n, &l->v[l->n]);
    if (rc != CL_OK)
        return rc;
    l->n++;
    return CL_OK;
}

/* ------------------------------------------------------------------------
 * Setters
 * ------------------------------------------------------------------------ */

/* The internal field of a public string field, or -1. */
static int str_field(cl_field f)
{
    switch (f) {
    case CL_FIELD_USER_ID: return FLD_USER_ID;
    case CL_FIELD_USER_EMAIL: return FLD_USER_EMAIL;
    case CL_FIELD_ORDER_NUMBER: return FLD_ORDER_NUMBER;
    case CL_FIELD_PAYMENT_METHOD: return FLD_PAYMENT_METHOD;
    case CL_FIELD_PAYMENT_NETWORK: return FLD_PAYMENT_NETWORK;
    case CL_FIELD_PAYMENT_BIN: return FLD_PAYMENT_BIN;
    case CL_FIELD_PAYMENT_WALLET: return FLD_PAYMENT_WALLET;
    case CL_FIELD_SHIPPING_METHOD: return FLD_SHIPPING_METHOD;
    case CL_FIELD_SHIPPING_COUNTRY: return FLD_SHIPPING_COUNTRY;
    default: return -1;
    }
}

static int int_field(cl_field f)
{
    switch (f) {
    case CL_FIELD_USER_ORDERS_COMPLETED: return FLD_USER_ORDERS;
    case CL_FIELD_ORDER_SERIAL: return FLD_ORDER_SERIAL;
    case CL_FIELD_ORDER_SEQUENCE: return FLD_ORDER_SEQUENCE;
    default: return -1;
    }
}

CL_API cl_status cl_context_set_now(cl_context *ctx, int64_t unix_seconds)
{
    if (ctx == NULL)
        return CL_EINVAL;
    ctx->now = unix_seconds;
    ctx->has_now = 1;
    return CL_OK;
}

int clX_set_zone(cl_context *ctx, const char *name, size_t n, cl_error *err)
{
    clT_zone *z = NULL;
    if (name != NULL) {
        if (ctx->spare != NULL && strlen(ctx->spare->name) == n &&
            memcmp(ctx->spare->name, name, n) == 0) {
            z = ctx->spare;
            ctx->spare = NULL;
        } else if (ctx->zone != NULL && strlen(ctx->zone->name) == n &&
                   memcmp(ctx->zone->name, name, n) == 0) {
            return CL_OK;
        } else {
            int rc = clT_zone_load(ctx->env, name, n, &z, err);
            if (rc != CL_OK)
                return rc;
        }
    }
    clT_zone_free(ctx->env, ctx->zone);
    ctx->zone = z;
    return CL_OK;
}

CL_API cl_status cl_context_set_timezone(cl_context *ctx, const char *zone)
{
    if (ctx == NULL)
        return CL_EINVAL;
    return (cl_status)clX_set_zone(ctx, zone, zone ? strlen(zone) : 0, NULL);
}

CL_API cl_status cl_context_set_currency(cl_context *ctx, const char *currency)
{
    if (ctx == NULL || currency == NULL)
        return CL_EINVAL;
    size_t n = strlen(currency);
    int e = clM_exponent(currency, n);
    if (e < 0)
        return CL_ECURRENCY;
    memcpy(ctx->currency, currency, 4);
    ctx->exponent = e;
    ctx->str[FLD_CURRENCY].p = ctx->currency;
    ctx->str[FLD_CURRENCY].n = 3;
    return CL_OK;
}

CL_API cl_status cl_context_set_string(cl_context *ctx, cl_field field, const char *value)
{
    return (cl_status)clX_set_string(ctx, field, value, value ? strlen(value) : 0);
}

int clX_set_string(cl_context *ctx, cl_field field, const char *value, size_t n)
{
    int f = str_field(field);
    if (ctx == NULL || f < 0)
        return CL_EINVAL;
    if (value == NULL) {
        ctx->str[f].p = NULL;
        ctx->str[f].n = 0;
        return CL_OK;
    }
    return copy_str(ctx, value, n, &ctx->str[f]);
}

CL_API cl_status cl_context_set_int(cl_context *ctx, cl_field field, int64_t value)
{
    int f = int_field(field);
    if (ctx == NULL || f < 0 || value < 0 || (f == FLD_ORDER_SEQUENCE && value < 1))
        return CL_EINVAL;
    ctx->ints[f - FLD_FIRST_INT] = value;
    ctx->has_int[f - FLD_FIRST_INT] = 1;
    return CL_OK;
}

CL_API cl_status cl_context_set_amount(cl_context *ctx, cl_field field, int64_t minor)
{
    if (ctx == NULL || field != CL_FIELD_SHIPPING_AMOUNT || minor < 0)
        return CL_EINVAL;
    ctx->shipping = minor;
    ctx->has_shipping = 1;
    return CL_OK;
}

CL_API cl_status cl_context_set_date(cl_context *ctx, cl_field field, int year, int month,
                                     int day)
{
    if (ctx == NULL || month < 1 || month > 12 || day < 1 || year < -100000 || year > 100000 ||
        day > clT_days_in_month(year, month))
        return CL_EINVAL;
    int64_t days = clT_days_from_civil(year, month, day);
    if (field == CL_FIELD_USER_BIRTHDAY) {
        ctx->birthday = days;
        ctx->has_birthday = 1;
    } else if (field == CL_FIELD_USER_SIGNUP_DATE) {
        ctx->signup = days;
        ctx->has_signup = 1;
    } else {
        return CL_EINVAL;
    }
    return CL_OK;
}

CL_API cl_status cl_context_unset(cl_context *ctx, cl_field field)
{
    if (ctx == NULL)
        return CL_EINVAL;
    int f;
    if ((f = str_field(field)) >= 0) {
        ctx->str[f].p = NULL;
        ctx->str[f].n = 0;
    } else if ((f = int_field(field)) >= 0) {
        ctx->has_int[f - FLD_FIRST_INT] = 0;
    } else if (field == CL_FIELD_SHIPPING_AMOUNT) {
        ctx->has_shipping = 0;
    } else if (field == CL_FIELD_USER_BIRTHDAY) {
        ctx->has_birthday = 0;
    } else if (field == CL_FIELD_USER_SIGNUP_DATE) {
        ctx->has_signup = 0;
    } else {
        return CL_EINVAL;
    }
    return CL_OK;
}

CL_API cl_status cl_context_add_code(cl_context *ctx, const char *code)
{
    if (ctx == NULL || code == NULL)
        return CL_EINVAL;
    return (cl_status)list_add(ctx, &ctx->codes, code, strlen(code));
}

CL_API cl_status cl_context_add_user_tag(cl_context *ctx, const char *tag)
{
    if (ctx == NULL || tag == NULL)
        return CL_EINVAL;
    return (cl_status)list_add(ctx, &ctx->user_tags, tag, strlen(tag));
}

int clX_add_code(cl_context *ctx, const char *code, size_t n)
{
    return list_add(ctx, &ctx->codes, code, n);
}

int clX_add_user_tag(cl_context *ctx, const char *tag, size_t n)
{
    return list_add(ctx, &ctx->user_tags, tag, n);
}

int clX_add_item(cl_context *ctx, const char *sku, size_t n, int64_t quantity,
                 int64_t unit_price, size_t *index)
{
    if (quantity <= 0 || unit_price < 0)
        return CL_EINVAL;
    if (ctx->items.n >= ctx->env->limits[CL_LIMIT_ITEMS])
        return CL_ELIMIT;
    int64_t amount, subtotal, qty;
    if (!clM_mul(quantity, unit_price, &amount) ||
        !clM_add(ctx->subtotal, amount, &subtotal) || !clM_add(ctx->quantity, quantity, &qty))
        return CL_EOVERFLOW;
    if (!CL_RESERVE(ctx->env, ctx->amounts, 1) || !CL_RESERVE(ctx->env, ctx->items, 1))
        return CL_ENOMEM;
    clX_str copy;
    int rc = copy_str(ctx, sku, n, &copy);
    if (rc != CL_OK)
        return (cl_status)rc;
    clX_item *it = &ctx->items.v[ctx->items.n++];
    memset(it, 0, sizeof *it);
    it->sku = copy;
    it->quantity = quantity;
    it->unit_price = unit_price;
    it->amount = amount;
    ctx->amounts.v[ctx->amounts.n++] = amount;
    ctx->subtotal = subtotal;
    ctx->quantity = qty;
    if (index != NULL)
        *index = ctx->items.n - 1;
    return CL_OK;
}

CL_API cl_status cl_context_add_item(cl_context *ctx, const char *sku, int64_t quantity,
                                     int64_t unit_price, size_t *index)
{
    if (ctx == NULL || sku == NULL)
        return CL_EINVAL;
    return (cl_status)clX_add_item(ctx, sku, strlen(sku), quantity, unit_price, index);
}

/* Prefixes of one category path looked at in one pass; a longer path takes
 * the general way. */
#define FEW_PREFIXES 8

/* Grows line it's prefixes to hold `more` more. */
static int reserve_prefixes(cl_context *ctx, clX_item *it, uint32_t more)
{
    if (it->nprefixes + more <= it->prefixes_cap)
        return CL_OK;
    uint32_t cap = it->prefixes_cap ? it->prefixes_cap * 2 : 4;
    while (cap < it->nprefixes + more)
        cap *= 2;
    clX_prefix *v = bump(ctx, cap * sizeof *v);
    if (v == NULL)
        return CL_ENOMEM;
    if (it->nprefixes)
        memcpy(v, it->prefixes, it->nprefixes * sizeof *v);
    it->prefixes = v;
    it->prefixes_cap = cap;
    return CL_OK;
}

/* Records category path c of line it, and each of its ancestors ("a",
 * "a/b" of "a/b/c"), with their hashes. */
static int add_prefixes(cl_context *ctx, clX_item *it, const clX_str *c)
{
    uint32_t h = CLP_HASH_START;
    for (uint32_t k = 0; k <= c->n; k++) {
        if (k == c->n || c->p[k] == '/') {
            if (reserve_prefixes(ctx, it, 1) != CL_OK)
                return CL_ENOMEM;
            uint32_t full = clP_hash_final(h);
            it->prefixes[it->nprefixes++] = (clX_prefix){c->p, k, full};
            it->cat_bloom |= (uint64_t)1 << (full >> 26);
            if (k == c->n)
                break;
        }
        h = clP_hash_step(h, (unsigned char)c->p[k], false);
    }
    return CL_OK;
}

CL_API cl_status cl_context_item_add_category(cl_context *ctx, size_t index, const char *path)
{
    if (ctx == NULL || path == NULL || index >= ctx->items.n)
        return CL_EINVAL;
    return (cl_status)clX_add_category(ctx, index, path, strlen(path));
}

int clX_add_category(cl_context *ctx, size_t index, const char *path, size_t n)
{
    clX_item *it = &ctx->items.v[index];
    if (n > ctx->env->limits[CL_LIMIT_STRING] || n > UINT32_MAX ||
        it->categories.n >= ctx->env->limits[CL_LIMIT_LIST])
        return CL_ELIMIT;
    /* The prefixes' ends and hashes, in one pass over the path. */
    uint32_t ends[FEW_PREFIXES], hashes[FEW_PREFIXES], np = 0, h = CLP_HASH_START;
    for (size_t k = 0; k < n && np < FEW_PREFIXES; k++) {
        unsigned char ch = (unsigned char)path[k];
        if (ch == '/') {
            ends[np] = (uint32_t)k;
            hashes[np++] = clP_hash_final(h);
        }
        h = clP_hash_step(h, ch, false);
    }
    bool few = np < FEW_PREFIXES;
    if (few) {
        ends[np] = (uint32_t)n;
        hashes[np++] = clP_hash_final(h);
    }
    /* The list, the copy of the path and the prefixes: a line's first
     * category takes them in one piece of the pool. */
    clX_list *l = &it->categories;
    if (l->n == 0 && l->cap == 0 && it->prefixes_cap == 0 && few) {
        uint32_t pcap = np > 4 ? FEW_PREFIXES : 4;
        char *blk = bump(ctx, 4 * sizeof(clX_str) + pcap * sizeof(clX_prefix) + n + 1);
        if (blk == NULL)
            return CL_ENOMEM;
        l->v = (clX_str *)(void *)blk;
        l->cap = 4;
        it->prefixes = (clX_prefix *)(void *)(blk + 4 * sizeof(clX_str));
        it->prefixes_cap = pcap;
        char *p = blk + 4 * sizeof(clX_str) + pcap * sizeof(clX_prefix);
        memcpy(p, path, n);
        p[n] = '\0';
        l->v[0] = (clX_str){p, (uint32_t)n};
        l->n = 1;
        for (uint32_t i = 0; i < np; i++) {
            it->prefixes[i] = (clX_prefix){p, ends[i], hashes[i]};
            it->cat_bloom |= (uint64_t)1 << (hashes[i] >> 26);
        }
        it->nprefixes = np;
        return CL_OK;
    }
    uint32_t had = it->nprefixes;
    uint64_t bloom = it->cat_bloom;
    int rc = list_add(ctx, l, path, n);
    if (rc == CL_OK && (rc = add_prefixes(ctx, it, &l->v[l->n - 1])) != CL_OK) {
        l->n--;                   /* as if the call had not been made */
        it->nprefixes = had;
        it->cat_bloom = bloom;
    }
    return rc;
}

CL_API cl_status cl_context_item_add_tag(cl_context *ctx, size_t index, const char *tag)
{
    if (ctx == NULL || tag == NULL || index >= ctx->items.n)
        return CL_EINVAL;
    return (cl_status)list_add(ctx, &ctx->items.v[index].tags, tag, strlen(tag));
}

int clX_add_item_tag(cl_context *ctx, size_t index, const char *tag, size_t n)
{
    return list_add(ctx, &ctx->items.v[index].tags, tag, n);
}

CL_API cl_status cl_context_item_set_on_sale(cl_context *ctx, size_t index, bool on_sale)
{
    if (ctx == NULL || index >= ctx->items.n)
        return CL_EINVAL;
    clX_item *it = &ctx->items.v[index];
    ctx->on_sale += (uint32_t)on_sale - (uint32_t)(it->on_sale != 0);
    it->on_sale = on_sale;
    return CL_OK;
}

CL_API cl_status cl_context_set_usage(cl_context *ctx, const char *code, int64_t total,
                                      int64_t user, int64_t spent)
{
    if (ctx == NULL || code == NULL)
        return CL_EINVAL;
    return (cl_status)clX_set_usage(ctx, code, strlen(code), total, user, spent);
}

int clX_set_usage(cl_context *ctx, const char *code, size_t n, int64_t total, int64_t user,
                  int64_t spent)
{
    if (total < 0 || user < 0 || spent < 0)
        return CL_EINVAL;
    for (size_t i = 0; i < ctx->usage.n; i++) {
        clX_usage *u = &ctx->usage.v[i];
        if (clB_ieq(u->code.p, u->code.n, code, n)) {
            u->total = total;
            u->user = user;
            u->spent = spent;
            return CL_OK;
        }
    }
    if (ctx->usage.n >= ctx->env->limits[CL_LIMIT_LIST])
        return CL_ELIMIT;
    clX_usage u = {{NULL, 0}, total, user, spent};
    int rc = copy_str(ctx, code, n, &u.code);
    if (rc != CL_OK)
        return (cl_status)rc;
    if (!CL_PUSH(ctx->env, ctx->usage, u))
        return CL_ENOMEM;
    return CL_OK;
}

CL_API size_t cl_context_item_count(const cl_context *ctx)
{
    return ctx ? ctx->items.n : 0;
}

CL_API const char *cl_context_currency(const cl_context *ctx)
{
    return ctx ? ctx->currency : "";
}

CL_API const char *cl_context_item_sku(const cl_context *ctx, size_t index)
{
    return ctx && index < ctx->items.n ? ctx->items.v[index].sku.p : NULL;
}

/* ------------------------------------------------------------------------
 * Reading
 * ------------------------------------------------------------------------ */

/* Whether two codes are the same, ignoring case: most are written alike,
 * so an exact comparison decides first. */
static inline bool same_code(const clX_str *a, const char *code, size_t n)
{
    return a->n == n && (memcmp(a->p, code, n) == 0 || clB_ieq(a->p, n, code, n));
}

const clX_usage *clX_usage_of(const cl_context *ctx, const char *code, size_t n)
{
    for (size_t i = 0; i < ctx->usage.n; i++)
        if (same_code(&ctx->usage.v[i].code, code, n))
            return &ctx->usage.v[i];
    return NULL;
}

bool clX_entered(const cl_context *ctx, const char *code, size_t n)
{
    for (uint32_t i = 0; i < ctx->codes.n; i++)
        if (same_code(&ctx->codes.v[i], code, n))
            return true;
    return false;
}

bool clX_int(const cl_context *ctx, int field, int64_t *out)
{
    int k = field - FLD_FIRST_INT;
    if (field == FLD_CART_QUANTITY) {
        *out = ctx->quantity;
        return true;
    }
    if (ctx->has_int[k]) {
        *out = ctx->ints[k];
        return true;
    }
    if (field == FLD_ORDER_SEQUENCE && ctx->has_int[FLD_USER_ORDERS - FLD_FIRST_INT] &&
        ctx->ints[FLD_USER_ORDERS - FLD_FIRST_INT] < INT64_MAX) {
        *out = ctx->ints[FLD_USER_ORDERS - FLD_FIRST_INT] + 1;
        return true;
    }
    return false;
}
