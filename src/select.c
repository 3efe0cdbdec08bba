/*
 * select.c - evaluating coupons against a context, and choosing the best
 * combination (SPEC section 6).
 *
 * The choice is optimal, not greedy. Every applicable exclusive candidate
 * is an option alone; the stackable candidates are searched depth-first in
 * application order (priority, then code), deciding for each whether it is
 * taken, each taken one computing its discount on what the ones before it
 * left. The search is exact and prunes:
 *
 *   - bounds: a branch is cut when the total so far plus an upper bound of
 *     what the candidates still to come can add (each one's standalone
 *     discount, or for tiers the most any tier could give; one per group;
 *     the largest ones only, when max_coupons limits how many more fit; and
 *     never more than the cart has left) cannot reach the best total found,
 *     or can only equal it with more coupons (ties go to fewer coupons);
 *   - nothing for nothing: a candidate that would take nothing off what is
 *     left is never taken (skipping it changes no remainder and saves a
 *     coupon), which also ends the search once the cart is used up;
 *   - taking first: the branch that takes a candidate is searched before
 *     the one that skips it, so the first complete choice is "everything
 *     that fits", which is already the best total when coupons are free to
 *     combine, and bounds cut most of what follows;
 *   - dominance: adding a stackable coupon that has no group and no `stop`
 *     never lowers the total when every coupon after it computes its
 *     discount on the remaining amount as a whole (percent, amount, free
 *     shipping: taking x off first costs them at most x). In the branch that
 *     skips such a coupon a better total is then impossible, so that branch
 *     is searched only for an equal total with fewer coupons.
 *
 * The worst case is still exponential: 2^n choices of n applicable
 * stackable coupons (tiers and per-unit kinds after others, groups and
 * max_coupons can defeat the bounds), each costing O(lines). The step
 * budget (CL_LIMIT_STEPS) bounds it; docs/selection.md has the details.
 */
#include "vm.h"

#include "index.h"
#include "money.h"

#include <stdio.h>

typedef struct cand {
    size_t index;             /* in the program */
    const clP_unit *u;
    const clP_coupon *c;
    size_t outcome;           /* its outcome in the scratch result */
    int64_t alone;            /* discount + shipping discount on the original cart */
    int64_t ub;               /* the most it can add after any others */
    size_t elig;              /* its eligible lines: offset into sel.elig */
    size_t lines, nlines;     /* the same as indexes: offset into sel.lines, and count */
    uint32_t gid;             /* its group's number, CL_NONE for none */
    uint8_t smooth;           /* computes on the remainder as a whole */
} cand;

typedef struct sel {
    cl_result scratch;        /* every candidate's conditions */
    CL_VEC(cand) cands;       /* applicable candidates */
    CL_VEC(uint8_t) elig;     /* each candidate's eligible lines */
    CL_VEC(uint32_t) lines;   /* the same as lists of line indexes */
    CL_VEC(int64_t) mem;      /* remainders for each depth, line shares, bounds */
    CL_VEC(size_t) idx;       /* current and best choices */
    CL_VEC(uint32_t) groups;  /* how many taken per group number */
    CL_VEC(int64_t) gmax;     /* the groups' largest bounds */
    CL_VEC(uint32_t) csr;     /* the search's lines to candidates */
    CL_VEC(int64_t) stack;    /* the tables of the stacking bound */
    CL_VEC(uint8_t) flags;    /* per candidate: last of its group */
} sel;

void clS_free(cl_vm *vm);
void clS_free(cl_vm *vm)
{
    sel *s = vm->sel;
    if (s == NULL)
        return;
    clR_free(&s->scratch);
    CL_VEC_FREE(vm->env, s->cands);
    CL_VEC_FREE(vm->env, s->elig);
    CL_VEC_FREE(vm->env, s->lines);
    CL_VEC_FREE(vm->env, s->mem);
    CL_VEC_FREE(vm->env, s->idx);
    CL_VEC_FREE(vm->env, s->groups);
    CL_VEC_FREE(vm->env, s->gmax);
    CL_VEC_FREE(vm->env, s->csr);
    CL_VEC_FREE(vm->env, s->stack);
    CL_VEC_FREE(vm->env, s->flags);
    clB_free(vm->env, s, sizeof *s);
    vm->sel = NULL;
}

/* ------------------------------------------------------------------------
 * Evaluation
 * ------------------------------------------------------------------------ */

static int begin(cl_vm *vm, const cl_program *p, const cl_context *ctx, cl_error *err)
{
    clE_clear(err);
    /* the VM reads error codes back from vm->err: give it one always */
    vm->err = err != NULL ? err : &vm->scratch_err;
    clE_clear(vm->err);
    if (p == NULL || ctx == NULL)
        return clE_set(err, CL_EINVAL, (cl_pos){0, 0, 0}, "no program or no context");
    if (!ctx->has_now || ctx->exponent < 0)
        return clE_set(err, CL_EINVAL, (cl_pos){0, 0, 0}, "the context needs now and currency");
    clR_reset(&vm->res);
    memcpy(vm->res.currency, ctx->currency, sizeof vm->res.currency);
    vm->res.exponent = ctx->exponent;
    vm->res.totals[CL_TOTAL_SUBTOTAL] = ctx->subtotal;
    vm->res.totals[CL_TOTAL_SHIPPING] = ctx->has_shipping ? ctx->shipping : 0;
    vm->res.totals[CL_TOTAL_TOTAL] = ctx->subtotal + vm->res.totals[CL_TOTAL_SHIPPING];
    vm->lt_valid = 0;
    if (!clV_scratch_reserve(vm, ctx->items.n + 1))
        return clE_set(err, CL_ENOMEM, (cl_pos){0, 0, 0}, "out of memory");
    return CL_OK;
}

/* Per-line amounts of the original cart into rem. */
static void original(const cl_context *ctx, int64_t *rem)
{
    for (size_t i = 0; i < ctx->items.n; i++)
        rem[i] = ctx->items.v[i].amount;
}

/* Fills the newest outcome's amounts from a computed discount: the lines
 * with a share, each with a copy of its SKU (the result must not point into
 * the context, which the caller may change or free before reading it). */
static int record_discount(cl_vm *vm, const cl_context *ctx, const int64_t *lines, size_t n,
                           int64_t total, int64_t ship)
{
    cl_result *r = &vm->res;
    clR_outcome *o = &r->out.v[r->out.n - 1];
    o->discount = total;
    o->shipping = ship;
    if (total == 0)
        return CL_OK;
    size_t bytes = 0, k = 0;
    for (size_t i = 0; i < n; i++)
        if (lines[i] != 0) {
            bytes += ctx->items.v[i].sku.n + 1;
            k++;
        }
    if (!CL_RESERVE(r->env, r->lines, k) ||
        (r->text.n + bytes + 1 > r->text.cap &&
         !clB_grow(r->env, (void **)&r->text.p, &r->text.cap, r->text.n + bytes + 1, 1)))
        return clE_set(vm->err, CL_ENOMEM, (cl_pos){0, 0, 0}, "out of memory");
    clR_line *out = r->lines.v + r->lines.n;
    char *text = r->text.p;
    size_t at = r->text.n;
    for (size_t i = 0; i < n; i++)
        if (lines[i] != 0) {
            const clX_str *sku = &ctx->items.v[i].sku;
            *out++ = (clR_line){(uint32_t)i, lines[i], at};
            memcpy(text + at, sku->p, sku->n + 1);
            at += sku->n + 1;
        }
    text[at] = '\0'; /* as clB_str_append leaves it */
    r->lines.n += k;
    r->text.n = at;
    o->line_count = (uint32_t)(r->lines.n - o->line_first);
    return CL_OK;
}

/* Points an error of evaluating coupon c (its step budget, a regex's match
 * limit) at the coupon's file, and at the coupon itself when the error has
 * no line of its own, and names the coupon. */
