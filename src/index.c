/*
 * index.c - the catalog index: which automatic coupons could apply to a
 * cart, found without running them.
 *
 * Every coupon's code is a list of segments, each a condition ending in the
 * REQUIRE (or GUARD) that records its failure; a coupon applies only when
 * every segment holds. Some segments are simple enough to read off the
 * bytecode exactly (so the index is sound for saved programs as for freshly
 * compiled ones, and cannot drift from the compiler):
 *
 *     LOAD_STR f; STR_EQ s | STR_IN set; REQUIRE     field f is s / in set
 *     ITEMS filter; REQUIRE                          a line matches filter
 *     TARGET discount                                a line is eligible
 *     WEEKDAY mask; REQUIRE                          the local weekday
 *     VALID dir form t; REQUIRE                      the validity window
 *     LOAD_STR currency; STR_EQ c; GUARD             the currency
 *
 * From these each automatic coupon gets one key, a value the cart must
 * have for the coupon to apply: the user (owner, user.id), a SKU or a
 * category of some line (from a line filter of `when` or of the discount's
 * target), a payment wallet, network or method, a shipping method or
 * country, in that order of preference. The coupon is posted under every
 * member of its key's set; coupons without a key go to a general list.
 * A query looks up the cart's values (its user, each line's SKU, each
 * category path and its ancestors, the payment and shipping fields), takes
 * the general list, and drops coupons whose currency, local weekday or
 * validity window rules them out; only what is left is evaluated.
 */
#include "vm.h"

#include "index.h"

#include <stdlib.h>

/* Kinds of key, in order of preference (more selective first). */
enum {
    K_USER, K_SKU, K_CATEGORY, K_WALLET, K_NETWORK, K_METHOD, K_SHIP_METHOD, K_COUNTRY,
    K__COUNT, K_NONE = 0xff
};

/* The context field each field-based kind reads. */
static const uint8_t kind_field[K__COUNT] = {
    [K_USER] = FLD_USER_ID,          [K_SKU] = 0,
    [K_CATEGORY] = 0,                [K_WALLET] = FLD_PAYMENT_WALLET,
    [K_NETWORK] = FLD_PAYMENT_NETWORK, [K_METHOD] = FLD_PAYMENT_METHOD,
    [K_SHIP_METHOD] = FLD_SHIPPING_METHOD, [K_COUNTRY] = FLD_SHIPPING_COUNTRY,
};

static int field_kind(unsigned field)
{
    for (int k = 0; k < K__COUNT; k++)
        if (k != K_SKU && k != K_CATEGORY && kind_field[k] == field)
            return k;
    return K_NONE;
}

/* A key's values: one string or a (case-sensitive) set of a unit. */
typedef struct keyval {
    uint8_t kind;
    uint8_t is_set;
    uint32_t ref;         /* string or set index */
    uint32_t size;        /* members */
} keyval;

/* One posting list in the hash table. */
typedef struct slot {
    uint32_t hash;
    uint8_t kind;
    uint8_t used;
    const char *s;
    uint32_t n;
    uint32_t first, count;   /* into postings */
} slot;

/* What a query checks of a coupon before running it. */
typedef struct prefilter {
    const char *currency;    /* required currency, or NULL */
    uint8_t weekday;         /* allowed local weekdays; 0x7f = every day */
    uint8_t from_set, from_local, until_set, until_local;
    int64_t from, until;
    uint8_t automatic;
} prefilter;

struct clI_index {
    slot *slots;
    size_t nslots;           /* power of two */
    uint32_t *postings;
    size_t npostings, postings_cap;
    uint32_t *general;       /* automatic coupons without a key */
    size_t ngeneral, general_cap;
    prefilter *pre;          /* per coupon */
    size_t pre_cap;
};

/* ------------------------------------------------------------------------
 * Reading the segments of a coupon
 * ------------------------------------------------------------------------ */

