/*
 * build.c - the unit builder: interning constants while a file is loaded,
 * appending instructions while it is compiled, and turning the result into
 * an immutable, verified unit.
 */
#include "build.h"

#include "regex.h"

#include <stdio.h>
#include <stdlib.h>

void clC_init(clC_builder *b, const cl_env *env, clB_arena *arena, const char *source,
              cl_error *err)
{
    memset(b, 0, sizeof *b);
    b->env = env;
    b->arena = arena;
    b->source = source;
    b->err = err;
}

void clC_free(clC_builder *b)
{
    const cl_env *env = b->env;
    for (size_t i = 0; i < b->re.n; i++)
        pcre2_code_free(b->re.v[i]);
    for (size_t i = 0; i < b->zones.n; i++)
        clT_zone_free(env, b->zones.v[i]);
    CL_VEC_FREE(env, b->code);
    CL_VEC_FREE(env, b->ints);
    clB_str_free(env, &b->pool);
    CL_VEC_FREE(env, b->strs);
    CL_VEC_FREE(env, b->strhash);
    CL_VEC_FREE(env, b->sets);
    CL_VEC_FREE(env, b->items);
    CL_VEC_FREE(env, b->isets);
    CL_VEC_FREE(env, b->regexes);
    CL_VEC_FREE(env, b->re);
    CL_VEC_FREE(env, b->spreds);
    CL_VEC_FREE(env, b->ipreds);
    CL_VEC_FREE(env, b->filters);
    CL_VEC_FREE(env, b->discounts);
    CL_VEC_FREE(env, b->tiers);
    CL_VEC_FREE(env, b->msgs);
    CL_VEC_FREE(env, b->datespecs);
    CL_VEC_FREE(env, b->calendars);
    CL_VEC_FREE(env, b->annivs);
    CL_VEC_FREE(env, b->coupons);
    CL_VEC_FREE(env, b->zones);
}

int clC_oom(clC_builder *b)
{
    cl_pos none = {0, 0, 0};
    return clE_set(b->err, CL_ENOMEM, none, "out of memory");
}

/* ------------------------------------------------------------------------
 * Constants
 * ------------------------------------------------------------------------ */

/* Rebuilds the interning table at twice the size. */
static bool rehash(clC_builder *b)
{
    size_t size = b->strhash.cap ? b->strhash.cap * 2 : 64;
    uint32_t *slots = clB_calloc(b->env, size, sizeof *slots);
    if (slots == NULL)
        return false;
    for (uint32_t i = 0; i < b->strs.n; i++) {
        const clP_str *s = &b->strs.v[i];
        size_t h = clP_hash(b->pool.p + s->off, s->len, false) & (size - 1);
        while (slots[h] != 0)
            h = (h + 1) & (size - 1);
        slots[h] = i + 1;
    }
    clB_free(b->env, b->strhash.v, b->strhash.cap * sizeof *slots);
    b->strhash.v = slots;
    b->strhash.cap = size;
    return true;
}

/* Interns s[0..n): equal strings share one index. */
int clC_str(clC_builder *b, const char *s, size_t n, uint32_t *out)
{
    if ((b->strs.n + 1) * 2 > b->strhash.cap && !rehash(b))
        return clC_oom(b);
    size_t mask = b->strhash.cap - 1;
    size_t h = clP_hash(s, n, false) & mask;
    for (; b->strhash.v[h] != 0; h = (h + 1) & mask) {
        const clP_str *t = &b->strs.v[b->strhash.v[h] - 1];
        if (clB_eq(b->pool.p + t->off, t->len, s, n)) {
            *out = b->strhash.v[h] - 1;
            return CL_OK;
        }
    }
    if (b->pool.n + n + 1 > UINT32_MAX || b->strs.n >= UINT32_MAX - 1)
        return clE_set(b->err, CL_ELIMIT, (cl_pos){0, 0, 0}, "too many strings in one file");
    clP_str str = {(uint32_t)b->pool.n, (uint32_t)n};
    if (!clB_str_append(b->env, &b->pool, s, n) || !clB_str_append(b->env, &b->pool, "", 1))
        return clC_oom(b);
    if (!CL_PUSH(b->env, b->strs, str))
        return clC_oom(b);
    b->strhash.v[h] = (uint32_t)b->strs.n;
    *out = (uint32_t)b->strs.n - 1;
    return CL_OK;
}

int clC_int(clC_builder *b, int64_t v, uint32_t *out)
{
    if (b->ints.n >= UINT32_MAX - 2)
        return clE_set(b->err, CL_ELIMIT, (cl_pos){0, 0, 0}, "too many numbers in one file");
    if (!CL_PUSH(b->env, b->ints, v))
        return clC_oom(b);
    *out = (uint32_t)b->ints.n - 1;
    return CL_OK;
}