static int locate(cl_vm *vm, const clP_unit *u, const clP_coupon *c, int rc)
{
    cl_error *err = vm->err;
    if (rc == CL_OK || rc == CL_ENOMEM || err == NULL || err->code == CL_OK)
        return rc;
    clE_source(err, u->source);
    if (err->line == 0) {
        err->line = c->line;
        err->column = c->col;
    }
    size_t len = strlen(err->message);
    snprintf(err->message + len, sizeof err->message - len, " (coupon %s)", clP_text(u, c->code));
    return rc;
}

/* Runs coupon i alone: conditions, then (when applicable) its discount on
 * the original cart. */
static int eval_one(cl_vm *vm, const cl_program *p, size_t i, const cl_context *ctx,
                    unsigned flags, int64_t *lines)
{
    const clP_unit *u;
    const clP_coupon *c = clP_coupon_of(p, i, &u);
    int rc = clV_conditions(vm, p, i, ctx, flags);
    if (rc != CL_OK || !vm->res.out.v[vm->res.out.n - 1].applicable)
        return locate(vm, u, c, rc);
    int64_t total, ship;
    /* The TARGET check that made it applicable left its eligible lines in
     * vm->s.elig, on this same original cart, whose line amounts are the
     * remainders. */
    rc = clD_compute_with(vm, u, c, ctx, vm->s.elig, ctx->amounts.v,
                          ctx->has_shipping ? ctx->shipping : 0, lines, &total, &ship);
    return rc == CL_OK ? record_discount(vm, ctx, lines, ctx->items.n, total, ship)
                       : locate(vm, u, c, rc);
}

CL_API cl_status cl_vm_eval_some(cl_vm *vm, const cl_program *p, const cl_context *ctx,
                                 const size_t *indexes, size_t n, unsigned flags,
                                 const cl_result **out, cl_error *err)
{
    if (vm == NULL)
        return CL_EINVAL;
    int rc = begin(vm, p, ctx, err);
    if (rc != CL_OK)
        return (cl_status)rc;
    /* begin() sized the scratch arrays for the context's lines. */
    int64_t *lines = vm->s.shares;
    for (size_t k = 0; k < n && rc == CL_OK; k++) {
        size_t i = indexes ? indexes[k] : k;
        if (i >= p->ncoupons)
            rc = clE_set(err, CL_ERANGE, (cl_pos){0, 0, 0}, "no coupon %zu", i);
        else
            rc = eval_one(vm, p, i, ctx, flags, lines);
    }
    if (rc != CL_OK) {
        clR_reset(&vm->res);
        return (cl_status)rc;
    }
    if (out != NULL)
        *out = &vm->res;
    return CL_OK;
}

CL_API cl_status cl_vm_eval(cl_vm *vm, const cl_program *p, const cl_context *ctx,
                            unsigned flags, const cl_result **out, cl_error *err)
{
    return cl_vm_eval_some(vm, p, ctx, NULL, p ? p->ncoupons : 0, flags, out, err);
}

/* ------------------------------------------------------------------------
 * The search
 * ------------------------------------------------------------------------ */

typedef struct search {
    cl_vm *vm;
    const cl_context *ctx;
    const cand *c;            /* stackable candidates in application order */
    const uint8_t *elig;      /* the candidates' eligible lines */
    const uint32_t *elig_lines; /* and as indexes */
    int64_t *esum;            /* [j]: what is left of c[j]'s eligible lines now */
    const uint32_t *line_first; /* [i]..[i+1]: the candidates eligible on line i */
    const uint32_t *line_cands; /* (indexes into c) */
    size_t n;
    size_t lines;             /* lines in the cart */
    int64_t *rem;             /* (n + 1) rows of `lines` remainders */
    int64_t *ship;            /* (n + 1) shipping remainders */
    int64_t *left;            /* (n + 1) totals of what is left to take off */
    int64_t *tmp;             /* one row of line shares */
    int64_t *suffix;          /* suffix[k]: sum of ub over c[k..n) */
    int64_t *vals;            /* n bounds, for the refined bound */
    uint8_t *smooth_after;    /* smooth_after[k]: c[k..n) are all smooth */
    uint8_t *free_after;      /* free_after[k]: c[k..n) are all smooth, without stop, and
                                 no group has two of them */
    uint8_t *last_member;     /* last_member[k]: no other member of c[k]'s group follows it */
    int64_t *max_ub;          /* max_ub[k]: the largest ub of c[k..n) */
    size_t *min_code;         /* min_code[k]: the one of c[k..n) with the smallest code */
    uint32_t *gtaken;         /* per group number: taken in the current choice */
    uint32_t ngroups;
    int64_t *ungrouped;       /* ungrouped[k]: sum of ub over the ungrouped of c[k..n) */
    int64_t *gmax;            /* [g * (n + 1) + k]: group g's largest ub in c[k..n), or NULL */
    int64_t *gmax_all;        /* [g]: group g's largest ub (when gmax is too big to keep) */
    int64_t *gbest;           /* [g]: scratch of suffix_bound */
    bool refined;             /* groups or max_coupons: refine the suffix bound */
    /* The stacking bound (stack_bound): NULL tables when too big to keep. */
    uint64_t *sb_frac;        /* [k * L + i]: the part of line i the ungrouped percents
                                 of c[k..n) leave, at least, in units of 2^-32 */
    int64_t *sb_count;        /* [k * L + i]: how many of them there are */
    int64_t *sb_pct;          /* [(k * G + g) * L + i]: the largest percent (basis
                                 points) of group g's members in c[k..n) on line i */
    uint64_t *sb_gmask;       /* [k * L + i]: bit g set when group g has a percent there
                                 (NULL when there are more than 64 groups) */
    int64_t *sb_add;          /* [k]: sum of ub over the ungrouped other kinds in c[k..n) */
    int64_t *sb_gadd;         /* [k * G + g]: group g's largest ub of another kind there */
    size_t *cur, ncur;        /* chosen candidates (indexes into c) */
    int64_t cur_total;
    size_t *best, nbest;      /* best choice so far */
    int64_t best_total;
    const cand *best_excl;    /* the best is this exclusive candidate alone */
    uint64_t max;             /* max coupons, 0 = no limit */
    int rc;
} search;

/* strcasecmp order of the two candidates' codes (SPEC 9). Codes mostly
 * differ in a digit, written alike in both: the common part is skipped
 * byte for byte first. */
static int code_cmp(const cand *a, const cand *b)
{
    const char *x = clP_text(a->u, a->c->code), *y = clP_text(b->u, b->c->code);
    size_t nx = a->u->strs[a->c->code].len, ny = b->u->strs[b->c->code].len, i = 0;
    while (i < nx && i < ny && x[i] == y[i])
        i++;
    return clB_icmp(x + i, nx - i, y + i, ny - i);
}

/* Application order: higher priority first, then the smaller code. */
static int apply_cmp(const void *pa, const void *pb)
{
    const cand *a = pa, *b = pb;
    if (a->c->priority != b->c->priority)
        return a->c->priority > b->c->priority ? -1 : 1;
    return code_cmp(a, b);
}

/* A choice seen through indexes into the stackables, or one exclusive. */
typedef struct view {
    const cand *base;
    const size_t *idx;
    size_t n;
    const cand *single;   /* an exclusive candidate alone */
} view;

static const cand *view_at(const view *v, size_t i)
{
    return v->single ? v->single : &v->base[v->idx[i]];
}

/* Whether choice x (total tx) beats choice y (total ty). */
static bool better(int64_t tx, const view *x, int64_t ty, const view *y)
{
    if (tx != ty)
        return tx > ty;
    if (x->n != y->n)
        return x->n < y->n;
    if (x->n == 0)
        return false;
    if (view_at(x, 0)->c->priority != view_at(y, 0)->c->priority)
        return view_at(x, 0)->c->priority > view_at(y, 0)->c->priority;
    for (size_t i = 0; i < x->n; i++) {
        int c = code_cmp(view_at(x, i), view_at(y, i));
        if (c != 0)
            return c < 0;
    }
    return false;
}

static size_t best_count(const search *s)
{
    return s->best_excl ? 1 : s->nbest;
}