static bool plain_set(const clP_unit *u, uint32_t set)
{
    return !u->sets[set].fold && u->sets[set].count > 0;
}

/* The key a line filter gives: its SKU (one EQ or IN predicate) or its
 * categories. */
static keyval filter_key(const clP_unit *u, uint32_t fi)
{
    const clP_filter *f = &u->filters[fi];
    keyval none = {K_NONE, 0, 0, 0};
    if (f->sku_count == 1) {
        const clP_spred *p = &u->spreds[f->sku_first];
        if (p->kind == SP_EQ)
            return (keyval){K_SKU, 0, p->arg, 1};
        if (p->kind == SP_IN && plain_set(u, p->arg))
            return (keyval){K_SKU, 1, p->arg, u->sets[p->arg].count};
    }
    if (f->cat != CL_NONE && plain_set(u, f->cat))
        return (keyval){K_CATEGORY, 1, f->cat, u->sets[f->cat].count};
    return none;
}

/* Whether a beats b as a key. */
static bool better_key(const keyval *a, const keyval *b)
{
    if (a->kind == K_NONE)
        return false;
    if (b->kind == K_NONE)
        return true;
    return a->kind < b->kind || (a->kind == b->kind && a->size < b->size);
}

/* Reads the segments of coupon c: its key and its prefilter. */
static void read_coupon(const clP_unit *u, const clP_coupon *c, uint32_t end, keyval *key,
                        prefilter *pre)
{
    const clP_insn *code = u->code;
    *key = (keyval){K_NONE, 0, 0, 0};
    memset(pre, 0, sizeof *pre);
    pre->weekday = 0x7f;
    pre->automatic = c->automatic;
    uint32_t start = c->entry;
    for (uint32_t pc = c->entry; pc < end; pc++) {
        const clP_insn *in = &code[pc];
        keyval k = {K_NONE, 0, 0, 0};
        if (in->op == OP_TARGET) {
            const clP_discount *d = &u->discounts[in->c];
            if (d->target == TG_ITEMS)
                k = filter_key(u, d->filter);
        }
        if (in->op != OP_REQUIRE && in->op != OP_GUARD) {
            if (better_key(&k, key))
                *key = k;
            if (in->op == OP_TARGET)
                start = pc + 1;
            continue;
        }
        uint32_t len = pc - start;
        const clP_insn *s = &code[start];
        if (len == 2 && s[0].op == OP_LOAD_STR && s[0].c == pc &&
            (s[1].op == OP_STR_EQ || (s[1].op == OP_STR_IN && plain_set(u, s[1].c)))) {
            if (s[0].a == FLD_CURRENCY && s[1].op == OP_STR_EQ) {
                pre->currency = clP_text(u, s[1].c);
            } else {
                bool is_set = s[1].op == OP_STR_IN;
                k = (keyval){(uint8_t)field_kind(s[0].a), is_set, s[1].c,
                             is_set ? u->sets[s[1].c].count : 1};
            }
        } else if (len == 1 && s[0].op == OP_ITEMS) {
            k = filter_key(u, s[0].c);
        } else if (len == 1 && s[0].op == OP_WEEKDAY) {
            pre->weekday &= (uint8_t)s[0].a;
        } else if (len == 1 && s[0].op == OP_VALID) {
            if (s[0].a == 0) {
                pre->from_set = 1;
                pre->from_local = s[0].b == 1;
                pre->from = u->ints[s[0].c];
            } else {
                pre->until_set = 1;
                pre->until_local = s[0].b == 1;
                pre->until = u->ints[s[0].c];
            }
        }
        if (better_key(&k, key))
            *key = k;
        start = pc + 1;
    }
}

/* ------------------------------------------------------------------------
 * Building
 * ------------------------------------------------------------------------ */

static uint32_t key_hash(int kind, const char *s, size_t n)
{
    return clP_hash(s, n, false) * 31u + (uint32_t)kind;
}

