/*
 * verify.c - the bytecode verifier. It runs on every unit, whether just
 * compiled or loaded from bytes, and is what lets the VM trust its input:
 *
 *   - every table index in every constant and every operand is in range,
 *     and every string is NUL-terminated inside the pool;
 *   - each coupon's code is a contiguous region ending in HALT, every jump
 *     goes forward inside its region (so evaluation terminates), and no
 *     instruction is unreachable;
 *   - simulating the stack effects of opcodes.def over every path, each
 *     instruction finds the types it pops, paths that meet agree on the
 *     stack, the stack never exceeds CLP_MAX_STACK, and HALT finds it empty.
 */
#include "money.h"
#include "program.h"

#include <inttypes.h>
#include <stdio.h>

typedef struct vstate {
    uint8_t live;                  /* some path reaches this instruction */
    uint8_t depth;
    char types[CLP_MAX_STACK];
} vstate;

typedef struct verifier {
    const clP_unit *u;
    cl_error *err;
} verifier;

static int bad(verifier *v, const char *fmt, ...) CL_PRINTF(2, 3);
static int bad(verifier *v, const char *fmt, ...)
{
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return clE_set(v->err, CL_EVERIFY, (cl_pos){0, 0, 0}, "bytecode verification failed: %s",
                   msg);
}

/* ------------------------------------------------------------------------
 * Tables
 * ------------------------------------------------------------------------ */

static bool str_ok(const clP_unit *u, uint32_t s)
{
    return s < u->n_strs;
}

static int check_strings(verifier *v)
{
    const clP_unit *u = v->u;
    for (uint32_t i = 0; i < u->n_strs; i++) {
        const clP_str *s = &u->strs[i];
        if ((uint64_t)s->off + s->len >= u->n_pool || u->pool[s->off + s->len] != '\0')
            return bad(v, "string %" PRIu32 " lies outside the pool", i);
    }
    for (uint32_t i = 0; i < u->n_items; i++)
        if (!str_ok(u, u->items[i]))
            return bad(v, "set member %" PRIu32 " is not a string", i);
    for (uint32_t i = 0; i < u->n_sets; i++) {
        const clP_set *s = &u->sets[i];
        if ((uint64_t)s->first + s->count > u->n_items ||
            (uint64_t)s->slot + s->nslots > u->n_slots ||
            (s->nslots & (s->nslots - 1)) != 0 || (s->count > 0 && s->nslots < 2 * (uint64_t)s->count) ||
            s->fold > 1)
            return bad(v, "set %" PRIu32 " is malformed", i);
    }
    for (uint32_t i = 0; i < u->n_slots; i++)
        if (u->slots[i] != CL_NONE && !str_ok(u, u->slots[i]))
            return bad(v, "hash slot %" PRIu32 " is not a string", i);
    for (uint32_t i = 0; i < u->n_isets; i++) {
        const clP_iset *s = &u->isets[i];
        if ((uint64_t)s->first + s->count > u->n_ints)
            return bad(v, "integer set %" PRIu32 " lies outside the numbers", i);
        for (uint32_t k = 1; k < s->count; k++)
            if (u->ints[s->first + k - 1] >= u->ints[s->first + k])
                return bad(v, "integer set %" PRIu32 " is not sorted", i);
    }
    for (uint32_t i = 0; i < u->n_regexes; i++)
        if (!str_ok(u, u->regexes[i].pattern) || u->re == NULL || u->re[i] == NULL)
            return bad(v, "regex %" PRIu32 " is malformed", i);
    for (uint32_t i = 0; i < u->n_msgs; i++)
        if (!str_ok(u, u->msgs[i].text) || u->msgs[i].reason >= CL_R_COUNT)
            return bad(v, "message %" PRIu32 " is malformed", i);
    return CL_OK;
}

static bool spred_ok(const clP_unit *u, const clP_spred *p)
{
    switch ((clP_spk)p->kind) {
    case SP_EQ: case SP_NE:
        return p->arg < u->n_strs;
    case SP_IN: case SP_NOT_IN: case SP_PREFIX:
        return p->arg < u->n_sets;
    case SP_MATCH:
        return p->arg < u->n_regexes;
    default:
        return false;
    }
}