static void leaf(search *s)
{
    view x = {s->c, s->cur, s->ncur, NULL};
    view y = {s->c, s->best, best_count(s), s->best_excl};
    if (!better(s->cur_total, &x, s->best_total, &y))
        return;
    memcpy(s->best, s->cur, s->ncur * sizeof *s->cur);
    s->nbest = s->ncur;
    s->best_total = s->cur_total;
    s->best_excl = NULL;
}

static int cmp_desc(const void *pa, const void *pb)
{
    int64_t a = *(const int64_t *)pa, b = *(const int64_t *)pb;
    return (a < b) - (a > b);
}

/* What c[j] could still take off the current remainder: never more than
 * what is left of its eligible lines (or of shipping), and for percent and
 * amount discounts exactly their value on it (smaller remainders later
 * only give less). */
static int64_t bound_now(const search *s, size_t j)
{
    const cand *c = &s->c[j];
    const clP_discount *d = &c->u->discounts[c->c->discount];
    int64_t base = d->target == TG_SHIPPING ? s->ship[s->ncur] : s->esum[j];
    int64_t v = base;
    if (d->kind == DK_PERCENT || d->kind == DK_FREE_SHIPPING) {
        /* Rounded up: a bound. The cheap way when it cannot overflow. */
        v = base <= INT64_MAX / 10000 ? (base * d->value + 9999) / 10000
                                      : clM_percent(base, d->value, CLM_UP);
    } else if (d->kind == DK_AMOUNT && d->value < base) {
        v = d->value;
    }
    return v < c->ub ? v : c->ub;
}

/* The largest ub of group g's members among c[k..n). */
static int64_t group_max(const search *s, uint32_t g, size_t k)
{
    return s->gmax ? s->gmax[(size_t)g * (s->n + 1) + k] : s->gmax_all[g];
}

/* An upper bound of what c[k..n) can add to the current choice, with
 * groups or max_coupons: at most one per group not yet taken (its member
 * that could take the most off the current remainder), and only the
 * largest ones that still fit. */
static int64_t suffix_bound(search *s, size_t k)
{
    if (!s->refined)
        return s->suffix[k];
    size_t m = 0;
    int64_t *best = s->gbest;
    for (uint32_t g = 0; g < s->ngroups; g++)
        best[g] = 0;
    for (size_t j = k; j < s->n; j++) {
        uint32_t g = s->c[j].gid;
        if (g != CL_NONE && (s->gtaken[g] != 0 || best[g] >= s->c[j].ub))
            continue;
        int64_t v = bound_now(s, j);
        if (g == CL_NONE)
            s->vals[m++] = v;
        else if (v > best[g])
            best[g] = v;
    }
    for (uint32_t g = 0; g < s->ngroups; g++)
        if (best[g] > 0)
            s->vals[m++] = best[g];
    size_t room = m;
    if (s->max != 0)
        room = s->max > s->ncur ? (size_t)(s->max - s->ncur) : 0;
    if (room < m)
        qsort(s->vals, m, sizeof *s->vals, cmp_desc);
    int64_t sum = 0;
    for (size_t i = 0; i < m && i < room; i++)
        sum += s->vals[i];
    return sum;
}

/* ------------------------------------------------------------------------
 * The stacking bound
 * ------------------------------------------------------------------------ */

/*
 * Percent coupons that stack on the same line take a share of what the
 * ones before them left, so together they take less than the sum of their
 * standalone discounts. stack_bound() bounds what c[k..n) can add to the
 * current choice line by line:
 *
 * A percent coupon of p (no cap, no budget) on lines E with remainders r
 * takes D <= p * sum(r) + 1 (rounded) and gives line i a share of at most
 * D * r_i / sum(r) + 1 <= p * r_i + 2, so it leaves line i at least
 * (1 - p) * r_i - 2. Any other coupon leaves it r_i minus its own share of
 * the line, whose shares over all lines add up to its discount, at most its
 * bound ub. Over any choice of coupons, in any order, line i is then left
 * at least Q_i * r_i - A_i - 2 * P_i, where Q_i is the product of (1 - p)
 * over the percent ones on the line, P_i how many they are and A_i the
 * other ones' shares of it; so the choice takes at most
 *
 *     sum_i min(r_i, ceil(r_i * (1 - Q_i)) + 2 * P_i) + sum of the others' ub.
 *
 * Q_i is smallest (and P_i largest) when every ungrouped percent coupon on
 * the line is taken and, of each group not taken yet, its member with the
 * largest percent on the line: the bound uses those, whatever is chosen,
 * and for the other kinds every ungrouped one's ub and each untaken group's
 * largest (a group's member is one kind or the other). max_coupons and
 * stops only take choices away. Products are kept in units of 2^-32,
 * rounded down at each factor (so 1 - Q_i only grows); the tables hold them
 * for every suffix c[k..n).
 */

#define SB_ONE ((uint64_t)1 << 32)
#define SB_CELLS ((size_t)1 << 20)   /* the tables' size limit, in cells */

static int64_t sat_add(int64_t a, int64_t b)
{
    return a > INT64_MAX - b ? INT64_MAX : a + b;
}

/* The index of the lowest set bit of m (m != 0). */
static unsigned lowest_bit(uint64_t m)
{
#if defined(__GNUC__)
    return (unsigned)__builtin_ctzll(m);
#else
    unsigned i = 0;
    while (!(m & 1)) {
        m >>= 1;
        i++;
    }
    return i;
#endif
}

/* Whether c is a percent coupon that stacks on its lines: no cap, no
 * budget, not on shipping. */
static bool stacks(const cand *c)
{
    const clP_discount *d = &c->u->discounts[c->c->discount];
    return d->kind == DK_PERCENT && d->target != TG_SHIPPING && d->max_amount < 0 &&
           c->c->budget < 0;
}

/* Fills the stacking bound's tables, or leaves them NULL when they would
 * pass SB_CELLS. */
static int stack_tables(cl_vm *vm, sel *s, search *x)
{
    size_t n = x->n, L = x->lines, G = x->ngroups, rows = n + 1;
    x->sb_frac = NULL;
    if (n == 0 || L == 0 || rows > SB_CELLS / L || rows * L > SB_CELLS / (G + 4))
        return CL_OK;
    size_t line_cells = rows * L, cells = line_cells * (3 + G) + rows * (1 + G);
    s->stack.n = 0;
    if (!CL_RESERVE(vm->env, s->stack, cells))
        return clE_set(vm->err, CL_ENOMEM, (cl_pos){0, 0, 0}, "out of memory");
    int64_t *frac = s->stack.v, *count = frac + line_cells, *pct = count + line_cells;
    int64_t *gmask = pct + line_cells * G, *add = gmask + line_cells, *gadd = add + rows;
    for (size_t i = 0; i < L; i++) {
        frac[n * L + i] = (int64_t)SB_ONE;
        count[n * L + i] = 0;
        gmask[n * L + i] = 0;
    }
    memset(pct + n * G * L, 0, G * L * sizeof *pct);
    add[n] = 0;
    memset(gadd + n * G, 0, G * sizeof *gadd);
    for (size_t k = n; k-- > 0;) {
        const cand *c = &x->c[k];
        memcpy(frac + k * L, frac + (k + 1) * L, L * sizeof *frac);
        memcpy(count + k * L, count + (k + 1) * L, L * sizeof *count);
        memcpy(pct + k * G * L, pct + (k + 1) * G * L, G * L * sizeof *pct);
        memcpy(gmask + k * L, gmask + (k + 1) * L, L * sizeof *gmask);
        add[k] = add[k + 1];
        memcpy(gadd + k * G, gadd + (k + 1) * G, G * sizeof *gadd);
        const uint32_t *lines = x->elig_lines + c->lines;
        if (stacks(c)) {
            int64_t bp = c->u->discounts[c->c->discount].value;
            for (size_t j = 0; j < c->nlines; j++) {
                size_t i = lines[j];
                if (c->gid == CL_NONE) {
                    frac[k * L + i] = (int64_t)((uint64_t)frac[k * L + i] *
                                                (uint64_t)(10000 - bp) / 10000);
                    count[k * L + i]++;
                } else if (bp > pct[(k * G + c->gid) * L + i]) {
                    pct[(k * G + c->gid) * L + i] = bp;
                    if (c->gid < 64)
                        gmask[k * L + i] |= (int64_t)((uint64_t)1 << c->gid);
                }
            }
        } else if (c->gid == CL_NONE) {
            add[k] = sat_add(add[k], c->ub);
        } else if (c->ub > gadd[k * G + c->gid]) {
            gadd[k * G + c->gid] = c->ub;
        }
    }
    x->sb_frac = (uint64_t *)frac;
    x->sb_count = count;
    x->sb_pct = pct;
    x->sb_gmask = G <= 64 ? (uint64_t *)gmask : NULL;
    x->sb_add = add;
    x->sb_gadd = gadd;
    return CL_OK;
}