/* The slot of (kind, s) in the table: its own, or the empty one it would
 * take. */
static slot *find(const clI_index *x, int kind, const char *s, size_t n, uint32_t h)
{
    size_t mask = x->nslots - 1;
    for (size_t i = h & mask;; i = (i + 1) & mask) {
        slot *sl = &x->slots[i];
        if (!sl->used || (sl->hash == h && sl->kind == kind && clB_eq(sl->s, sl->n, s, n)))
            return sl;
    }
}

/* Calls fn for every member of a key. */
typedef void (*member_fn)(clI_index *x, int kind, const char *s, size_t n, uint32_t coupon);

static void each_member(clI_index *x, const clP_unit *u, const keyval *k, uint32_t coupon,
                        member_fn fn)
{
    if (!k->is_set) {
        fn(x, k->kind, clP_text(u, k->ref), u->strs[k->ref].len, coupon);
        return;
    }
    const clP_set *set = &u->sets[k->ref];
    for (uint32_t i = 0; i < set->count; i++) {
        uint32_t str = u->items[set->first + i];
        fn(x, k->kind, clP_text(u, str), u->strs[str].len, coupon);
    }
}

/* First pass: count each posting list. */
static void count_member(clI_index *x, int kind, const char *s, size_t n, uint32_t coupon)
{
    CL_UNUSED(coupon);
    uint32_t h = key_hash(kind, s, n);
    slot *sl = find(x, kind, s, n, h);
    if (!sl->used) {
        *sl = (slot){h, (uint8_t)kind, 1, s, (uint32_t)n, 0, 0};
    }
    sl->count++;
}

/* Second pass: fill them (count is reused as the fill level). */
static void post_member(clI_index *x, int kind, const char *s, size_t n, uint32_t coupon)
{
    slot *sl = find(x, kind, s, n, key_hash(kind, s, n));
    x->postings[sl->first + sl->count++] = coupon;
}

void clI_free(const cl_env *env, clI_index *x)
{
    if (x == NULL)
        return;
    clB_free(env, x->slots, x->nslots * sizeof *x->slots);
    clB_free(env, x->postings, x->postings_cap * sizeof *x->postings);
    clB_free(env, x->general, x->general_cap * sizeof *x->general);
    clB_free(env, x->pre, x->pre_cap * sizeof *x->pre);
    clB_free(env, x, sizeof *x);
}

/* Reads every coupon; *members gets the size of all posting lists. */
static void read_all(const cl_program *p, clI_index *x, keyval *keys, size_t *members)
{
    *members = 0;
    x->ngeneral = 0;
    for (size_t i = 0; i < p->ncoupons; i++) {
        const clP_unit *u;
        const clP_coupon *c = clP_coupon_of(p, i, &u);
        uint32_t idx = p->coupons[i].index;
        uint32_t end = idx + 1 < u->n_coupons ? u->coupons[idx + 1].entry : u->n_code;
        read_coupon(u, c, end, &keys[i], &x->pre[i]);
        if (!c->automatic)
            keys[i].kind = K_NONE;   /* found by its code, never by the index */
        else if (keys[i].kind == K_NONE)
            x->ngeneral++;
        else
            *members += keys[i].size;
    }
}

/* Lays the posting lists out: counts, offsets, then the postings. */
static void post_all(const cl_program *p, clI_index *x, const keyval *keys)
{
    size_t ngen = 0;
    for (size_t i = 0; i < p->ncoupons; i++) {
        const clP_unit *u;
        const clP_coupon *c = clP_coupon_of(p, i, &u);
        if (keys[i].kind != K_NONE)
            each_member(x, u, &keys[i], (uint32_t)i, count_member);
        else if (c->automatic)
            x->general[ngen++] = (uint32_t)i;
    }
    uint32_t at = 0;
    for (size_t i = 0; i < x->nslots; i++) {
        if (x->slots[i].used) {
            x->slots[i].first = at;
            at += x->slots[i].count;
            x->slots[i].count = 0;
        }
    }
    x->npostings = at;
    for (size_t i = 0; i < p->ncoupons; i++) {
        const clP_unit *u;
        clP_coupon_of(p, i, &u);
        if (keys[i].kind != K_NONE)
            each_member(x, u, &keys[i], (uint32_t)i, post_member);
    }
}

