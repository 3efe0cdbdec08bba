/*
 * vm.c - the virtual machine that runs a coupon's conditions.
 *
 * The code it runs has been verified (verify.c): operands are in range,
 * jumps go forward inside the coupon, and the stack types of opcodes.def
 * hold on every path. So the dispatch loop checks nothing the verifier
 * already proved. Values on the stack are untagged: the verifier knows
 * which slot holds an integer, a string or a boolean.
 */
#include "vm.h"

#include "money.h"

#include <inttypes.h>
#include <stdio.h>

/* The line filters' helpers, inlined into their loops. */
#if defined(__GNUC__)
#define VM_INLINE static inline __attribute__((always_inline))
#else
#define VM_INLINE static inline
#endif

typedef union value {
    int64_t i;            /* integers, amounts and booleans (0 / 1) */
    struct {
        const char *p;
        uint32_t n;
    } s;
} value;

/* ------------------------------------------------------------------------
 * The VM object
 * ------------------------------------------------------------------------ */

CL_API cl_vm *cl_vm_new(const cl_env *env)
{
    if (env == NULL)
        return NULL;
    cl_vm *vm = clB_calloc(env, 1, sizeof *vm);
    if (vm == NULL)
        return NULL;
    vm->env = env;
    vm->res.env = env;
    vm->res.exponent = 2;
    if (!clR_matcher_init(env, &vm->re)) {
        clB_free(env, vm, sizeof *vm);
        return NULL;
    }
    return vm;
}

static void scratch_free(cl_vm *vm)
{
    const cl_env *env = vm->env;
    size_t n = vm->s.cap;
    clB_free(env, vm->s.a, n * sizeof *vm->s.a);
    clB_free(env, vm->s.b, n * sizeof *vm->s.b);
    clB_free(env, vm->s.c, n * sizeof *vm->s.c);
    clB_free(env, vm->s.shares, n * sizeof *vm->s.shares);
    clB_free(env, vm->s.perm, n * sizeof *vm->s.perm);
    clB_free(env, vm->s.perm2, n * sizeof *vm->s.perm2);
    clB_free(env, vm->s.elig, n * sizeof *vm->s.elig);
    memset(&vm->s, 0, sizeof vm->s);
}

void clS_free(cl_vm *vm);

CL_API void cl_vm_free(cl_vm *vm)
{
    if (vm == NULL)
        return;
    clR_matcher_free(&vm->re);
    clR_free(&vm->res);
    scratch_free(vm);
    clS_free(vm);
    clI_scratch_free(vm);
    clB_free(vm->env, vm, sizeof *vm);
}

bool clV_scratch_reserve(cl_vm *vm, size_t n)
{
    if (n <= vm->s.cap)
        return true;
    size_t cap = vm->s.cap ? vm->s.cap : 16;
    while (cap < n)
        cap *= 2;
    scratch_free(vm);
    const cl_env *env = vm->env;
    vm->s.a = clB_alloc(env, cap * sizeof *vm->s.a);
    vm->s.b = clB_alloc(env, cap * sizeof *vm->s.b);
    vm->s.c = clB_alloc(env, cap * sizeof *vm->s.c);
    vm->s.shares = clB_alloc(env, cap * sizeof *vm->s.shares);
    vm->s.perm = clB_alloc(env, cap * sizeof *vm->s.perm);
    vm->s.perm2 = clB_alloc(env, cap * sizeof *vm->s.perm2);
    vm->s.elig = clB_alloc(env, cap * sizeof *vm->s.elig);
    vm->s.cap = cap;
    if (!vm->s.a || !vm->s.b || !vm->s.c || !vm->s.shares || !vm->s.perm || !vm->s.perm2 ||
        !vm->s.elig) {
        scratch_free(vm);
        return false;
    }
    return true;
}

bool clV_step(cl_vm *vm, uint64_t k)
{
    vm->steps += k;
    if (CL_LIKELY(vm->steps <= vm->env->limits[CL_LIMIT_STEPS]))
        return true;
    clE_set(vm->err, CL_ESTEPS, (cl_pos){0, 0, 0}, "evaluation exceeded its budget of %llu "
            "steps", (unsigned long long)vm->env->limits[CL_LIMIT_STEPS]);
    return false;
}