int clC_int2(clC_builder *b, int64_t v0, int64_t v1, uint32_t *out)
{
    uint32_t first, second;
    int rc = clC_int(b, v0, &first);
    if (rc == CL_OK)
        rc = clC_int(b, v1, &second);
    *out = first;
    return rc;
}

static void fold(char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] >= 'A' && s[i] <= 'Z')
            s[i] = (char)(s[i] + ('a' - 'A'));
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

/* A set: members interned (lower-cased when fold), sorted by string index and
 * deduplicated so that equal sets compare equal member by member. */
int clC_set(clC_builder *b, const char *const *s, const size_t *lens, size_t n, bool fold_case,
            uint32_t *out)
{
    if (!CL_RESERVE(b->env, b->items, n))
        return clC_oom(b);
    size_t first = b->items.n;
    char small[256];
    for (size_t i = 0; i < n; i++) {
        const char *p = s[i];
        char *tmp = NULL;
        if (fold_case) {
            tmp = lens[i] < sizeof small ? small : clB_alloc(b->env, lens[i]);
            if (tmp == NULL)
                return clC_oom(b);
            memcpy(tmp, s[i], lens[i]);
            fold(tmp, lens[i]);
            p = tmp;
        }
        uint32_t idx;
        int rc = clC_str(b, p, lens[i], &idx);
        if (tmp != NULL && tmp != small)
            clB_free(b->env, tmp, lens[i]);
        if (rc != CL_OK)
            return rc;
        b->items.v[b->items.n++] = idx;
    }
    qsort(b->items.v + first, n, sizeof(uint32_t), cmp_u32);
    size_t k = first;
    for (size_t i = first; i < b->items.n; i++)
        if (k == first || b->items.v[k - 1] != b->items.v[i])
            b->items.v[k++] = b->items.v[i];
    b->items.n = k;
    clP_set set = {(uint32_t)first, (uint32_t)(k - first), 0, 0, fold_case, 0};
    if (!CL_PUSH(b->env, b->sets, set))
        return clC_oom(b);
    *out = (uint32_t)b->sets.n - 1;
    return CL_OK;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

int clC_iset(clC_builder *b, const int64_t *v, size_t n, uint32_t *out)
{
    if (!CL_RESERVE(b->env, b->ints, n))
        return clC_oom(b);
    size_t first = b->ints.n;
    memcpy(b->ints.v + first, v, n * sizeof *v);
    qsort(b->ints.v + first, n, sizeof *v, cmp_i64);
    size_t k = first;
    for (size_t i = first; i < first + n; i++)
        if (k == first || b->ints.v[k - 1] != b->ints.v[i])
            b->ints.v[k++] = b->ints.v[i];
    b->ints.n = k;
    clP_iset set = {(uint32_t)first, (uint32_t)(k - first)};
    if (!CL_PUSH(b->env, b->isets, set))
        return clC_oom(b);
    *out = (uint32_t)b->isets.n - 1;
    return CL_OK;
}

int clC_regex(clC_builder *b, const char *pattern, size_t n, cl_pos pos, uint32_t *out)
{
    if (n > b->env->limits[CL_LIMIT_REGEX_LENGTH])
        return clE_set(b->err, CL_ELIMIT, pos, "regex of %zu bytes exceeds the limit of %llu",
                       n, (unsigned long long)b->env->limits[CL_LIMIT_REGEX_LENGTH]);
    char msg[256];
    size_t off = 0;
    pcre2_code *re = clR_compile(b->env, pattern, n, msg, sizeof msg, &off);
    if (re == NULL && off == CLR_OOM)
        return clC_oom(b);
    if (re == NULL) {
        /* Shift PCRE2's offset (bytes into the pattern) onto the file. */
        cl_pos at = pos;
        size_t chars = 0;
        for (size_t i = 0; i < off && i < n; i++)
            if (((unsigned char)pattern[i] & 0xC0) != 0x80)
                chars++;
        at.col += (uint32_t)chars;
        at.offset += off;
        return clE_set(b->err, CL_EREGEX, at, "bad regex: %s (at offset %zu of the pattern)",
                       msg, off);
    }
    uint32_t s;
    int rc = clC_str(b, pattern, n, &s);
    clP_regex r = {s, pos.line, pos.col};
    if (rc != CL_OK || !CL_PUSH(b->env, b->re, re)) {
        pcre2_code_free(re);
        return rc != CL_OK ? rc : clC_oom(b);
    }
    if (!CL_PUSH(b->env, b->regexes, r)) {
        b->re.n--;
        pcre2_code_free(re);
        return clC_oom(b);
    }
    *out = (uint32_t)b->regexes.n - 1;
    return CL_OK;
}

int clC_msg(clC_builder *b, int reason, const char *text, uint32_t line, uint32_t *out)
{
    uint32_t s;
    int rc = clC_str(b, text, strlen(text), &s);
    if (rc != CL_OK)
        return rc;
    clP_msg m = {s, line, (uint8_t)reason};
    if (!CL_PUSH(b->env, b->msgs, m))
        return clC_oom(b);
    *out = (uint32_t)b->msgs.n - 1;
    return CL_OK;
}

int clC_zone(clC_builder *b, const char *name, size_t n, cl_pos pos, uint32_t *out)
{
    for (size_t i = 0; i < b->zones.n; i++) {
        if (strlen(b->zones.v[i]->name) == n && memcmp(b->zones.v[i]->name, name, n) == 0) {
            *out = (uint32_t)i;
            return CL_OK;
        }
    }
    clT_zone *z = NULL;
    int rc = clT_zone_load(b->env, name, n, &z, b->err);
    if (rc == CL_ENOMEM)
        return clC_oom(b);    /* clT_zone_load leaves err empty then */
    if (rc != CL_OK) {
        if (b->err != NULL) {
            b->err->line = pos.line;
            b->err->column = pos.col;
            b->err->offset = pos.offset;
        }
        return rc;
    }
    if (!CL_PUSH(b->env, b->zones, z)) {
        clT_zone_free(b->env, z);
        return clC_oom(b);
    }
    *out = (uint32_t)b->zones.n - 1;
    return CL_OK;
}

int clC_op(clC_builder *b, int op, unsigned a, unsigned bb, uint32_t c, uint32_t *at)
{
    if (b->code.n >= UINT32_MAX - 1)
        return clE_set(b->err, CL_ELIMIT, (cl_pos){0, 0, 0}, "too much code in one file");
    clP_insn insn = {(uint8_t)op, (uint8_t)a, (uint16_t)bb, c};
    if (!CL_PUSH(b->env, b->code, insn))
        return clC_oom(b);
    if (at != NULL)
        *at = (uint32_t)b->code.n - 1;
    return CL_OK;
}

/* ------------------------------------------------------------------------
 * Finishing
 * ------------------------------------------------------------------------ */

/* Moves a vector into a table of exactly its size. */
#define MOVE(u, b, name, vec)                                                              \
    do {                                                                                   \
        if ((b)->vec.n == 0) {                                                             \
            CL_VEC_FREE((b)->env, (b)->vec);                                               \
            (u)->name = NULL;                                                              \
        } else {                                                                           \
            void *p_ = clB_realloc((b)->env, (b)->vec.v, (b)->vec.cap * sizeof(*(b)->vec.v), \
                                   (b)->vec.n * sizeof(*(b)->vec.v));                      \
            if (p_ == NULL)                                                                \
                goto oom;                                                                  \
            (u)->name = p_;                                                                \
            (b)->vec.v = NULL;                                                             \
            (b)->vec.cap = 0;                                                              \
        }                                                                                  \
        (u)->n_##name = (uint32_t)(b)->vec.n;                                              \
        (b)->vec.n = 0;                                                                    \
    } while (0)

/* Sizes each set's hash table (a power of two at least twice its members)
 * and allocates the slots. */
bool clC_size_slots(clP_unit *u)
{
    uint64_t total = 0;
    for (uint32_t i = 0; i < u->n_sets; i++) {
        clP_set *s = &u->sets[i];
        uint32_t size = 0;
        if (s->count > 0) {
            size = 2;
            while (size < 2 * (uint64_t)s->count && size < (1u << 31))
                size *= 2;
        }
        s->slot = (uint32_t)total;
        s->nslots = size;
        total += size;
        if (total > UINT32_MAX)
            return false;
    }
    u->n_slots = (uint32_t)total;
    u->slots = total ? clB_alloc(u->env, total * sizeof *u->slots) : NULL;
    return total == 0 || u->slots != NULL;
}

int clC_finish(clC_builder *b, clP_unit **out)
{
    clP_unit *u = clB_calloc(b->env, 1, sizeof *u);
    if (u == NULL)
        return clC_oom(b);
    atomic_init(&u->refs, 1);
    u->env = b->env;
    u->max_coupons = b->max_coupons;
    const char *src = b->source ? b->source : "<input>";
    u->source_size = strlen(src) + 1;
    u->source = clB_strndup(b->env, src, u->source_size - 1);
    if (u->source == NULL)
        goto oom;
    MOVE(u, b, code, code);
    MOVE(u, b, ints, ints);
    /* The string pool goes to the unit at its exact size; until it does,
     * the builder owns it and frees it at its capacity. */
    if (b->pool.n == 0) {
        clB_str_free(b->env, &b->pool);
    } else if (b->pool.cap > b->pool.n) {
        void *p = clB_realloc(b->env, b->pool.p, b->pool.cap, b->pool.n);
        if (p == NULL)
            goto oom;
        b->pool.p = p;
        b->pool.cap = b->pool.n;
    }
    u->pool = b->pool.p;
    u->n_pool = (uint32_t)b->pool.n;
    b->pool.p = NULL;
    b->pool.n = b->pool.cap = 0;
    MOVE(u, b, strs, strs);
    MOVE(u, b, sets, sets);
    MOVE(u, b, items, items);
    MOVE(u, b, isets, isets);
    /* The compiled regexes go with their table, at the same size. */
    if (b->re.n == 0) {
        CL_VEC_FREE(b->env, b->re);
    } else {
        void *p = clB_realloc(b->env, b->re.v, b->re.cap * sizeof *b->re.v,
                              b->re.n * sizeof *b->re.v);
        if (p == NULL)
            goto oom;
        u->re = p;
        u->n_regexes = (uint32_t)b->re.n;
        b->re.v = NULL;
        b->re.n = b->re.cap = 0;
    }
    MOVE(u, b, regexes, regexes);
    MOVE(u, b, spreds, spreds);
    MOVE(u, b, ipreds, ipreds);
    MOVE(u, b, filters, filters);
    MOVE(u, b, discounts, discounts);
    MOVE(u, b, tiers, tiers);
    MOVE(u, b, msgs, msgs);
    MOVE(u, b, datespecs, datespecs);
    MOVE(u, b, calendars, calendars);
    MOVE(u, b, annivs, annivs);
    MOVE(u, b, coupons, coupons);
    MOVE(u, b, zones, zones);
    if (!clC_size_slots(u) || !clP_build_sets(u))
        goto oom;
    int rc = clK_verify(u, b->err);
    if (rc != CL_OK) {
        clC_unit_free(u);
        return rc;
    }
    *out = u;
    return CL_OK;
oom:
    clC_unit_free(u);
    return clC_oom(b);
}

void clC_unit_free(clP_unit *u)
{
    if (u == NULL)
        return;
    const cl_env *env = u->env;
    for (uint32_t i = 0; u->re != NULL && i < u->n_regexes; i++)
        pcre2_code_free(u->re[i]);
    for (uint32_t i = 0; u->zones != NULL && i < u->n_zones; i++)
        clT_zone_free(env, u->zones[i]);
    clB_free(env, u->re, u->n_regexes * sizeof *u->re);
    clB_free(env, u->source, u->source_size);
    clB_free(env, u->code, u->n_code * sizeof *u->code);
    clB_free(env, u->ints, u->n_ints * sizeof *u->ints);
    clB_free(env, u->pool, u->n_pool);
    clB_free(env, u->strs, u->n_strs * sizeof *u->strs);
    clB_free(env, u->sets, u->n_sets * sizeof *u->sets);
    clB_free(env, u->items, u->n_items * sizeof *u->items);
    clB_free(env, u->slots, u->n_slots * sizeof *u->slots);
    clB_free(env, u->isets, u->n_isets * sizeof *u->isets);
    clB_free(env, u->regexes, u->n_regexes * sizeof *u->regexes);
    clB_free(env, u->spreds, u->n_spreds * sizeof *u->spreds);
    clB_free(env, u->ipreds, u->n_ipreds * sizeof *u->ipreds);
    clB_free(env, u->filters, u->n_filters * sizeof *u->filters);
    clB_free(env, u->discounts, u->n_discounts * sizeof *u->discounts);
    clB_free(env, u->tiers, u->n_tiers * sizeof *u->tiers);
    clB_free(env, u->msgs, u->n_msgs * sizeof *u->msgs);
    clB_free(env, u->datespecs, u->n_datespecs * sizeof *u->datespecs);
    clB_free(env, u->calendars, u->n_calendars * sizeof *u->calendars);
    clB_free(env, u->annivs, u->n_annivs * sizeof *u->annivs);
    clB_free(env, u->coupons, u->n_coupons * sizeof *u->coupons);
    clB_free(env, u->zones, u->n_zones * sizeof *u->zones);
    clB_free(env, u, sizeof *u);
}