static bool ipred_ok(const clP_unit *u, const clP_ipred *p)
{
    if (p->kind >= IP__COUNT)
        return false;
    if (p->kind == IP_IN || p->kind == IP_NOT_IN)
        return p->arg < u->n_isets;
    if (p->kind == IP_BETWEEN || p->kind == IP_EVERY)
        return (uint64_t)p->arg + 1 < u->n_ints &&
               (p->kind != IP_EVERY || u->ints[p->arg] > 0);
    return p->arg < u->n_ints;
}

static bool range_ok(uint32_t first, uint32_t count, uint32_t n)
{
    return (uint64_t)first + count <= n;
}

static int check_filters(verifier *v)
{
    const clP_unit *u = v->u;
    for (uint32_t i = 0; i < u->n_spreds; i++)
        if (!spred_ok(u, &u->spreds[i]))
            return bad(v, "string predicate %" PRIu32 " is malformed", i);
    for (uint32_t i = 0; i < u->n_ipreds; i++)
        if (!ipred_ok(u, &u->ipreds[i]))
            return bad(v, "number predicate %" PRIu32 " is malformed", i);
    for (uint32_t i = 0; i < u->n_filters; i++) {
        const clP_filter *f = &u->filters[i];
        bool ok = range_ok(f->sku_first, f->sku_count, u->n_spreds) &&
                  range_ok(f->xsku_first, f->xsku_count, u->n_spreds) &&
                  range_ok(f->price_first, f->price_count, u->n_ipreds) &&
                  (f->cat == CL_NONE || f->cat < u->n_sets) &&
                  (f->xcat == CL_NONE || f->xcat < u->n_sets) &&
                  (f->tags == CL_NONE || f->tags < u->n_sets) && f->tags_mode < TAGS__COUNT &&
                  f->on_sale <= 2 && f->min_quantity >= 1 && f->min_amount >= 0;
        if (!ok)
            return bad(v, "line filter %" PRIu32 " is malformed", i);
    }
    return CL_OK;
}

static bool discount_ok(const clP_unit *u, const clP_discount *d)
{
    if (d->kind >= DK__COUNT || d->target >= TG__COUNT || d->exclude_sale > 1)
        return false;
    if ((d->target == TG_ITEMS) != (d->filter != CL_NONE) ||
        (d->filter != CL_NONE && d->filter >= u->n_filters))
        return false;
    if (d->msg >= u->n_msgs || (d->msg2 != CL_NONE && d->msg2 >= u->n_msgs))
        return false;
    if ((d->kind == DK_BUY_GET || d->kind == DK_TIERS) && d->msg2 == CL_NONE)
        return false;
    if (d->max_amount < -1 || d->max_units < -1 || d->max_units == 0 || d->max_groups < -1 ||
        d->max_groups == 0 || d->value < 0)
        return false;
    if ((d->kind == DK_PERCENT || d->kind == DK_BUY_GET || d->kind == DK_FREE_SHIPPING) &&
        (d->value < 1 || d->value > 10000))
        return false;
    if (d->kind == DK_BUY_GET && (d->buy < 1 || d->get < 1 || d->buy > INT64_MAX / 2 - d->get))
        return false;
    if (d->kind == DK_FREE_SHIPPING && d->target != TG_SHIPPING)
        return false;
    if (d->kind == DK_TIERS && (d->tier_count == 0 ||
                                !range_ok(d->tier_first, d->tier_count, u->n_tiers)))
        return false;
    if (d->kind != DK_TIERS && d->tier_count != 0) /* tiers belong to the tiers kind only */
        return false;
    for (uint32_t t = 0; d->kind == DK_TIERS && t < d->tier_count; t++) {
        const clP_tier *tr = &u->tiers[d->tier_first + t];
        if (tr->min < 0 || tr->value < 0 || tr->percent > 1 ||
            (tr->percent && (tr->value < 1 || tr->value > 10000)) ||
            (t > 0 && tr->min <= tr[-1].min))
            return false;
    }
    return true;
}