/* The stacking bound of c[k..n) on the current remainder (see above). */
static int64_t stack_bound(const search *s, size_t k)
{
    size_t L = s->lines, G = s->ngroups;
    const int64_t *rem = s->rem + s->ncur * L;
    const uint64_t *frac = s->sb_frac + k * L;
    const int64_t *count = s->sb_count + k * L, *pct = s->sb_pct + k * G * L;
    int64_t b = s->sb_add[k];
    uint64_t open = 0;            /* the groups not taken (with a mask) */
    for (uint32_t g = 0; g < G; g++)
        if (s->gtaken[g] == 0) {
            b = sat_add(b, s->sb_gadd[k * G + g]);
            if (g < 64)
                open |= (uint64_t)1 << g;
        }
    for (size_t i = 0; i < L; i++) {
        int64_t r = rem[i];
        if (r <= 0)
            continue;
        uint64_t f = frac[i];
        int64_t p = count[i];
        if (s->sb_gmask != NULL) {
            for (uint64_t m = s->sb_gmask[k * L + i] & open; m != 0; m &= m - 1) {
                int64_t bp = pct[(size_t)lowest_bit(m) * L + i];
                f = f * (uint64_t)(10000 - bp) / 10000;
                p++;
            }
        } else {
            for (uint32_t g = 0; g < G; g++) {
                int64_t bp = pct[(size_t)g * L + i];
                if (bp > 0 && s->gtaken[g] == 0) {
                    f = f * (uint64_t)(10000 - bp) / 10000;
                    p++;
                }
            }
        }
        if (p == 0)
            continue;
        int64_t t = r < ((int64_t)1 << 31)
                        ? (int64_t)(((uint64_t)r * (SB_ONE - f) + SB_ONE - 1) >> 32) + 2 * p
                        : r;
        b = sat_add(b, t < r ? t : r);
    }
    return b;
}

/* What taking every one of c[k..n) that may still be taken (its group not
 * taken yet) on top of the current choice adds: when they are all smooth,
 * without stop, and no group has two of them, no subset of them adds more
 * (dominance), so this is an exact bound of the branch. Works in the
 * remainder row below the current one, which nothing uses yet. */
static int64_t take_all(search *s, size_t k)
{
    size_t d = s->ncur, L = s->lines;
    int64_t *work = s->rem + (d + 1) * L, ship = s->ship[d], sum = 0;
    memcpy(work, s->rem + d * L, L * sizeof *work);
    for (size_t j = k; j < s->n && s->rc == CL_OK; j++) {
        const cand *c = &s->c[j];
        if (c->gid != CL_NONE && s->gtaken[c->gid] != 0)
            continue;          /* its group's member is taken already */
        int64_t total, sh;
        s->rc = clD_compute_with(s->vm, c->u, c->c, s->ctx, s->elig + c->elig, work, ship,
                                 s->tmp, &total, &sh);
        for (size_t i = 0; i < L; i++)
            work[i] -= s->tmp[i];
        ship -= sh;
        sum += total + sh;
    }
    return sum;
}

/* The code of the i-th coupon of the best choice. */
static const cand *best_at(const search *s, size_t i)
{
    return s->best_excl ? s->best_excl : &s->c[s->best[i]];
}

/*
 * Whether no choice of this branch with the best total and as many coupons
 * as the best can win the tie on order (SPEC 6: the higher first priority,
 * then the smaller codes in application order). The choice is the current
 * one followed by some of c[k..n), at least one of them.
 */
static bool order_hopeless(const search *s, size_t k)
{
    size_t nb = best_count(s);
    if (nb == 0 || s->ncur >= nb)
        return true;   /* as many coupons means the same empty or current choice */
    int64_t pb = best_at(s, 0)->c->priority;
    int64_t p0 = s->ncur > 0 ? s->c[s->cur[0]].c->priority : s->c[k].c->priority;
    if (p0 != pb)
        return p0 < pb;
    for (size_t i = 0; i < s->ncur; i++) {
        int d = code_cmp(&s->c[s->cur[i]], best_at(s, i));
        if (d != 0)
            return d > 0;
    }
    return code_cmp(&s->c[s->min_code[k]], best_at(s, s->ncur)) > 0;
}

/*
 * Whether a branch at c[k..n), whose choices can add at most `bound` to
 * the current one, cannot beat the best choice found. Below the best total
 * it cannot. At best an equal total (or tie_only, from dominance) wins only
 * on the tie rules: fewer coupons, or as many and a better order; reaching
 * the best total takes at least ceil(need / largest bound) more coupons.
 */
static bool hopeless(const search *s, size_t k, int64_t bound, bool tie_only)
{
    int64_t need = s->best_total - s->cur_total;
    if (bound < need)
        return true;
    if ((bound > need && !tie_only) || need < 0)
        return false;
    size_t nb = best_count(s);
    if (need == 0) {
        /* The current choice reaches the best total; more coupons only add
         * to the count. */
        view x = {s->c, s->cur, s->ncur, NULL};
        view y = {s->c, s->best, nb, s->best_excl};
        return !better(s->cur_total, &x, s->best_total, &y);
    }
    size_t more = s->max_ub[k] > 0 ? (size_t)((need + s->max_ub[k] - 1) / s->max_ub[k]) : SIZE_MAX;
    if (more == SIZE_MAX || s->ncur + more > nb)
        return true;
    if (s->ncur + more < nb)
        return false;
    return order_hopeless(s, k);
}

static void dfs(search *s, size_t k, bool tie_only);

/* Moves every candidate's eligible remainder by sign x what candidate c
 * took off each of its lines between rows rem and next (only its lines
 * changed). */
static void shift_esums(search *s, const cand *c, const int64_t *rem, const int64_t *next,
                        int sign)
{
    const uint32_t *lines = s->elig_lines + c->lines;
    for (size_t j = 0; j < c->nlines; j++) {
        uint32_t i = lines[j];
        int64_t delta = rem[i] - next[i];
        if (delta == 0)
            continue;
        for (uint32_t k = s->line_first[i]; k < s->line_first[i + 1]; k++)
            s->esum[s->line_cands[k]] += sign * delta;
    }
}

/* Takes candidate k on top of the current choice and searches on; false
 * when k would take nothing off (and so was not taken). */
static bool take(search *s, size_t k)
{
    const cand *c = &s->c[k];
    size_t d = s->ncur, L = s->lines;
    int64_t *rem = s->rem + d * L, *next = s->rem + (d + 1) * L, total, ship;
    s->rc = clD_compute_with(s->vm, c->u, c->c, s->ctx, s->elig + c->elig, rem, s->ship[d],
                             s->tmp, &total, &ship);
    /* A coupon that takes nothing off here changes no remainder: skipping
     * it gives the same totals with one coupon fewer (and frees its group,
     * its place under max_coupons, and what its stop would end). */
    if (s->rc != CL_OK || total + ship == 0)
        return false;
    for (size_t i = 0; i < L; i++)
        next[i] = rem[i] - s->tmp[i];
    shift_esums(s, c, rem, next, -1);
    s->ship[d + 1] = s->ship[d] - ship;
    s->left[d + 1] = s->left[d] - total - ship;
    s->cur[s->ncur++] = k;
    s->cur_total += total + ship;
    if (c->gid != CL_NONE)
        s->gtaken[c->gid]++;
    if (c->c->stop)
        leaf(s);           /* after a stop coupon no further coupon applies */
    else
        dfs(s, k + 1, false);
    if (c->gid != CL_NONE)
        s->gtaken[c->gid]--;
    s->ncur--;
    s->cur_total -= total + ship;
    shift_esums(s, c, rem, next, 1);
    return true;
}