/* ------------------------------------------------------------------------
 * Strings and regexes
 * ------------------------------------------------------------------------ */

/* Whether s starts with a member of set; tries each prefix length of s
 * when that is fewer lookups than scanning the members. */
static bool has_prefix(const clP_unit *u, uint32_t set, const char *s, size_t n)
{
    const clP_set *st = &u->sets[set];
    if (n < st->count) {
        for (size_t k = 1; k <= n; k++)
            if (clP_set_has(u, set, s, k))
                return true;
        return false;
    }
    for (uint32_t i = 0; i < st->count; i++) {
        const clP_str *m = &u->strs[u->items[st->first + i]];
        if (m->len <= n && (st->fold ? clB_ieq(s, m->len, u->pool + m->off, m->len)
                                     : memcmp(s, u->pool + m->off, m->len) == 0))
            return true;
    }
    return false;
}

/* 1 match, 0 no match, -1 error (a match limit; vm->err set). */
static int match(cl_vm *vm, const clP_unit *u, uint32_t re, const char *s, size_t n)
{
    int rc = clR_match(&vm->re, u->re[re], s, n);
    if (rc >= 0)
        return rc;
    if (rc == PCRE2_ERROR_MATCHLIMIT || rc == PCRE2_ERROR_DEPTHLIMIT ||
        rc == PCRE2_ERROR_HEAPLIMIT || rc == PCRE2_ERROR_JIT_STACKLIMIT ||
        rc == PCRE2_ERROR_NOMEMORY) {
        clE_set(vm->err, CL_ELIMIT, (cl_pos){u->regexes[re].line, u->regexes[re].col, 0},
                "the regex at line %" PRIu32 " exceeded its match limit", u->regexes[re].line);
        return -1;
    }
    return 0; /* a subject that is not valid UTF-8 cannot match */
}

static bool tags_any(const clP_unit *u, uint32_t set, const clX_list *tags)
{
    for (uint32_t i = 0; i < tags->n; i++)
        if (clP_set_has(u, set, tags->v[i].p, tags->v[i].n))
            return true;
    return false;
}

static bool tags_all(const clP_unit *u, uint32_t set, const clX_list *tags)
{
    const clP_set *st = &u->sets[set];
    for (uint32_t k = 0; k < st->count; k++) {
        const clP_str *m = &u->strs[u->items[st->first + k]];
        bool found = false;
        for (uint32_t i = 0; i < tags->n && !found; i++)
            found = clB_eq(tags->v[i].p, tags->v[i].n, u->pool + m->off, m->len);
        if (!found)
            return false;
    }
    return true;
}

static bool tags_test(const clP_unit *u, int mode, uint32_t set, const clX_list *tags)
{
    switch (mode) {
    case TAGS_ANY: return tags_any(u, set, tags);
    case TAGS_ALL: return tags_all(u, set, tags);
    default: return !tags_any(u, set, tags);
    }
}

/* ------------------------------------------------------------------------
 * Line filters
 * ------------------------------------------------------------------------ */

/* Whether one of a line's category paths is in, or under, a path of set:
 * the path itself or one of its ancestors ("a/b/c": "a", "a/b") is a
 * member. The context keeps every such prefix with its hash, and the set's
 * bloom word turns most of them away without a probe. */
VM_INLINE bool in_categories(const clP_unit *u, uint32_t set, const clX_item *it)
{
    const clP_set *st = &u->sets[set];
    if (st->nslots == 0 || it->nprefixes == 0)
        return false;
    const clX_prefix *x = it->prefixes, *end = x + it->nprefixes;
    if (!st->fold) {
        uint64_t bloom = st->bloom;
        if ((it->cat_bloom & bloom) == 0)
            return false;
        for (; x < end; x++)
            if (((bloom >> (x->hash >> 26)) & 1) &&
                clP_set_has_hashed(u, set, x->hash, x->p, x->len))
                return true;
        return false;
    }
    for (; x < end; x++)
        if (clP_set_has_hashed(u, set, clP_hash(x->p, x->len, true), x->p, x->len))
            return true;
    return false;
}