static int check_rules(verifier *v)
{
    const clP_unit *u = v->u;
    for (uint32_t i = 0; i < u->n_discounts; i++)
        if (!discount_ok(u, &u->discounts[i]))
            return bad(v, "discount %" PRIu32 " is malformed", i);
    for (uint32_t i = 0; i < u->n_datespecs; i++) {
        const clP_datespec *d = &u->datespecs[i];
        bool ok = d->kind < DS__COUNT && (d->full == CL_NONE || d->full < u->n_isets) &&
                  (d->annual == CL_NONE || d->annual < u->n_isets) && d->annual_range <= 1;
        if (!ok)
            return bad(v, "date rule %" PRIu32 " is malformed", i);
    }
    for (uint32_t i = 0; i < u->n_calendars; i++) {
        const clP_calendar *c = &u->calendars[i];
        bool ok = str_ok(u, c->name) && c->kind < CAL__COUNT && c->span >= 1 &&
                  c->span <= 366 && c->offset >= -732 && c->offset <= 732 &&
                  c->observed < OBS__COUNT &&
                  (c->calendar == CL_NONE || str_ok(u, c->calendar)) &&
                  c->from_year >= 0 && c->from_year <= 9999 && c->until_year >= 0 &&
                  c->until_year <= 9999 && (c->except == CL_NONE || c->except < u->n_isets) &&
                  (c->moved == CL_NONE || c->moved < u->n_isets) &&
                  c->group < u->n_calendars && c->group_n <= u->n_calendars - c->group &&
                  i >= c->group && i - c->group < c->group_n &&
                  (c->observed != OBS_FOLLOWING || c->group_n <= CLP_GROUP_MAX) &&
                  (c->kind != CAL_ANNUAL || (c->month >= 1 && c->month <= 12 && c->day >= 1 &&
                                             c->day <= 31)) &&
                  (c->kind != CAL_NTH || (c->month >= 1 && c->month <= 12 && c->weekday < 7 &&
                                          c->n != 0 && c->n >= -5 && c->n <= 5)) &&
                  (c->kind != CAL_DATE || (c->date > -4000000 && c->date < 4000000));
        for (uint32_t k = 0; ok && c->moved != CL_NONE && k < u->isets[c->moved].count; k++) {
            int64_t x = u->ints[u->isets[c->moved].first + k];
            int64_t y = x / 10000, m = x / 100 % 100, d = x % 100;
            ok = y >= 1 && y <= 9999 && m >= 1 && m <= 12 && d >= 1 &&
                 d <= clT_days_in_month((int32_t)y, (int)m);
        }
        if (!ok)
            return bad(v, "calendar entry %" PRIu32 " is malformed", i);
    }
    for (uint32_t i = 0; i < u->n_annivs; i++)
        if (u->annivs[i].within < 0 || u->annivs[i].within > 366 ||
            (u->annivs[i].years != CL_NONE && u->annivs[i].years >= u->n_isets))
            return bad(v, "anniversary rule %" PRIu32 " is malformed", i);
    for (uint32_t i = 0; i < u->n_zones; i++)
        if (u->zones == NULL || u->zones[i] == NULL)
            return bad(v, "zone %" PRIu32 " is missing", i);
    return CL_OK;
}

/* A coupon code as the loader accepts one: 1 to 64 letters, digits, '-',
 * '_' or '.' (a loaded program must hold what a compiled one can). */