/* A first choice for the search to beat: in application order, every
 * candidate that fits, is the member with the largest bound of its group
 * still to come, and takes something off. Only a start: the search then
 * finds the best, but a good start lets the bounds cut early. */
static void seed(search *s)
{
    size_t L = s->lines;
    for (size_t k = 0; k < s->n && s->rc == CL_OK; k++) {
        const cand *c = &s->c[k];
        if (s->max != 0 && s->ncur >= s->max)
            break;
        if (c->gid != CL_NONE && (s->gtaken[c->gid] != 0 || group_max(s, c->gid, k) > c->ub))
            continue;
        size_t d = s->ncur;
        int64_t *rem = s->rem + d * L, *next = rem + L, total, ship;
        s->rc = clD_compute_with(s->vm, c->u, c->c, s->ctx, s->elig + c->elig, rem, s->ship[d],
                                 s->tmp, &total, &ship);
        if (s->rc != CL_OK || total + ship == 0)
            continue;
        for (size_t i = 0; i < L; i++)
            next[i] = rem[i] - s->tmp[i];
        s->ship[d + 1] = s->ship[d] - ship;
        s->left[d + 1] = s->left[d] - total - ship;
        s->cur[s->ncur++] = k;
        s->cur_total += total + ship;
        if (c->gid != CL_NONE)
            s->gtaken[c->gid]++;
        if (c->c->stop)
            break;
    }
    if (s->rc == CL_OK)
        leaf(s);
    for (size_t i = 0; i < s->ncur; i++)
        if (s->c[s->cur[i]].gid != CL_NONE)
            s->gtaken[s->c[s->cur[i]].gid]--;
    s->ncur = 0;
    s->cur_total = 0;
}

/*
 * Decides on c[k..n). With tie_only, no choice of this branch can have a
 * larger total than one already searched (dominance): only an equal total
 * with fewer coupons, or as many and a better order, can still win.
 */
static void dfs(search *s, size_t k, bool tie_only)
{
    if (s->rc != CL_OK)
        return;
    if (!clV_step(s->vm, 1)) {
        s->rc = CL_ESTEPS;
        return;
    }
    if (k == s->n) {
        leaf(s);
        return;
    }
    /* Bounds from the cheapest: the sum of the bounds (and what is left
     * of the cart), the stacking bound, the refined one. */
    int64_t bound = s->suffix[k] < s->left[s->ncur] ? s->suffix[k] : s->left[s->ncur];
    if (hopeless(s, k, bound, tie_only))
        return;
    if (s->sb_frac != NULL) {
        int64_t b = stack_bound(s, k);
        if (b < bound && hopeless(s, k, bound = b, tie_only))
            return;
    }
    if (s->refined && (s->max != 0 || s->sb_frac == NULL)) {
        int64_t b = suffix_bound(s, k);
        if (b < bound && hopeless(s, k, bound = b, tie_only))
            return;
    }
    bool room = s->max == 0 || s->ncur + (s->n - k) <= s->max;
    if (s->best_total > 0 && s->free_after[k] && room) {
        bound = take_all(s, k);
        if (s->rc != CL_OK || hopeless(s, k, bound, tie_only))
            return;
    }
    const cand *c = &s->c[k];
    bool fits = s->max == 0 || s->ncur < s->max;
    bool can_take = fits && (c->gid == CL_NONE || s->gtaken[c->gid] == 0);
    bool taken = can_take && take(s, k);
    /* Skipping a coupon without stop whose successors are smooth cannot do
     * better than taking it did, when there is room for all of them, and
     * it has no group or is the last of its group (its group was free:
     * no choice of the skipping branch has another member). */
    bool dominated = taken && (c->gid == CL_NONE || s->last_member[k]) && !c->c->stop &&
                     s->smooth_after[k + 1] && room;
    dfs(s, k + 1, tie_only || dominated);
}

/* ------------------------------------------------------------------------
 * Candidates
 * ------------------------------------------------------------------------ */

static sel *sel_of(cl_vm *vm)
{
    if (vm->sel == NULL) {
        sel *s = clB_calloc(vm->env, 1, sizeof *s);
        if (s == NULL)
            return NULL;
        s->scratch.env = vm->env;
        vm->sel = s;
    }
    return vm->sel;
}

/* Whether a coupon's discount is computed on the remainder as a whole, so
 * that taking x off before it costs it at most x. */
static bool is_smooth(const clP_unit *u, const clP_coupon *c)
{
    const clP_discount *d = &u->discounts[c->discount];
    return d->kind == DK_PERCENT || d->kind == DK_AMOUNT || d->kind == DK_FREE_SHIPPING;
}

/* Evaluates candidate i alone into the scratch result; an applicable one
 * goes to s->cands, with its eligible lines kept for the search. */
static int gather_one(cl_vm *vm, sel *s, const cl_program *p, size_t i, const cl_context *ctx,
                      int64_t *lines)
{
    const clP_unit *u;
    const clP_coupon *c = clP_coupon_of(p, i, &u);
    if (!c->automatic && !clX_entered(ctx, clP_text(u, c->code), u->strs[c->code].len))
        return CL_OK;
    int rc = eval_one(vm, p, i, ctx, CL_EVAL_ENTERED, lines);
    if (rc != CL_OK)
        return rc; /* there may be no outcome to look at */
    const clR_outcome *o = &vm->res.out.v[vm->res.out.n - 1];
    if (!o->applicable)
        return CL_OK;
    size_t L = ctx->items.n;
    cand x = {i, u, c, vm->res.out.n - 1, o->discount + o->shipping, 0, s->elig.n,
              s->lines.n, 0, CL_NONE, is_smooth(u, c)};
    if (!CL_RESERVE(vm->env, s->elig, L ? L : 1) || !CL_RESERVE(vm->env, s->lines, L ? L : 1) ||
        !CL_PUSH(vm->env, s->cands, x))
        return clE_set(vm->err, CL_ENOMEM, (cl_pos){0, 0, 0}, "out of memory");
    /* eval_one left this coupon's eligible lines in vm->s.elig. */
    if (u->discounts[c->discount].target != TG_SHIPPING && L > 0)
        memcpy(s->elig.v + s->elig.n, vm->s.elig, L);
    else if (L > 0)
        memset(s->elig.v + s->elig.n, 0, L);
    cand *k0 = &s->cands.v[s->cands.n - 1];
    for (size_t l = 0; l < L; l++)
        if (s->elig.v[s->elig.n + l])
            s->lines.v[s->lines.n + k0->nlines++] = (uint32_t)l;
    s->elig.n += L;
    s->lines.n += k0->nlines;
    cand *k = &s->cands.v[s->cands.n - 1];
    k->ub = clD_upper_bound(u, c, ctx, s->elig.v + k->elig, k->alone);
    return CL_OK;
}

/* Evaluates every candidate alone into the scratch result (swapped into
 * vm->res while it runs): every coupon of p, or with CL_BEST_INDEXED only
 * those the catalog index cannot rule out. The applicable ones go to
 * s->cands. */
static int gather(cl_vm *vm, sel *s, const cl_program *p, const cl_context *ctx,
                  unsigned flags, int64_t *lines)
{
    const uint32_t *which = NULL;
    size_t n = p->ncoupons;
    if (flags & CL_BEST_INDEXED) {
        if (clI_candidates(vm, p, ctx, &which, &n) != CL_OK)
            return clE_set(vm->err, CL_ENOMEM, (cl_pos){0, 0, 0}, "out of memory");
    }
    cl_result keep = vm->res;
    vm->res = s->scratch;
    clR_reset(&vm->res);
    s->cands.n = 0;
    s->elig.n = 0;
    s->lines.n = 0;
    int rc = CL_OK;
    for (size_t k = 0; k < n && rc == CL_OK; k++)
        rc = gather_one(vm, s, p, which ? which[k] : k, ctx, lines);
    s->scratch = vm->res;
    vm->res = keep;
    return rc;
}