static int spred_test(cl_vm *vm, const clP_unit *u, const clP_spred *p, const clX_str *s)
{
    switch ((clP_spk)p->kind) {
    case SP_EQ:
        return clB_eq(s->p, s->n, clP_text(u, p->arg), u->strs[p->arg].len);
    case SP_NE:
        return !clB_eq(s->p, s->n, clP_text(u, p->arg), u->strs[p->arg].len);
    case SP_IN:
        return clP_set_has(u, p->arg, s->p, s->n);
    case SP_NOT_IN:
        return !clP_set_has(u, p->arg, s->p, s->n);
    case SP_PREFIX:
        return has_prefix(u, p->arg, s->p, s->n);
    case SP_MATCH:
        return match(vm, u, p->arg, s->p, s->n);
    default:
        return 0;
    }
}

/* All the string predicates [first, first+count) hold for s. */
static int spreds_hold(cl_vm *vm, const clP_unit *u, uint32_t first, uint32_t count,
                       const clX_str *s)
{
    for (uint32_t k = 0; k < count; k++) {
        int r = spred_test(vm, u, &u->spreds[first + k], s);
        if (r != 1)
            return r;
    }
    return 1;
}

static bool ipred_test(const clP_unit *u, const clP_ipred *p, int64_t v)
{
    const int64_t *x = &u->ints[p->arg];
    switch ((clP_ipk)p->kind) {
    case IP_EQ: return v == x[0];
    case IP_NE: return v != x[0];
    case IP_LT: return v < x[0];
    case IP_LE: return v <= x[0];
    case IP_GT: return v > x[0];
    case IP_GE: return v >= x[0];
    case IP_BETWEEN: return v >= x[0] && v <= x[1];
    case IP_IN: return clP_iset_has(u, p->arg, v);
    case IP_NOT_IN: return !clP_iset_has(u, p->arg, v);
    case IP_EVERY: return v >= x[1] && ((uint64_t)v - (uint64_t)x[1]) % (uint64_t)x[0] == 0;
    default: return false;
    }
}

VM_INLINE int line_matches(cl_vm *vm, const clP_unit *u, const clP_filter *f,
                           const clX_item *it)
{
    if (f->on_sale && (f->on_sale == 1) != (it->on_sale != 0))
        return 0;
    for (uint32_t k = 0; k < f->price_count; k++)
        if (!ipred_test(u, &u->ipreds[f->price_first + k], it->unit_price))
            return 0;
    if (f->cat != CL_NONE && !in_categories(u, f->cat, it))
        return 0;
    if (f->xcat != CL_NONE && in_categories(u, f->xcat, it))
        return 0;
    if (f->tags != CL_NONE && !tags_test(u, f->tags_mode, f->tags, &it->tags))
        return 0;
    if (f->sku_count > 0) {
        int r = spreds_hold(vm, u, f->sku_first, f->sku_count, &it->sku);
        if (r != 1)
            return r;
    }
    if (f->xsku_count > 0) {
        int r = spreds_hold(vm, u, f->xsku_first, f->xsku_count, &it->sku);
        if (r != 0)
            return r < 0 ? r : 0;
    }
    return 1;
}

int clV_line_matches(cl_vm *vm, const clP_unit *u, const clP_filter *f, const clX_item *it)
{
    return line_matches(vm, u, f, it);
}

/* ITEMS: enough units (and money) of matching lines. -1 on error. */
static int items_met(cl_vm *vm, const clP_unit *u, uint32_t filter, const cl_context *ctx)
{
    const clP_filter *f = &u->filters[filter];
    int64_t qty = 0, amount = 0;
    if (!clV_step(vm, ctx->items.n))
        return -1;
    const clX_item *it = ctx->items.v, *end = ctx->items.n != 0 ? it + ctx->items.n : it;
    if (f->cat != CL_NONE && f->xcat == CL_NONE && f->tags == CL_NONE && f->on_sale == 0 &&
        f->price_count == 0 && f->sku_count == 0 && f->xsku_count == 0) {
        /* Categories only, the commonest filter: a line none of whose
         * prefixes shares a bloom bit with the set is passed over at once. */
        const clP_set *st = &u->sets[f->cat];
        uint64_t bloom = st->fold ? ~(uint64_t)0 : st->bloom;
        for (; it < end; it++)
            if ((it->cat_bloom & bloom) != 0 && in_categories(u, f->cat, it)) {
                qty += it->quantity;       /* the context's sums did not overflow */
                amount += it->amount;
            }
    } else {
        for (; it < end; it++) {
            int r = line_matches(vm, u, f, it);
            if (r < 0)
                return -1;
            if (r == 1) {
                qty += it->quantity;
                amount += it->amount;
            }
        }
    }
    return qty >= f->min_quantity && qty > 0 && amount >= f->min_amount;
}

