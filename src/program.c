/*
 * program.c - programs: units shared by reference count, the index of
 * coupons by code, linking, and the accessors of the public API.
 */
#include "build.h"
#include "index.h"

/* ------------------------------------------------------------------------
 * Hashing and sets
 * ------------------------------------------------------------------------ */

uint32_t clP_hash(const char *s, size_t n, bool fold)
{
    uint32_t h = CLP_HASH_START;
    for (size_t i = 0; i < n; i++)
        h = clP_hash_step(h, (unsigned char)s[i], fold);
    return clP_hash_final(h);
}

bool clP_build_sets(clP_unit *u)
{
    for (uint32_t i = 0; i < u->n_slots; i++)
        u->slots[i] = CL_NONE;
    for (uint32_t i = 0; i < u->n_sets; i++) {
        clP_set *s = &u->sets[i];
        s->bloom = 0;
        if (s->count == 0)
            continue;
        uint32_t mask = s->nslots - 1, *slots = u->slots + s->slot;
        for (uint32_t k = 0; k < s->count; k++) {
            uint32_t str = u->items[s->first + k];
            const clP_str *m = &u->strs[str];
            uint32_t full = clP_hash(u->pool + m->off, m->len, s->fold), h = full & mask;
            s->bloom |= (uint64_t)1 << (full >> 26);
            for (uint32_t probes = 0; slots[h] != CL_NONE; h = (h + 1) & mask) {
                const clP_str *o = &u->strs[slots[h]];
                bool same = s->fold ? clB_ieq(u->pool + o->off, o->len, u->pool + m->off, m->len)
                                    : clB_eq(u->pool + o->off, o->len, u->pool + m->off, m->len);
                if (same || ++probes > s->nslots)
                    return false;
            }
            slots[h] = str;
        }
    }
    return true;
}

bool clP_set_has(const clP_unit *u, uint32_t set, const char *s, size_t n)
{
    const clP_set *st = &u->sets[set];
    if (st->count <= CLP_SET_SCAN) {
        /* A few members: comparing is cheaper than hashing. */
        const uint32_t *m = u->items + st->first;
        for (uint32_t k = 0; k < st->count; k++) {
            const clP_str *x = &u->strs[m[k]];
            if (x->len == n && (st->fold ? clB_ieq(u->pool + x->off, n, s, n)
                                         : clP_same(u->pool + x->off, s, n)))
                return true;
        }
        return false;
    }
    return clP_set_has_hashed(u, set, clP_hash(s, n, st->fold), s, n);
}

bool clP_iset_has(const clP_unit *u, uint32_t iset, int64_t v)
{
    const clP_iset *s = &u->isets[iset];
    const int64_t *a = u->ints + s->first;
    size_t lo = 0, hi = s->count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (a[mid] < v)
            lo = mid + 1;
        else if (a[mid] > v)
            hi = mid;
        else
            return true;
    }
    return false;
}

/* ------------------------------------------------------------------------
 * Units
 * ------------------------------------------------------------------------ */

void clP_unit_retain(clP_unit *u)
{
    atomic_fetch_add_explicit(&u->refs, 1, memory_order_relaxed);
}

void clP_unit_release(clP_unit *u)
{
    if (u != NULL && atomic_fetch_sub_explicit(&u->refs, 1, memory_order_acq_rel) == 1)
        clC_unit_free(u);
}

/* ------------------------------------------------------------------------
 * Programs
 * ------------------------------------------------------------------------ */

static const char *code_of(const cl_program *p, size_t i, size_t *n)
{
    const clP_unit *u;
    const clP_coupon *c = clP_coupon_of(p, i, &u);
    *n = u->strs[c->code].len;
    return clP_text(u, c->code);
}

/* Builds the code index. Returns the index of a coupon whose code repeats an
 * earlier one's through *dup (CL_NONE when none), or false when out of memory. */