/* Sizes the search's arrays for n stackables and L lines. */
static int prepare(cl_vm *vm, sel *s, search *x, size_t n, size_t L)
{
    size_t need = (n + 2) * L + 5 * (n + 1) + L + 3 * n + 1;
    s->mem.n = 0;
    s->idx.n = 0;
    s->groups.n = 0;
    if (!CL_RESERVE(vm->env, s->mem, need) || !CL_RESERVE(vm->env, s->idx, 5 * n + 5) ||
        !CL_RESERVE(vm->env, s->groups, n + 1))
        return clE_set(vm->err, CL_ENOMEM, (cl_pos){0, 0, 0}, "out of memory");
    x->rem = s->mem.v;
    x->ship = x->rem + (n + 1) * L;
    x->left = x->ship + (n + 1);
    x->suffix = x->left + (n + 1);
    x->ungrouped = x->suffix + (n + 1);
    x->max_ub = x->ungrouped + (n + 1);
    x->tmp = x->max_ub + (n + 1);
    x->vals = x->tmp + L;
    x->esum = x->vals + 2 * n;
    x->cur = s->idx.v;
    x->best = s->idx.v + n + 1;
    x->smooth_after = (uint8_t *)(s->idx.v + 2 * n + 2);
    x->free_after = x->smooth_after + (n + 1);
    x->min_code = s->idx.v + 3 * n + 3;
    x->gtaken = s->groups.v;
    return CL_OK;
}

/* The largest bound of each group over every suffix, kept as a table when
 * it is small enough (else only each group's largest overall). */
static int group_bounds(cl_vm *vm, sel *s, search *x)
{
    size_t n = x->n, G = x->ngroups, cells = G * (n + 1);
    bool table = G > 0 && cells <= ((size_t)1 << 20);
    s->gmax.n = 0;
    if (!CL_RESERVE(vm->env, s->gmax, (table ? cells : G + 1) + G + 1))
        return clE_set(vm->err, CL_ENOMEM, (cl_pos){0, 0, 0}, "out of memory");
    x->gmax = table ? s->gmax.v : NULL;
    x->gmax_all = table ? NULL : s->gmax.v;
    x->gbest = s->gmax.v + (table ? cells : G + 1);
    if (table) {
        for (uint32_t g = 0; g < G; g++) {
            int64_t *row = x->gmax + (size_t)g * (n + 1), m = 0;
            row[n] = 0;
            for (size_t k = n; k-- > 0;) {
                if (x->c[k].gid == g && x->c[k].ub > m)
                    m = x->c[k].ub;
                row[k] = m;
            }
        }
    } else {
        memset(x->gmax_all, 0, (G + 1) * sizeof *x->gmax_all);
        for (size_t k = 0; k < n; k++)
            if (x->c[k].gid != CL_NONE && x->c[k].ub > x->gmax_all[x->c[k].gid])
                x->gmax_all[x->c[k].gid] = x->c[k].ub;
    }
    return CL_OK;
}

/* Numbers the groups of the stackables (0, 1, ...), so the search can count
 * what it has taken of each. */
static uint32_t number_groups(search *x, cand *stack, size_t ns)
{
    uint32_t ngroups = 0;
    for (size_t i = 0; i < ns; i++) {
        cand *k = &stack[i];
        k->gid = CL_NONE;
        if (k->c->group == CL_NONE)
            continue;
        for (size_t j = 0; j < i && k->gid == CL_NONE; j++)
            if (stack[j].gid != CL_NONE &&
                clB_eq(clP_text(k->u, k->c->group), k->u->strs[k->c->group].len,
                       clP_text(stack[j].u, stack[j].c->group),
                       stack[j].u->strs[stack[j].c->group].len))
                k->gid = stack[j].gid;
        if (k->gid == CL_NONE)
            k->gid = ngroups++;
    }
    memset(x->gtaken, 0, (ngroups + 1) * sizeof *x->gtaken);
    return ngroups;
}

/* Whether candidates a and b compute the same discount on any remainder:
 * the same kind, amounts, caps, rounding and eligible lines, no budget (its
 * cap depends on each code's usage), no stop, and the same priority. */
static bool same_effect(const search *x, const cand *a, const cand *b)
{
    const clP_coupon *ca = a->c, *cb = b->c;
    if (ca->priority != cb->priority || ca->stop || cb->stop || ca->budget >= 0 ||
        cb->budget >= 0 || ca->rounding != cb->rounding || a->nlines != b->nlines)
        return false;
    const clP_discount *da = &a->u->discounts[ca->discount], *db = &b->u->discounts[cb->discount];
    if (da->kind != db->kind || da->target != db->target || da->exclude_sale != db->exclude_sale ||
        da->value != db->value || da->max_amount != db->max_amount ||
        da->max_units != db->max_units || da->buy != db->buy || da->get != db->get ||
        da->max_groups != db->max_groups || da->tier_count != db->tier_count)
        return false;
    for (uint32_t t = 0; t < da->tier_count; t++) {
        const clP_tier *ta = &a->u->tiers[da->tier_first + t];
        const clP_tier *tb = &b->u->tiers[db->tier_first + t];
        if (ta->min != tb->min || ta->percent != tb->percent || ta->value != tb->value)
            return false;
    }
    return a->nlines == 0 || memcmp(x->elig_lines + a->lines, x->elig_lines + b->lines,
                                    a->nlines * sizeof *x->elig_lines) == 0;
}

/* How far back drop_twins() looks for a twin. */
#define TWIN_REACH 64

/*
 * Takes out of the search the candidates that cannot be in the best choice
 * because an earlier twin always does at least as well: b is dropped when
 * a member a of its group comes before it with the same effect
 * (same_effect) and no candidate between them, but members of that group
 * (which can be in no choice with a or b), shares a line with b, is on
 * shipping when b is, or has a stop. In any choice with b, a in its place
 * then computes on exactly the same remainders (what lies between touches
 * none of b's lines), every coupon takes the same, and the total is the
 * same, with as many coupons and the same first priority; and in
 * application order the choice with a has a's code where the other has the
 * code of a later coupon of the same priority (one between a and b, or b
 * itself): a smaller code, so the choice with a wins the tie (SPEC 6). The
 * dropped ones go to the end of the stack, out of the search's reach, and
 * are reported as rejected as before. Returns how many are left. Lines are
 * handled as bits: with more than 63 lines nothing is dropped.
 */
static size_t drop_twins(cl_vm *vm, sel *s, search *x, cand *stack, size_t ns)
{
    if (ns < 2 || x->lines > 63 || x->ngroups == 0)
        return ns;
    s->stack.n = 0;
    s->flags.n = 0;
    if (!CL_RESERVE(vm->env, s->stack, ns) || !CL_RESERVE(vm->env, s->flags, ns))
        return ns; /* only an economy: the search does without */
    uint64_t *mask = (uint64_t *)s->stack.v;
    uint8_t *drop = s->flags.v;
    for (size_t j = 0; j < ns; j++) {
        const cand *c = &stack[j];
        uint64_t m = c->u->discounts[c->c->discount].target == TG_SHIPPING ? (uint64_t)1 << 63 : 0;
        for (size_t k = 0; k < c->nlines; k++)
            m |= (uint64_t)1 << x->elig_lines[c->lines + k];
        mask[j] = m;
        drop[j] = 0;
    }
    size_t dropped = 0;
    for (size_t b = 1; b < ns; b++) {
        uint32_t g = stack[b].gid;
        if (g == CL_NONE)
            continue;
        for (size_t j = b, steps = 0; j-- > 0 && steps < TWIN_REACH; steps++) {
            if (stack[j].gid == g) {
                if (same_effect(x, &stack[j], &stack[b])) {
                    drop[b] = 1;
                    dropped++;
                    break;
                }
                continue;
            }
            if (stack[j].c->stop || (mask[j] & mask[b]) != 0)
                break;
        }
    }
    if (dropped == 0)
        return ns;
    /* A stable partition, the kept ones first. */
    size_t kept = 0;
    for (size_t j = 0; j < ns; j++) {
        if (drop[j])
            continue;
        if (kept != j) {
            cand t = stack[j];
            memmove(stack + kept + 1, stack + kept, (j - kept) * sizeof t);
            memmove(drop + kept + 1, drop + kept, j - kept);
            stack[kept] = t;
            drop[kept] = 0;
        }
        kept++;
    }
    return kept;
}