int clI_build(cl_program *p, cl_error *err)
{
    const cl_env *env = p->env;
    size_t nc = p->ncoupons ? p->ncoupons : 1, members = 0;
    clI_index *x = clB_calloc(env, 1, sizeof *x);
    keyval *keys = clB_calloc(env, nc, sizeof *keys);
    if (x == NULL || keys == NULL)
        goto oom;
    x->pre = clB_calloc(env, nc, sizeof *x->pre);
    if (x->pre == NULL)
        goto oom;
    x->pre_cap = nc;
    read_all(p, x, keys, &members);
    x->nslots = 16;
    while (x->nslots < 2 * members)
        x->nslots *= 2;
    x->slots = clB_calloc(env, x->nslots, sizeof *x->slots);
    if (x->slots == NULL) {
        x->nslots = 0;
        goto oom;
    }
    x->postings_cap = members ? members : 1;
    x->postings = clB_alloc(env, x->postings_cap * sizeof *x->postings);
    if (x->postings == NULL) {
        x->postings_cap = 0;
        goto oom;
    }
    x->general_cap = x->ngeneral ? x->ngeneral : 1;
    x->general = clB_alloc(env, x->general_cap * sizeof *x->general);
    if (x->general == NULL) {
        x->general_cap = 0;
        goto oom;
    }
    post_all(p, x, keys);
    clB_free(env, keys, nc * sizeof *keys);
    p->index = x;
    return CL_OK;
oom:
    clB_free(env, keys, nc * sizeof *keys);
    clI_free(env, x);
    return clE_set(err, CL_ENOMEM, (cl_pos){0, 0, 0}, "out of memory");
}

/* ------------------------------------------------------------------------
 * Queries
 * ------------------------------------------------------------------------ */

typedef struct query {
    cl_vm *vm;
    const cl_program *p;
    const cl_context *ctx;
    const clI_index *x;
    uint32_t epoch;
    struct {
        const clT_zone *z;
        int weekday;
    } wd[8];                  /* local weekdays of the zones met so far */
    size_t nwd;
    bool oom;
} query;

static int weekday_in(query *q, const clT_zone *z)
{
    for (size_t i = 0; i < q->nwd; i++)
        if (q->wd[i].z == z)
            return q->wd[i].weekday;
    int wd = clT_localize(z, q->ctx->now).weekday;
    if (q->nwd < CL_COUNTOF(q->wd)) {
        q->wd[q->nwd].z = z;
        q->wd[q->nwd++].weekday = wd;
    }
    return wd;
}

/* Whether coupon i survives its prefilter: the VM would fail it otherwise. */
static bool passes(query *q, size_t i)
{
    const prefilter *pre = &q->x->pre[i];
    const cl_context *ctx = q->ctx;
    if (pre->currency != NULL && strcmp(pre->currency, ctx->currency) != 0)
        return false;
    if (pre->weekday == 0x7f && !pre->from_set && !pre->until_set)
        return true;
    const clP_unit *u;
    const clP_coupon *c = clP_coupon_of(q->p, i, &u);
    const clT_zone *z = c->zone != CL_NONE ? u->zones[c->zone] : ctx->zone;
    if (pre->weekday != 0x7f && !((pre->weekday >> weekday_in(q, z)) & 1))
        return false;
    if (pre->from_set) {
        int64_t t = pre->from_local ? clT_local_to_instant(z, pre->from) : pre->from;
        if (ctx->now < t)
            return false;
    }
    if (pre->until_set) {
        int64_t t = pre->until_local ? clT_local_to_instant(z, pre->until) : pre->until;
        if (ctx->now >= t)
            return false;
    }
    return true;
}