/* ------------------------------------------------------------------------
 * Time
 * ------------------------------------------------------------------------ */

/* The zone a coupon's local times use: its own (or its file's), else the
 * context's, else UTC (NULL). */
static const clT_zone *zone_of(const clP_unit *u, const clP_coupon *c, const cl_context *ctx)
{
    return c->zone != CL_NONE ? u->zones[c->zone] : ctx->zone;
}

/*
 * The local time of now in zone z, as clT_localize() gives it, kept for
 * the rest of the call: the offset, day, seconds and weekday at once, the
 * civil date (a division-heavy conversion) only once a rule asks for it.
 */
static const clT_local *local_now(cl_vm *vm, const clT_zone *z, const cl_context *ctx,
                                  bool date)
{
    if (!vm->lt_valid || vm->lt_zone != z || vm->lt_now != ctx->now) {
        int64_t t = ctx->now < -CLT_TIME_LIMIT ? -CLT_TIME_LIMIT
                  : ctx->now > CLT_TIME_LIMIT  ? CLT_TIME_LIMIT : ctx->now;
        int64_t local = t + clT_offset_at(z, t), days = local / 86400;
        if (local % 86400 < 0)
            days--;
        vm->lt.days = days;
        vm->lt.seconds = (int32_t)(local - days * 86400);
        vm->lt.weekday = clT_weekday(days);
        vm->lt_zone = z;
        vm->lt_now = ctx->now;
        vm->lt_valid = 1;
        vm->lt_date = 0;
    }
    if (date && !vm->lt_date) {
        vm->lt.date = clT_civil_from_days(vm->lt.days);
        vm->lt_date = 1;
    }
    return &vm->lt;
}

static bool on_weekend(int64_t day)
{
    return clT_weekday(day) >= 5;
}

/* The day `moved` gives entry c in year y, or INT64_MIN. */
static int64_t moved_day(const clP_unit *u, const clP_calendar *c, int32_t y)
{
    if (c->moved == CL_NONE)
        return INT64_MIN;
    const clP_iset *s = &u->isets[c->moved];
    const int64_t *a = u->ints + s->first;
    size_t lo = 0, hi = s->count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (a[mid] < (int64_t)y * 10000)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == s->count || a[lo] / 10000 != y)
        return INT64_MIN;
    return clT_days_from_civil(y, (int)(a[lo] / 100 % 100), (int)(a[lo] % 100));
}

/*
 * The day of entry c for year y of its rule (days since the epoch), or
 * INT64_MIN when it has none that year: the rule's day plus offset_days,
 * moved off a weekend when observed `nearest`. A year in `moved` gives that
 * day as it is. *moves tells that the day falls on a weekend and is
 * observed `following`, so that it moves to a substitute day (below). A
 * full date belongs to the year it is in; yearly rules hold in years
 * 1..9999 (within from_year..until_year, outside except_years).
 */
static int64_t calendar_day(const clP_unit *u, const clP_calendar *c, int32_t y, bool *moves)
{
    int64_t d;
    *moves = false;
    switch ((clP_calk)c->kind) {
    case CAL_DATE:
        if (clT_civil_from_days(c->date).year != y)
            return INT64_MIN;
        d = c->date;
        break;
    default:
        if (y < 1 || y > 9999 || (c->from_year != 0 && y < c->from_year) ||
            (c->until_year != 0 && y > c->until_year) ||
            (c->except != CL_NONE && clP_iset_has(u, c->except, y)))
            return INT64_MIN;
        if ((d = moved_day(u, c, y)) != INT64_MIN)
            return d;
        if (c->kind == CAL_ANNUAL) {
            if (c->day > clT_days_in_month(y, c->month))
                return INT64_MIN; /* 02-29 in a common year */
            d = clT_days_from_civil(y, c->month, c->day);
        } else if (c->kind == CAL_NTH) {
            d = clT_nth_weekday(y, c->month, c->weekday, c->n);
            if (d == INT64_MIN)
                return d; /* no 5th Monday */
        } else {
            d = c->kind == CAL_EASTER ? clT_easter(y) : clT_orthodox_easter(y);
        }
        break;
    }
    d += c->offset;
    if (c->observed == OBS_NEAREST) {
        int wd = clT_weekday(d);
        d += wd == 5 ? -1 : wd == 6 ? 1 : 0;
    }
    *moves = c->observed == OBS_FOLLOWING && on_weekend(d);
    return d;
}