/* Which stackables are eligible on each line (CSR arrays), and each one's
 * eligible amount on the original cart (x->rem's first row). */
static int index_lines(cl_vm *vm, sel *s, search *x)
{
    size_t L = x->lines, total = 0;
    for (size_t j = 0; j < x->n; j++)
        total += x->c[j].nlines;
    s->csr.n = 0;
    if (!CL_RESERVE(vm->env, s->csr, L + 1 + total + 1))
        return clE_set(vm->err, CL_ENOMEM, (cl_pos){0, 0, 0}, "out of memory");
    uint32_t *first = s->csr.v, *cands = first + L + 1;
    memset(first, 0, (L + 1) * sizeof *first);
    for (size_t j = 0; j < x->n; j++)
        for (size_t k = 0; k < x->c[j].nlines; k++)
            first[x->elig_lines[x->c[j].lines + k] + 1]++;
    for (size_t i = 0; i < L; i++)
        first[i + 1] += first[i];
    for (size_t j = 0; j < x->n; j++) {
        x->esum[j] = 0;
        for (size_t k = 0; k < x->c[j].nlines; k++) {
            uint32_t line = x->elig_lines[x->c[j].lines + k];
            cands[first[line]++] = (uint32_t)j;
            x->esum[j] += x->rem[line];
        }
    }
    /* The fill moved each start to the next line's: shift them back. */
    for (size_t i = L; i > 0; i--)
        first[i] = first[i - 1];
    first[0] = 0;
    x->line_first = first;
    x->line_cands = cands;
    return CL_OK;
}

/* Runs the search over the candidates; fills x->best / x->best_excl. */
static int choose(cl_vm *vm, sel *s, const cl_program *p, const cl_context *ctx, search *x)
{
    /* Exclusive candidates first (each alone), stackables after, each in
     * application order. */
    if (s->cands.n > 1)
        qsort(s->cands.v, s->cands.n, sizeof *s->cands.v, apply_cmp);
    size_t e = 0;
    for (size_t i = 0; i < s->cands.n; i++)
        if (s->cands.v[i].c->exclusive) {
            cand t = s->cands.v[i];
            memmove(s->cands.v + e + 1, s->cands.v + e, (i - e) * sizeof t);
            s->cands.v[e++] = t;
        }
    size_t ns = s->cands.n - e;
    memset(x, 0, sizeof *x);
    x->vm = vm;
    x->ctx = ctx;
    x->lines = ctx->items.n;
    x->max = p->max_coupons;
    x->elig = s->elig.v;
    x->elig_lines = s->lines.v;
    int rc = prepare(vm, s, x, ns, ctx->items.n);
    if (rc != CL_OK)
        return rc;
    for (size_t i = 0; i < e; i++) {
        const cand *c = &s->cands.v[i];
        view vc = {NULL, NULL, 1, c};
        view vb = {NULL, NULL, x->best_excl ? 1 : 0, x->best_excl};
        if (better(c->alone, &vc, x->best_total, &vb)) {
            x->best_excl = c;
            x->best_total = c->alone;
        }
    }
    cand *stack = s->cands.n ? s->cands.v + e : NULL;
    x->c = stack;
    x->n = ns;
    x->ngroups = number_groups(x, stack, ns);
    x->n = ns = drop_twins(vm, s, x, stack, ns);
    x->refined = x->ngroups > 0 || x->max != 0;
    if ((rc = group_bounds(vm, s, x)) != CL_OK)
        return rc;
    x->suffix[ns] = x->ungrouped[ns] = 0;
    x->smooth_after[ns] = x->free_after[ns] = 1;
    x->max_ub[ns] = 0;
    s->flags.n = 0;
    if (!CL_RESERVE(vm->env, s->flags, ns + 1))
        return clE_set(vm->err, CL_ENOMEM, (cl_pos){0, 0, 0}, "out of memory");
    x->last_member = s->flags.v;
    memset(x->last_member, 1, ns + 1);
    /* Each group's last member: gtaken (zeroed again below) holds, per
     * group, one more than the place of the last one seen. */
    for (size_t k = 0; k < ns; k++)
        if (stack[k].gid != CL_NONE)
            x->gtaken[stack[k].gid] = (uint32_t)k + 1;
    for (size_t k = 0; k < ns; k++)
        if (stack[k].gid != CL_NONE)
            x->last_member[k] = x->gtaken[stack[k].gid] == k + 1;
    memset(x->gtaken, 0, (x->ngroups + 1) * sizeof *x->gtaken);
    for (size_t k = ns; k-- > 0;) {
        x->suffix[k] = x->suffix[k + 1] + stack[k].ub;
        x->ungrouped[k] = x->ungrouped[k + 1] + (stack[k].gid == CL_NONE ? stack[k].ub : 0);
        x->max_ub[k] = stack[k].ub > x->max_ub[k + 1] ? stack[k].ub : x->max_ub[k + 1];
        x->min_code[k] = k + 1 < ns && code_cmp(&stack[x->min_code[k + 1]], &stack[k]) < 0
                             ? x->min_code[k + 1] : k;
        x->smooth_after[k] = x->smooth_after[k + 1] && stack[k].smooth;
        x->free_after[k] = x->free_after[k + 1] && stack[k].smooth && !stack[k].c->stop &&
                           (stack[k].gid == CL_NONE || x->last_member[k]);
    }
    original(ctx, x->rem);
    if ((rc = index_lines(vm, s, x)) != CL_OK || (rc = stack_tables(vm, s, x)) != CL_OK)
        return rc;
    x->ship[0] = ctx->has_shipping ? ctx->shipping : 0;
    x->left[0] = ctx->subtotal + x->ship[0];
    vm->steps = 0;
    seed(x);
    dfs(x, 0, false);
    return x->rc;
}

/* ------------------------------------------------------------------------
 * The choice as a result
 * ------------------------------------------------------------------------ */

/* Copies a scratch outcome (conditions only: program messages) into res. */
static int copy_outcome(cl_vm *vm, const cl_result *from, size_t i)
{
    const clR_outcome *o = &from->out.v[i];
    if (clR_begin(&vm->res, o->coupon, o->code) == NULL)
        return CL_ENOMEM;
    for (uint32_t k = 0; k < o->reason_count; k++) {
        const clR_reason *r = &from->reasons.v[o->reason_first + k];
        if (!clR_reason_add(&vm->res, r->code, r->line, r->msg ? r->msg
                                                               : from->text.p + r->off))
            return CL_ENOMEM;
    }
    return CL_OK;
}

/* Applies the chosen coupons in order and records each one's share. */
static int record_applied(cl_vm *vm, const search *x, const cl_context *ctx, const cand **chosen,
                          size_t n)
{
    size_t L = ctx->items.n;
    int64_t *rem = x->rem, *lines = x->tmp, ship_rem = ctx->has_shipping ? ctx->shipping : 0;
    int64_t sum = 0, ship_sum = 0;
    original(ctx, rem);
    for (size_t k = 0; k < n; k++) {
        int64_t total, ship;
        int rc = clD_compute_with(vm, chosen[k]->u, chosen[k]->c, ctx, x->elig + chosen[k]->elig,
                                  rem, ship_rem, lines, &total, &ship);
        if (rc == CL_OK && clR_begin(&vm->res, (long)chosen[k]->index,
                                     clP_text(chosen[k]->u, chosen[k]->c->code)) == NULL)
            rc = CL_ENOMEM;
        if (rc != CL_OK)
            return rc;
        vm->res.out.v[vm->res.out.n - 1].applicable = 1;
        if ((rc = record_discount(vm, ctx, lines, L, total, ship)) != CL_OK)
            return rc;
        for (size_t i = 0; i < L; i++)
            rem[i] -= lines[i];
        ship_rem -= ship;
        sum += total;
        ship_sum += ship;
    }
    vm->res.napplied = n;
    vm->res.totals[CL_TOTAL_DISCOUNT] = sum;
    vm->res.totals[CL_TOTAL_SHIPPING_DISCOUNT] = ship_sum;
    vm->res.totals[CL_TOTAL_TOTAL] = ctx->subtotal - sum +
                                     (ctx->has_shipping ? ctx->shipping : 0) - ship_sum;
    return CL_OK;
}