static bool index_codes(cl_program *p, uint32_t *dup, uint32_t *first)
{
    size_t size = 16;
    while (size < 2 * p->ncoupons)
        size *= 2;
    p->lookup = clB_alloc(p->env, size * sizeof *p->lookup);
    if (p->lookup == NULL)
        return false;
    p->nlookup = size;
    for (size_t i = 0; i < size; i++)
        p->lookup[i] = CL_NONE;
    *dup = CL_NONE;
    for (size_t i = 0; i < p->ncoupons; i++) {
        size_t n, m;
        const char *code = code_of(p, i, &n);
        size_t h = clP_hash(code, n, true) & (size - 1);
        for (; p->lookup[h] != CL_NONE; h = (h + 1) & (size - 1)) {
            const char *other = code_of(p, p->lookup[h], &m);
            if (clB_ieq(code, n, other, m) && *dup == CL_NONE) {
                *dup = (uint32_t)i;
                *first = p->lookup[h];
            }
        }
        p->lookup[h] = (uint32_t)i;
    }
    return true;
}

int clP_program_index(cl_program *p, cl_error *err)
{
    uint32_t dup, first;
    if (!index_codes(p, &dup, &first))
        return clE_set(err, CL_ENOMEM, (cl_pos){0, 0, 0}, "out of memory");
    if (dup == CL_NONE)
        return clI_build(p, err);
    const clP_unit *u1, *u2;
    const clP_coupon *c2 = clP_coupon_of(p, dup, &u2), *c1 = clP_coupon_of(p, first, &u1);
    clE_set(err, CL_EDUPLICATE, (cl_pos){c2->line, c2->col, 0},
            "duplicate coupon code %s (also defined at %s:%u:%u)", clP_text(u2, c2->code),
            u1->source, c1->line, c1->col);
    if (err != NULL) {
        err->source[0] = '\0';
        clE_source(err, u2->source);
    }
    return CL_EDUPLICATE;
}

cl_program *clP_program_new(const cl_env *env, size_t nunits, size_t ncoupons)
{
    cl_program *p = clB_calloc(env, 1, sizeof *p);
    if (p == NULL)
        return NULL;
    p->env = env;
    p->units_cap = nunits ? nunits : 1;
    p->coupons_cap = ncoupons ? ncoupons : 1;
    p->units = clB_calloc(env, p->units_cap, sizeof *p->units);
    p->coupons = clB_calloc(env, p->coupons_cap, sizeof *p->coupons);
    if (p->units == NULL || p->coupons == NULL) {
        clB_free(env, p->units, p->units_cap * sizeof *p->units);
        clB_free(env, p->coupons, p->coupons_cap * sizeof *p->coupons);
        clB_free(env, p, sizeof *p);
        return NULL;
    }
    return p;
}

cl_program *clP_program_of_unit(const cl_env *env, clP_unit *u, cl_error *err)
{
    cl_program *p = clP_program_new(env, 1, u->n_coupons);
    if (p == NULL) {
        clP_unit_release(u);
        clE_set(err, CL_ENOMEM, (cl_pos){0, 0, 0}, "out of memory");
        return NULL;
    }
    p->units[0] = u;
    p->nunits = 1;
    for (uint32_t i = 0; i < u->n_coupons; i++)
        p->coupons[i] = (clP_ref){0, i};
    p->ncoupons = u->n_coupons;
    p->max_coupons = u->max_coupons;
    if (clP_program_index(p, err) != CL_OK) {
        cl_program_free(p);
        return NULL;
    }
    return p;
}

CL_API cl_program *cl_program_link(const cl_env *env, const cl_program *const *programs,
                                   size_t n, cl_error *err)
{
    clE_clear(err);
    if (env == NULL || (programs == NULL && n > 0)) {
        clE_set(err, CL_EINVAL, (cl_pos){0, 0, 0}, "cl_program_link needs an env");
        return NULL;
    }
    size_t nunits = 0, ncoupons = 0;
    for (size_t i = 0; i < n; i++) {
        if (programs[i] == NULL) {
            clE_set(err, CL_EINVAL, (cl_pos){0, 0, 0}, "program %zu to link is NULL", i);
            return NULL;
        }
        nunits += programs[i]->nunits;
        ncoupons += programs[i]->ncoupons;
    }
    if (ncoupons > env->limits[CL_LIMIT_COUPONS]) {
        clE_set(err, CL_ELIMIT, (cl_pos){0, 0, 0}, "more than %llu coupons",
                (unsigned long long)env->limits[CL_LIMIT_COUPONS]);
        return NULL;
    }
    cl_program *p = clP_program_new(env, nunits, ncoupons);
    if (p == NULL) {
        clE_set(err, CL_ENOMEM, (cl_pos){0, 0, 0}, "out of memory");
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        const cl_program *q = programs[i];
        for (size_t k = 0; k < q->ncoupons; k++)
            p->coupons[p->ncoupons++] = (clP_ref){(uint32_t)(p->nunits + q->coupons[k].unit),
                                                  q->coupons[k].index};
        for (size_t k = 0; k < q->nunits; k++) {
            clP_unit_retain(q->units[k]);
            p->units[p->nunits++] = q->units[k];
        }
        if (q->max_coupons && (p->max_coupons == 0 || q->max_coupons < p->max_coupons))
            p->max_coupons = q->max_coupons;
    }
    if (clP_program_index(p, err) != CL_OK) {
        cl_program_free(p);
        return NULL;
    }
    return p;
}