/* Days a substitute day is looked for after the weekend day it replaces. */
#define SUBSTITUTE_REACH 32

/*
 * The substitute day of entry c's day d of rule year y, which falls on a
 * weekend and is observed `following`: the first weekday after it that no
 * other day of its calendar occupies. Days that do not move occupy their
 * days (all of their span); the moving days of the years around y take
 * their substitutes in date order, so that Christmas on a Saturday takes
 * Monday 27 and Boxing Day on the Sunday Tuesday 28. INT64_MIN when no day
 * is free within SUBSTITUTE_REACH days.
 */
static int64_t substitute(const clP_unit *u, const clP_calendar *c, int32_t y)
{
    typedef struct { int64_t day; uint32_t entry; int32_t year; } mover;
    mover mv[3 * CLP_GROUP_MAX];
    int64_t busy[6 * CLP_GROUP_MAX];
    int32_t span[6 * CLP_GROUP_MAX];
    size_t nm = 0, nb = 0;
    uint32_t self = (uint32_t)(c - u->calendars);
    for (int32_t k = y - 1; k <= y + 1; k++)
        for (uint32_t i = c->group; i < c->group + c->group_n && i < c->group + CLP_GROUP_MAX;
             i++) {
            bool moves;
            int64_t d = calendar_day(u, &u->calendars[i], k, &moves);
            if (d == INT64_MIN)
                continue;
            if (moves) {
                /* Insertion sort by day, then entry. */
                size_t at = nm++;
                while (at > 0 && (mv[at - 1].day > d || (mv[at - 1].day == d &&
                                                          mv[at - 1].entry > i)))
                    mv[at] = mv[at - 1], at--;
                mv[at] = (mover){d, i, k};
            } else {
                busy[nb] = d;
                span[nb++] = u->calendars[i].span;
            }
        }
    for (size_t m = 0; m < nm; m++) {
        int64_t s = mv[m].day + 1, found = INT64_MIN;
        for (int tries = 0; tries < SUBSTITUTE_REACH && found == INT64_MIN; tries++, s++) {
            bool free = !on_weekend(s);
            for (size_t b = 0; b < nb && free; b++)
                free = s < busy[b] || s >= busy[b] + span[b];
            if (free)
                found = s;
        }
        if (mv[m].entry == self && mv[m].year == y)
            return found;
        if (found != INT64_MIN) {
            busy[nb] = found;
            span[nb++] = u->calendars[mv[m].entry].span;
        }
    }
    return INT64_MIN;
}

/* Whether local day `days` falls on entry c's occasion, checking the rule
 * years whose days, offsets, substitutes and spans can reach it (the
 * previous year's for a span across the new year). */
static bool calendar_has(const clP_unit *u, const clP_calendar *c, int64_t days)
{
    int64_t lo = days - c->span - SUBSTITUTE_REACH - 2, hi = days + 2;
    int32_t ylo = clT_civil_from_days(lo - (c->offset > 0 ? c->offset : 0)).year;
    int32_t yhi = clT_civil_from_days(hi - (c->offset < 0 ? c->offset : 0)).year;
    for (int32_t k = ylo; k <= yhi; k++) {
        bool moves;
        int64_t d = calendar_day(u, c, k, &moves);
        if (d == INT64_MIN)
            continue;
        if (moves) {
            if (days <= d || days > d + SUBSTITUTE_REACH + c->span)
                continue;
            if ((d = substitute(u, c, k)) == INT64_MIN)
                continue;
        }
        if (days >= d && days < d + c->span)
            return true;
    }
    return false;
}