static void add(query *q, uint32_t i, bool check)
{
    clI_scratch *s = &q->vm->ix;
    if (s->stamp[i] == q->epoch)
        return;
    s->stamp[i] = q->epoch;
    if (check && !passes(q, i))
        return;
    if (!CL_PUSH(q->vm->env, s->out, i))
        q->oom = true;
}

static void lookup(query *q, int kind, const char *s, size_t n)
{
    const clI_index *x = q->x;
    const slot *sl = find(x, kind, s, n, key_hash(kind, s, n));
    for (uint32_t k = 0; sl->used && k < sl->count; k++)
        add(q, x->postings[sl->first + k], true);
}

static void lookup_field(query *q, int kind)
{
    const clX_str *s = &q->ctx->str[kind_field[kind]];
    if (s->p != NULL)
        lookup(q, kind, s->p, s->n);
}

/* A line's category path and each of its ancestors ("a/b/c": "a", "a/b",
 * "a/b/c"), as the subtree rule of SPEC section 3 matches them. */
static void lookup_category(query *q, const clX_str *c)
{
    for (uint32_t i = 1; i <= c->n; i++)
        if (i == c->n || c->p[i] == '/')
            lookup(q, K_CATEGORY, c->p, i);
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

static bool reserve_stamps(cl_vm *vm, size_t n)
{
    clI_scratch *s = &vm->ix;
    if (s->stamp_cap >= n)
        return true;
    uint32_t *st = clB_calloc(vm->env, n, sizeof *st);
    if (st == NULL)
        return false;
    clB_free(vm->env, s->stamp, s->stamp_cap * sizeof *s->stamp);
    s->stamp = st;
    s->stamp_cap = n;
    s->epoch = 0;
    return true;
}

int clI_candidates(cl_vm *vm, const cl_program *p, const cl_context *ctx,
                   const uint32_t **out, size_t *n)
{
    clI_scratch *s = &vm->ix;
    if (!reserve_stamps(vm, p->ncoupons ? p->ncoupons : 1))
        return CL_ENOMEM;
    if (++s->epoch == 0) {
        memset(s->stamp, 0, s->stamp_cap * sizeof *s->stamp);
        s->epoch = 1;
    }
    s->out.n = 0;
    query q = {.vm = vm, .p = p, .ctx = ctx, .x = p->index, .epoch = s->epoch};
    const clI_index *x = p->index;
    for (size_t i = 0; i < x->ngeneral; i++)
        add(&q, x->general[i], true);
    for (int k = 0; k < K__COUNT; k++)
        if (k != K_SKU && k != K_CATEGORY)
            lookup_field(&q, k);
    for (size_t i = 0; i < ctx->items.n; i++) {
        const clX_item *it = &ctx->items.v[i];
        lookup(&q, K_SKU, it->sku.p, it->sku.n);
        for (uint32_t k = 0; k < it->categories.n; k++)
            lookup_category(&q, &it->categories.v[k]);
    }
    /* Entered codes are candidates whatever the index says: they must be
     * answered with their reasons. */
    for (uint32_t i = 0; i < ctx->codes.n; i++) {
        long c = cl_program_find(p, ctx->codes.v[i].p);
        if (c >= 0)
            add(&q, (uint32_t)c, false);
    }
    if (q.oom)
        return CL_ENOMEM;
    if (s->out.n > 1)
        qsort(s->out.v, s->out.n, sizeof *s->out.v, cmp_u32);
    *out = s->out.v;
    *n = s->out.n;
    return CL_OK;
}

void clI_scratch_free(cl_vm *vm)
{
    clI_scratch *s = &vm->ix;
    clB_free(vm->env, s->stamp, s->stamp_cap * sizeof *s->stamp);
    CL_VEC_FREE(vm->env, s->out);
    memset(s, 0, sizeof *s);
}