CL_API void cl_program_free(cl_program *p)
{
    if (p == NULL)
        return;
    const cl_env *env = p->env;
    for (size_t i = 0; i < p->nunits; i++)
        clP_unit_release(p->units[i]);
    clB_free(env, p->units, p->units_cap * sizeof *p->units);
    clB_free(env, p->coupons, p->coupons_cap * sizeof *p->coupons);
    clB_free(env, p->lookup, p->nlookup * sizeof *p->lookup);
    clI_free(env, p->index);
    clB_free(env, p, sizeof *p);
}

/* ------------------------------------------------------------------------
 * Accessors
 * ------------------------------------------------------------------------ */

CL_API size_t cl_program_count(const cl_program *p)
{
    return p ? p->ncoupons : 0;
}

CL_API long cl_program_find(const cl_program *p, const char *code)
{
    if (p == NULL || code == NULL || p->nlookup == 0)
        return -1;
    size_t n = strlen(code), m;
    size_t mask = p->nlookup - 1;
    for (size_t h = clP_hash(code, n, true) & mask; p->lookup[h] != CL_NONE; h = (h + 1) & mask) {
        const char *other = code_of(p, p->lookup[h], &m);
        if (clB_ieq(code, n, other, m))
            return (long)p->lookup[h];
    }
    return -1;
}

static const clP_coupon *coupon(const cl_program *p, size_t i, const clP_unit **u)
{
    if (p == NULL || i >= p->ncoupons)
        return NULL;
    return clP_coupon_of(p, i, u);
}

CL_API const char *cl_program_code(const cl_program *p, size_t i)
{
    const clP_unit *u;
    const clP_coupon *c = coupon(p, i, &u);
    return c ? clP_text(u, c->code) : NULL;
}

CL_API const char *cl_program_name(const cl_program *p, size_t i)
{
    const clP_unit *u;
    const clP_coupon *c = coupon(p, i, &u);
    return c == NULL ? NULL : c->name == CL_NONE ? "" : clP_text(u, c->name);
}

CL_API const char *cl_program_group(const cl_program *p, size_t i)
{
    const clP_unit *u;
    const clP_coupon *c = coupon(p, i, &u);
    return c == NULL ? NULL : c->group == CL_NONE ? "" : clP_text(u, c->group);
}

CL_API const char *cl_program_currency(const cl_program *p, size_t i)
{
    const clP_unit *u;
    const clP_coupon *c = coupon(p, i, &u);
    return c ? c->currency : NULL;
}

CL_API bool cl_program_automatic(const cl_program *p, size_t i)
{
    const clP_unit *u;
    const clP_coupon *c = coupon(p, i, &u);
    return c && c->automatic;
}

CL_API bool cl_program_exclusive(const cl_program *p, size_t i)
{
    const clP_unit *u;
    const clP_coupon *c = coupon(p, i, &u);
    return c && c->exclusive;
}

CL_API int64_t cl_program_priority(const cl_program *p, size_t i)
{
    const clP_unit *u;
    const clP_coupon *c = coupon(p, i, &u);
    return c ? c->priority : 0;
}

CL_API cl_status cl_program_disasm(const cl_program *p, cl_write_fn write, void *ud)
{
    if (p == NULL || write == NULL)
        return CL_EINVAL;
    for (size_t i = 0; i < p->nunits; i++) {
        int rc = clP_disasm_unit(p->units[i], write, ud);
        if (rc != CL_OK)
            return (cl_status)rc;
    }
    return CL_OK;
}