static bool date_matches(const clP_unit *u, const clP_datespec *ds, const clT_local *lt)
{
    int md = lt->date.month * 100 + lt->date.day;
    switch ((clP_datek)ds->kind) {
    case DS_ON:
        return (ds->full != CL_NONE && clP_iset_has(u, ds->full, lt->days)) ||
               (ds->annual != CL_NONE && clP_iset_has(u, ds->annual, md));
    case DS_BETWEEN:
        if (!ds->annual_range)
            return lt->days >= ds->from && lt->days <= ds->to;
        if (ds->from <= ds->to)
            return md >= ds->from && md <= ds->to;
        return md >= ds->from || md <= ds->to;
    default:
        return (ds->months == 0 || (ds->months & (1u << lt->date.month))) &&
               (ds->days == 0 || (ds->days & (1u << lt->date.day)));
    }
}

/* The day of an every-year date (month, day) in year y; 29 February moves
 * to 28 February in common years (birthdays and anniversaries). */
static int64_t yearly(int32_t y, int month, int day)
{
    if (month == 2 && day == 29 && !clT_is_leap(y))
        day = 28;
    return clT_days_from_civil(y, month, day);
}

/* Whether the local date is within `within` days (before or after) of the
 * yearly day of `date` in the nearest year (of two as near, the one that
 * has passed); years (an iset or CL_NONE) restricts how many years after
 * `date` that is, and need_year asks for at least one. */
static bool near_yearly(const clP_unit *u, int64_t date, const clT_local *lt, int64_t within,
                        uint32_t years, bool need_year)
{
    clT_date d = clT_civil_from_days(date);
    int64_t best = INT64_MAX;
    int32_t year = 0;
    for (int32_t y = lt->date.year - 1; y <= lt->date.year + 1; y++) {
        int64_t diff = lt->days - yearly(y, d.month, d.day);
        int64_t a = diff < 0 ? -diff : diff, b = best < 0 ? -best : best;
        if (best == INT64_MAX || a < b || (a == b && diff > best)) {
            best = diff;
            year = y;
        }
    }
    int64_t age = (int64_t)year - d.year;
    if (best < -within || best > within || (need_year && age < 1))
        return false;
    return years == CL_NONE || clP_iset_has(u, years, age);
}

/* ------------------------------------------------------------------------
 * The dispatch loop
 * ------------------------------------------------------------------------ */

/* Records the message of REQUIRE/GUARD/TARGET as a failed reason. */
static bool fail_with(cl_vm *vm, const clP_unit *u, uint32_t msg)
{
    const clP_msg *m = &u->msgs[msg];
    return clR_reason_add(&vm->res, m->reason, m->line, clP_text(u, m->text));
}

static int oom(cl_vm *vm)
{
    return clE_set(vm->err, CL_ENOMEM, (cl_pos){0, 0, 0}, "out of memory");
}