static bool code_ok(const clP_unit *u, uint32_t s)
{
    if (!str_ok(u, s) || u->strs[s].len == 0 || u->strs[s].len > 64)
        return false;
    const char *p = u->pool + u->strs[s].off;
    for (uint32_t i = 0; i < u->strs[s].len; i++) {
        char ch = p[i];
        if (!((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
              ch == '-' || ch == '_' || ch == '.'))
            return false;
    }
    return true;
}

/* No currency (exponent -1, ""), or a known one with its own exponent. */
static bool currency_ok(const clP_coupon *c)
{
    if (c->currency[3] != '\0')
        return false;
    if (c->exponent < 0)
        return c->exponent == -1 && c->currency[0] == '\0';
    return clM_exponent(c->currency, strlen(c->currency)) == c->exponent;
}

static int check_coupons(verifier *v)
{
    const clP_unit *u = v->u;
    for (uint32_t i = 0; i < u->n_coupons; i++) {
        const clP_coupon *c = &u->coupons[i];
        uint32_t want = i == 0 ? 0 : u->coupons[i - 1].entry + 1;
        bool ok = code_ok(u, c->code) && (c->name == CL_NONE || str_ok(u, c->name)) &&
                  (c->group == CL_NONE || str_ok(u, c->group)) &&
                  c->entry < u->n_code && c->entry >= want && (i > 0 || c->entry == 0) &&
                  c->discount < u->n_discounts && (c->zone == CL_NONE || c->zone < u->n_zones) &&
                  c->uses >= -1 && c->per_user >= -1 && c->budget >= -1 && c->rounding < 4 &&
                  c->weekend < 0x80 && c->automatic <= 1 && c->exclusive <= 1 && c->stop <= 1 &&
                  currency_ok(c);
        if (!ok)
            return bad(v, "coupon %" PRIu32 " is malformed", i);
    }
    if (u->n_coupons == 0 && u->n_code != 0)
        return bad(v, "code without coupons");
    return CL_OK;
}

/* ------------------------------------------------------------------------
 * Code
 * ------------------------------------------------------------------------ */

/* Checks one operand against its kind (jumps are checked by the caller). */
static bool operand_ok(const clP_unit *u, int kind, uint32_t x)
{
    switch ((clP_opnd)kind) {
    case OPND_NONE: return x == 0;
    case OPND_FSTR: return x < FLD_FIRST_INT;
    case OPND_FINT: return x >= FLD_FIRST_INT && x < FLD_FIRST_AMT;
    case OPND_FAMT: return x >= FLD_FIRST_AMT && x < FLD__COUNT;
    case OPND_CMP: return x < CMP__COUNT;
    case OPND_MODE: return x < TAGS__COUNT;
    case OPND_MASK: return x < 0x80;
    case OPND_DIR: case OPND_FORM: return x <= 1;
    case OPND_REASON: return x < CL_R_COUNT;
    case OPND_INT: return x < u->n_ints;
    case OPND_INT2: return (uint64_t)x + 1 < u->n_ints;
    case OPND_STR: return x < u->n_strs;
    case OPND_SET: return x < u->n_sets;
    case OPND_ISET: return x < u->n_isets;
    case OPND_REGEX: return x < u->n_regexes;
    case OPND_FILTER: return x < u->n_filters;
    case OPND_DATESPEC: return x < u->n_datespecs;
    case OPND_ANNIV: return x < u->n_annivs;
    case OPND_MSG: return x < u->n_msgs;
    case OPND_DISC: return x < u->n_discounts;
    case OPND_JABSENT: case OPND_JALWAYS: case OPND_JKEEP: return true;
    }
    return false;
}

/* Records state s as reaching target t (merging with earlier arrivals). */
static int arrive(verifier *v, vstate *states, uint32_t base, uint32_t t, const vstate *s)
{
    vstate *d = &states[t - base];
    if (!d->live) {
        *d = *s;
        d->live = 1;
        return CL_OK;
    }
    if (d->depth != s->depth || memcmp(d->types, s->types, s->depth) != 0)
        return bad(v, "paths reach instruction %" PRIu32 " with different stacks", t);
    return CL_OK;
}

/* Applies the effect of instruction pc to *s, checking its operands; jump
 * targets receive their states. */
static int step(verifier *v, vstate *states, uint32_t base, uint32_t end, uint32_t pc, vstate *s)
{
    const clP_unit *u = v->u;
    const clP_insn *in = &u->code[pc];
    if (in->op >= OP__COUNT)
        return bad(v, "unknown opcode %u at %" PRIu32, in->op, pc);
    const clP_opinfo *op = &clP_ops[in->op];
    if (!operand_ok(u, op->a, in->a) || !operand_ok(u, op->b, in->b) ||
        !operand_ok(u, op->c, in->c))
        return bad(v, "bad operand of %s at %" PRIu32, op->name, pc);
    if ((in->op == OP_REQUIRE || in->op == OP_GUARD) && u->msgs[in->c].reason != in->a)
        return bad(v, "%s at %" PRIu32 " records a message of another reason", op->name, pc);
    vstate before = *s;
    size_t npop = strlen(op->pops), npush = strlen(op->pushes);
    if (s->depth < npop || memcmp(s->types + s->depth - npop, op->pops, npop) != 0)
        return bad(v, "%s at %" PRIu32 " finds the wrong values on the stack", op->name, pc);
    s->depth = (uint8_t)(s->depth - npop);
    if (s->depth + npush > CLP_MAX_STACK)
        return bad(v, "stack overflow at %" PRIu32, pc);
    memcpy(s->types + s->depth, op->pushes, npush);
    s->depth = (uint8_t)(s->depth + npush);
    int jk = op->c;
    if (jk == OPND_JABSENT || jk == OPND_JALWAYS || jk == OPND_JKEEP) {
        if (in->c <= pc || in->c >= end)
            return bad(v, "jump at %" PRIu32 " leaves its coupon or goes backwards", pc);
        vstate at = jk == OPND_JALWAYS ? *s : before;
        if (jk == OPND_JABSENT) {
            if (at.depth + 1 > CLP_MAX_STACK)
                return bad(v, "stack overflow at %" PRIu32, pc);
            at.types[at.depth++] = 'b';
        }
        return arrive(v, states, base, in->c, &at);
    }
    return CL_OK;
}

/* Verifies the code of one coupon: instructions [first, end). */
static int check_region(verifier *v, vstate *states, uint32_t first, uint32_t end)
{
    const clP_unit *u = v->u;
    memset(states, 0, (end - first) * sizeof *states);
    states[0].live = 1;
    for (uint32_t pc = first; pc < end; pc++) {
        vstate s = states[pc - first];
        if (!s.live)
            return bad(v, "instruction %" PRIu32 " is unreachable", pc);
        int rc = step(v, states, first, end, pc, &s);
        if (rc != CL_OK)
            return rc;
        uint8_t op = u->code[pc].op;
        if (op == OP_HALT) {
            if (s.depth != 0)
                return bad(v, "HALT at %" PRIu32 " leaves values on the stack", pc);
            if (pc + 1 != end)
                return bad(v, "code after HALT at %" PRIu32, pc);
            return CL_OK;
        }
        if (pc + 1 == end)
            return bad(v, "the code of a coupon does not end in HALT");
        if (op != OP_JUMP) {
            s.live = 1;
            if ((rc = arrive(v, states, first, pc + 1, &s)) != CL_OK)
                return rc;
        }
    }
    return bad(v, "empty coupon code");
}

static int check_code(verifier *v)
{
    const clP_unit *u = v->u;
    uint32_t longest = 0;
    for (uint32_t i = 0; i < u->n_coupons; i++) {
        uint32_t end = i + 1 < u->n_coupons ? u->coupons[i + 1].entry : u->n_code;
        if (end - u->coupons[i].entry > longest)
            longest = end - u->coupons[i].entry;
    }
    if (longest == 0)
        return CL_OK;
    vstate *states = clB_alloc(u->env, (size_t)longest * sizeof *states);
    if (states == NULL)
        return clE_set(v->err, CL_ENOMEM, (cl_pos){0, 0, 0}, "out of memory");
    int rc = CL_OK;
    for (uint32_t i = 0; i < u->n_coupons && rc == CL_OK; i++) {
        uint32_t end = i + 1 < u->n_coupons ? u->coupons[i + 1].entry : u->n_code;
        rc = check_region(v, states, u->coupons[i].entry, end);
    }
    clB_free(u->env, states, (size_t)longest * sizeof *states);
    return rc;
}

int clK_verify(const clP_unit *u, cl_error *err)
{
    verifier v = {u, err};
    int rc = check_strings(&v);
    if (rc == CL_OK)
        rc = check_filters(&v);
    if (rc == CL_OK)
        rc = check_rules(&v);
    if (rc == CL_OK)
        rc = check_coupons(&v);
    if (rc == CL_OK)
        rc = check_code(&v);
    return rc;
}