/* Appends to the newest outcome of r a reason whose message is the
 * concatenation of parts[0..n), as clR_reason_addf() would print it (at
 * most 511 bytes), without going through printf. */
static bool reason_of(cl_result *r, int code, uint32_t line, const char *const *parts, size_t n)
{
    size_t off = r->text.n, room = 511;
    for (size_t i = 0; i < n; i++) {
        size_t k = strlen(parts[i]);
        if (k > room)
            k = room;
        if (!clB_str_append(r->env, &r->text, parts[i], k))
            return false;
        room -= k;
    }
    if (!clB_str_append(r->env, &r->text, "", 1))
        return false;
    clR_reason x = {(uint8_t)code, line, NULL, off};
    if (!CL_PUSH(r->env, r->reasons, x))
        return false;
    r->out.v[r->out.n - 1].reason_count++;
    return true;
}

#define REASON(r, code, line, ...) \
    reason_of((r), (code), (line), (const char *const[]){__VA_ARGS__}, \
              sizeof((const char *const[]){__VA_ARGS__}) / sizeof(const char *))

/* Why an applicable candidate is not in the choice. */
static bool explain(cl_vm *vm, const cand *c, const cand **chosen, size_t n, uint64_t max)
{
    cl_result *r = &vm->res;
    const char *code = clP_text(c->u, c->c->code);
    uint32_t line = c->c->line;
    if (n == 1 && chosen[0]->c->exclusive)
        return REASON(r, CL_R_NOT_COMBINABLE, line, "coupon ",
                      clP_text(chosen[0]->u, chosen[0]->c->code),
                      " is exclusive and gives more on its own");
    if (c->c->exclusive)
        return REASON(r, CL_R_NOT_COMBINABLE, line, code,
                      " is exclusive, and the chosen combination gives more");
    for (size_t k = 0; k < n && c->c->group != CL_NONE; k++) {
        const cand *o = chosen[k];
        if (o->c->group != CL_NONE && strcmp(clP_text(o->u, o->c->group),
                                             clP_text(c->u, c->c->group)) == 0)
            return REASON(r, CL_R_NOT_COMBINABLE, line, "only one coupon of group ",
                          clP_text(c->u, c->c->group), " applies per order, and ",
                          clP_text(o->u, o->c->code), " gives more");
    }
    for (size_t k = 0; k < n; k++)
        if (chosen[k]->c->stop && apply_cmp(chosen[k], c) < 0)
            return REASON(r, CL_R_NOT_COMBINABLE, line, "no coupon applies after ",
                          clP_text(chosen[k]->u, chosen[k]->c->code));
    if (max != 0 && n >= max) {
        char num[24];
        snprintf(num, sizeof num, "%llu", (unsigned long long)max);
        return REASON(r, CL_R_NOT_COMBINABLE, line, "at most ", num, " coupons apply per order");
    }
    return REASON(r, CL_R_NOT_COMBINABLE, line, "adding ", code,
                  " does not improve the chosen combination");
}

/* Rejected candidates in program order, then unknown codes as entered. */
static int record_rejected(cl_vm *vm, sel *s, const cl_program *p, const cl_context *ctx,
                           const cand **chosen, size_t n)
{
    const cl_result *from = &s->scratch;
    /* Per scratch outcome: 1 + the index of its candidate (0: none), with
     * CHOSEN set when it is applied. The search's CSR arrays are free. */
    const uint32_t CHOSEN = (uint32_t)1 << 31;
    s->csr.n = 0;
    if (!CL_RESERVE(vm->env, s->csr, from->out.n + 1) || s->cands.n >= CHOSEN)
        return CL_ENOMEM;
    uint32_t *of = s->csr.v;
    memset(of, 0, (from->out.n + 1) * sizeof *of);
    for (size_t k = 0; k < s->cands.n; k++)
        of[s->cands.v[k].outcome] = (uint32_t)k + 1;
    for (size_t k = 0; k < n; k++)
        of[chosen[k]->outcome] |= CHOSEN;
    for (size_t i = 0; i < from->out.n; i++) {
        if (of[i] & CHOSEN)
            continue;
        if (copy_outcome(vm, from, i) != CL_OK)
            return CL_ENOMEM;
        if (from->out.v[i].applicable && of[i] != 0 &&
            !explain(vm, &s->cands.v[of[i] - 1], chosen, n, p->max_coupons))
            return CL_ENOMEM;
    }
    for (uint32_t i = 0; i < ctx->codes.n; i++) {
        const clX_str *code = &ctx->codes.v[i];
        bool seen = cl_program_find(p, code->p) >= 0;
        for (uint32_t k = 0; k < i && !seen; k++)
            seen = clB_ieq(ctx->codes.v[k].p, ctx->codes.v[k].n, code->p, code->n);
        if (seen)
            continue;
        if (clR_begin(&vm->res, -1, code->p) == NULL ||
            !REASON(&vm->res, CL_R_UNKNOWN_CODE, 0, code->p, " is not a valid code"))
            return CL_ENOMEM;
    }
    return CL_OK;
}

CL_API cl_status cl_vm_best(cl_vm *vm, const cl_program *p, const cl_context *ctx,
                            const cl_result **out, cl_error *err)
{
    return cl_vm_best_flags(vm, p, ctx, 0, out, err);
}

CL_API cl_status cl_vm_best_flags(cl_vm *vm, const cl_program *p, const cl_context *ctx,
                                  unsigned flags, const cl_result **out, cl_error *err)
{
    if (vm == NULL)
        return CL_EINVAL;
    int rc = begin(vm, p, ctx, err);
    sel *s = rc == CL_OK ? sel_of(vm) : NULL;
    if (rc == CL_OK && s == NULL)
        rc = clE_set(err, CL_ENOMEM, (cl_pos){0, 0, 0}, "out of memory");
    int64_t *lines = NULL;
    size_t L = ctx ? ctx->items.n + 1 : 0;
    if (rc == CL_OK && (lines = clB_alloc(vm->env, L * sizeof *lines)) == NULL)
        rc = clE_set(err, CL_ENOMEM, (cl_pos){0, 0, 0}, "out of memory");
    search x;
    if (rc == CL_OK)
        rc = gather(vm, s, p, ctx, flags, lines);
    if (rc == CL_OK)
        rc = choose(vm, s, p, ctx, &x);
    clB_free(vm->env, lines, L * sizeof *lines);
    size_t n = 0, nchosen = s ? s->cands.n + 1 : 1;
    const cand **chosen = clB_alloc(vm->env, nchosen * sizeof *chosen);
    if (rc == CL_OK && chosen == NULL)
        rc = clE_set(err, CL_ENOMEM, (cl_pos){0, 0, 0}, "out of memory");
    if (rc == CL_OK && x.best_excl != NULL)
        chosen[n++] = x.best_excl;
    for (size_t i = 0; rc == CL_OK && x.best_excl == NULL && i < x.nbest; i++)
        chosen[n++] = &x.c[x.best[i]];
    vm->res.is_best = 1;
    if (rc == CL_OK)
        rc = record_applied(vm, &x, ctx, chosen, n);
    if (rc == CL_OK)
        rc = record_rejected(vm, s, p, ctx, chosen, n);
    clB_free(vm->env, chosen, nchosen * sizeof *chosen);
    if (rc == CL_ENOMEM && (err == NULL || err->code == CL_OK))
        clE_set(err, CL_ENOMEM, (cl_pos){0, 0, 0}, "out of memory");
    if (rc != CL_OK) {
        clR_reset(&vm->res);
        return (cl_status)rc;
    }
    if (out != NULL)
        *out = &vm->res;
    return CL_OK;
}