int clV_conditions(cl_vm *vm, const cl_program *p, size_t index, const cl_context *ctx,
                   unsigned flags)
{
    const clP_unit *u;
    const clP_coupon *cp = clP_coupon_of(p, index, &u);
    clR_outcome *o = clR_begin(&vm->res, (long)index, clP_text(u, cp->code));
    if (o == NULL)
        return oom(vm);
    vm->steps = 0;
    value stack[CLP_MAX_STACK];
    value *sp = stack; /* next free slot */
    bool ok = true;
    const clX_usage *usage = NULL; /* this coupon's usage record, looked up once */
    bool usage_known = false;
    const clP_insn *code = u->code;
    uint32_t pc = cp->entry;
    /* Jumps only go forward, so the coupon runs at most its own code once:
     * that is counted up front; the work of ITEMS (per line) is counted
     * where it is done. */
    uint32_t idx = p->coupons[index].index;
    uint32_t end = idx + 1 < u->n_coupons ? u->coupons[idx + 1].entry : u->n_code;
    if (CL_UNLIKELY(!clV_step(vm, end - pc)))
        return CL_ESTEPS;
    for (;;) {
        const clP_insn *in = &code[pc++];
        switch ((clP_opcode)in->op) {
        /* LOAD_STR: a string field. An absent field pushes false and jumps
         * past the tests, straight to the REQUIRE that consumes it. */
        case OP_LOAD_STR: {
            const clX_str *s = &ctx->str[in->a];
            if (s->p == NULL) {
                (sp++)->i = 0;
                pc = in->c;
            } else {
                sp->s.p = s->p;
                sp->s.n = s->n;
                sp++;
            }
            break;
        }
        case OP_LOAD_INT: {
            int64_t v;
            if (!clX_int(ctx, in->a, &v)) {
                (sp++)->i = 0;
                pc = in->c;
            } else {
                (sp++)->i = v;
            }
            break;
        }
        /* LOAD_AMT: cart.subtotal is always there; shipping.amount may not be. */
        case OP_LOAD_AMT:
            if (in->a == FLD_CART_SUBTOTAL) {
                (sp++)->i = ctx->subtotal;
            } else if (!ctx->has_shipping) {
                (sp++)->i = 0;
                pc = in->c;
            } else {
                (sp++)->i = ctx->shipping;
            }
            break;
        case OP_INT_CMP: {
            int64_t v = sp[-1].i, k = u->ints[in->c];
            bool r;
            switch (in->a) {
            case CMP_EQ: r = v == k; break;
            case CMP_NE: r = v != k; break;
            case CMP_LT: r = v < k; break;
            case CMP_LE: r = v <= k; break;
            case CMP_GT: r = v > k; break;
            default: r = v >= k; break;
            }
            sp[-1].i = r;
            break;
        }
        case OP_INT_BETWEEN:
            sp[-1].i = sp[-1].i >= u->ints[in->c] && sp[-1].i <= u->ints[in->c + 1];
            break;
        /* INT_EVERY: value >= offset and (value - offset) divisible by n; the
         * difference is taken unsigned, where it cannot overflow. */
        case OP_INT_EVERY: {
            int64_t v = sp[-1].i, n = u->ints[in->c], k = u->ints[in->c + 1];
            sp[-1].i = n > 0 && v >= k && ((uint64_t)v - (uint64_t)k) % (uint64_t)n == 0;
            break;
        }
        case OP_INT_IN:
            sp[-1].i = clP_iset_has(u, in->c, sp[-1].i);
            break;
        case OP_STR_EQ:
            sp[-1].i = clB_eq(sp[-1].s.p, sp[-1].s.n, clP_text(u, in->c), u->strs[in->c].len);
            break;
        case OP_STR_IEQ:
            sp[-1].i = clB_ieq(sp[-1].s.p, sp[-1].s.n, clP_text(u, in->c), u->strs[in->c].len);
            break;
        case OP_STR_IN:
            sp[-1].i = clP_set_has(u, in->c, sp[-1].s.p, sp[-1].s.n);
            break;
        case OP_STR_PREFIX:
            sp[-1].i = has_prefix(u, in->c, sp[-1].s.p, sp[-1].s.n);
            break;
        case OP_STR_MATCH: {
            int r = match(vm, u, in->c, sp[-1].s.p, sp[-1].s.n);
            if (r < 0)
                return CL_ELIMIT;
            sp[-1].i = r;
            break;
        }
        /* STR_DOMAIN: the exact part after the last '@', ignoring case. */
        case OP_STR_DOMAIN: {
            const char *s = sp[-1].s.p, *at = NULL;
            for (uint32_t k = 0; k < sp[-1].s.n; k++)
                if (s[k] == '@')
                    at = s + k;
            sp[-1].i = at != NULL &&
                       clP_set_has(u, in->c, at + 1, sp[-1].s.n - (uint32_t)(at + 1 - s));
            break;
        }
        case OP_TAGS:
            (sp++)->i = tags_test(u, in->a, in->c, &ctx->user_tags);
            break;
        case OP_ITEMS: {
            int r = items_met(vm, u, in->c, ctx);
            if (r < 0)
                return vm->err && vm->err->code ? vm->err->code : CL_ELIMIT;
            (sp++)->i = r;
            break;
        }
        case OP_WEEKDAY:
            (sp++)->i = (in->a >> local_now(vm, zone_of(u, cp, ctx), ctx, false)->weekday) & 1;
            break;
        /* TIME_OF_DAY: [from, until) in local seconds; until <= from wraps. */
        case OP_TIME_OF_DAY: {
            int64_t s = local_now(vm, zone_of(u, cp, ctx), ctx, false)->seconds;
            int64_t from = u->ints[in->c], until = u->ints[in->c + 1];
            (sp++)->i = from < until ? s >= from && s < until : s >= from || s < until;
            break;
        }
        case OP_DATE:
            (sp++)->i = date_matches(u, &u->datespecs[in->c],
                                     local_now(vm, zone_of(u, cp, ctx), ctx, true));
            break;
        case OP_HOLIDAY: {
            const clT_local *lt = local_now(vm, zone_of(u, cp, ctx), ctx, false);
            const clP_iset *set = &u->isets[in->c];
            bool r = false;
            for (uint32_t k = 0; k < set->count && !r; k++) {
                int64_t cal = u->ints[set->first + k];
                r = cal >= 0 && (uint64_t)cal < u->n_calendars &&
                    calendar_has(u, &u->calendars[cal], lt->days);
            }
            (sp++)->i = r;
            break;
        }
        case OP_BIRTHDAY:
            (sp++)->i = ctx->has_birthday &&
                        near_yearly(u, ctx->birthday, local_now(vm, zone_of(u, cp, ctx), ctx, true),
                                    u->ints[in->c], CL_NONE, false);
            break;
        case OP_ANNIV: {
            const clP_anniv *a = &u->annivs[in->c];
            (sp++)->i = ctx->has_signup &&
                        near_yearly(u, ctx->signup, local_now(vm, zone_of(u, cp, ctx), ctx, true),
                                    a->within, a->years, true);
            break;
        }
        /* VALID: a bound is an instant, or a local date-time placed in the
         * coupon's zone now (a DST gap means the jump, an overlap the
         * earlier instant). from is inclusive, until exclusive. */
        case OP_VALID: {
            int64_t t = u->ints[in->c];
            if (in->b == 1)
                t = clT_local_to_instant(zone_of(u, cp, ctx), t);
            (sp++)->i = in->a == 0 ? ctx->now >= t : ctx->now < t;
            break;
        }
        case OP_ENTERED:
            (sp++)->i = cp->automatic || !(flags & CL_EVAL_ENTERED) ||
                        clX_entered(ctx, clP_text(u, cp->code), u->strs[cp->code].len);
            break;
        case OP_USES:
        case OP_PER_USER:
        case OP_BUDGET: {
            if (!usage_known) {
                usage = clX_usage_of(ctx, clP_text(u, cp->code), u->strs[cp->code].len);
                usage_known = true;
            }
            const clX_usage *us = usage;
            int64_t used = us == NULL ? 0 : in->op == OP_USES ? us->total
                                          : in->op == OP_PER_USER ? us->user : us->spent;
            (sp++)->i = used < u->ints[in->c];
            break;
        }
        case OP_TRUE:
            (sp++)->i = 1;
            break;
        case OP_NOT:
            sp[-1].i = !sp[-1].i;
            break;
        case OP_JUMP:
            pc = in->c;
            break;
        case OP_JF_KEEP:
            if (!sp[-1].i)
                pc = in->c;
            else
                sp--;
            break;
        case OP_JT_KEEP:
            if (sp[-1].i)
                pc = in->c;
            else
                sp--;
            break;
        /* REQUIRE: a failed requirement is recorded and evaluation goes on,
         * so the shopper learns every reason at once. */
        case OP_REQUIRE:
            if (!(--sp)->i) {
                ok = false;
                if (!fail_with(vm, u, in->c))
                    return oom(vm);
            }
            break;
        /* GUARD: a failure that makes every other reason moot (currency). */
        case OP_GUARD:
            if (!(--sp)->i) {
                if (!fail_with(vm, u, in->c))
                    return oom(vm);
                vm->res.out.v[vm->res.out.n - 1].applicable = 0;
                return CL_OK;
            }
            break;
        case OP_TARGET: {
            int r = clD_check_target(vm, u, cp, ctx);
            if (r < 0)
                return vm->err && vm->err->code ? vm->err->code : CL_ENOMEM;
            ok = ok && r == 1;
            break;
        }
        case OP_HALT:
            vm->res.out.v[vm->res.out.n - 1].applicable = ok;
            return CL_OK;
        default:
            return clE_set(vm->err, CL_EVERIFY, (cl_pos){0, 0, 0}, "bad opcode");
        }
    }
}
