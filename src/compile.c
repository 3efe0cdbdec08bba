/*
 * compile.c - the AST into bytecode, and the public compile entry points.
 *
 * Each coupon's code records its failed requirements in SPEC order: the
 * currency (which alone stops the rest), the code, validity, owner, the
 * `when` conditions in definition order (a top-level `all` flattened), the
 * limits, then the discount's target. Every condition leaves one boolean
 * that a REQUIRE consumes; a field that is absent jumps straight to the
 * REQUIRE with false, so absent fields fail every predicate.
 */
#include "ast.h"

#include "money.h"
#include "regex.h"

#include <errno.h>
#include <stdio.h>

/* ------------------------------------------------------------------------
 * Emitting conditions
 * ------------------------------------------------------------------------ */

typedef CL_VEC(uint32_t) patch_list;

/* Points the C operand of every listed jump at the next instruction. */
static void patch_here(clC_builder *b, patch_list *jumps)
{
    for (size_t i = 0; i < jumps->n; i++)
        b->code.v[jumps->v[i]].c = (uint32_t)b->code.n;
    CL_VEC_FREE(b->env, *jumps);
}

static int emit_jump(clC_builder *b, int op, unsigned a, patch_list *jumps)
{
    uint32_t at;
    int rc = clC_op(b, op, a, 0, 0, &at);
    if (rc == CL_OK && !CL_PUSH(b->env, *jumps, at))
        rc = clC_oom(b);
    return rc;
}

static int load_op(int field)
{
    return field >= FLD_FIRST_AMT ? OP_LOAD_AMT : field >= FLD_FIRST_INT ? OP_LOAD_INT
                                                                         : OP_LOAD_STR;
}

/* A value condition: load, test, and again for each further test. */
static int emit_value(clC_builder *b, const clL_cond *c)
{
    patch_list end = {0};
    int rc = CL_OK;
    for (uint32_t i = 0; i < c->ntests && rc == CL_OK; i++) {
        const clL_test *t = &c->tests[i];
        rc = emit_jump(b, load_op(c->field), c->field, &end);
        if (rc == CL_OK)
            rc = clC_op(b, t->op, t->a, 0, t->c, NULL);
        if (rc == CL_OK && t->negate)
            rc = clC_op(b, OP_NOT, 0, 0, 0, NULL);
        if (rc == CL_OK && i + 1 < c->ntests)
            rc = emit_jump(b, OP_JF_KEEP, 0, &end);
    }
    if (rc == CL_OK)
        patch_here(b, &end);
    CL_VEC_FREE(b->env, end);
    return rc;
}

static int emit_cond(clC_builder *b, const clL_cond *c, unsigned depth);

/* all / and / any: short-circuit over the kids; empty all is true, empty any false. */
static int emit_junction(clC_builder *b, const clL_cond *c, unsigned depth)
{
    bool any = c->kind == CK_ANY;
    if (c->nkids == 0) {
        int rc = clC_op(b, OP_TRUE, 0, 0, 0, NULL);
        return rc == CL_OK && any ? clC_op(b, OP_NOT, 0, 0, 0, NULL) : rc;
    }
    patch_list end = {0};
    int rc = CL_OK;
    for (uint32_t i = 0; i < c->nkids && rc == CL_OK; i++) {
        rc = emit_cond(b, c->kids[i], depth + 1);
        if (rc == CL_OK && i + 1 < c->nkids)
            rc = emit_jump(b, any ? OP_JT_KEEP : OP_JF_KEEP, 0, &end);
    }
    if (rc == CL_OK)
        patch_here(b, &end);
    CL_VEC_FREE(b->env, end);
    return rc;
}

/* Emits code that leaves one boolean: whether c is met. */
static int emit_cond(clC_builder *b, const clL_cond *c, unsigned depth)
{
    if (depth > 4 * b->env->limits[CL_LIMIT_DEPTH])
        return clE_set(b->err, CL_ELIMIT, (cl_pos){c->line, c->col, 0},
                       "conditions nested too deeply");
    switch ((clL_ck)c->kind) {
    case CK_TRUE:
        return clC_op(b, OP_TRUE, 0, 0, 0, NULL);
    case CK_OP:
        return clC_op(b, c->op, c->a, c->b, c->c, NULL);
    case CK_VALUE:
        return emit_value(b, c);
    case CK_NOT: {
        int rc = emit_cond(b, c->kids[0], depth + 1);
        return rc == CL_OK ? clC_op(b, OP_NOT, 0, 0, 0, NULL) : rc;
    }
    case CK_ALL:
    case CK_AND:
    case CK_ANY:
        return emit_junction(b, c, depth);
    }
    return CL_EVERIFY;
}

/* Emits c and a REQUIRE of its reason; a top-level `all` is flattened so
 * each of its parts is reported alone. */
static int emit_top(clC_builder *b, const clL_cond *c, unsigned depth)
{
    if (c->kind == CK_ALL) {
        for (uint32_t i = 0; i < c->nkids; i++) {
            int rc = emit_top(b, c->kids[i], depth + 1);
            if (rc != CL_OK)
                return rc;
        }
        return CL_OK;
    }
    uint32_t msg;
    int rc = emit_cond(b, c, depth);
    if (rc == CL_OK)
        rc = clC_msg(b, c->reason, c->message ? c->message : "a condition is not met", c->line,
                     &msg);
    return rc == CL_OK ? clC_op(b, OP_REQUIRE, c->reason, 0, msg, NULL) : rc;
}

/* ------------------------------------------------------------------------
 * Emitting coupons
 * ------------------------------------------------------------------------ */

/* An op pushing a boolean, then REQUIRE reason (or GUARD). */
static int emit_check(clC_builder *b, int op, unsigned a, unsigned bb, uint32_t c, int require,
                      int reason, const char *message, uint32_t line)
{
    uint32_t msg;
    int rc = clC_op(b, op, a, bb, c, NULL);
    if (rc == CL_OK)
        rc = clC_msg(b, reason, message, line, &msg);
    return rc == CL_OK ? clC_op(b, require, (unsigned)reason, 0, msg, NULL) : rc;
}

/* LOAD_STR field / STR_EQ str / REQUIRE (the absent jump lands on it). */
static int emit_string_check(clC_builder *b, int field, uint32_t str, int require, int reason,
                             const char *message, uint32_t line)
{
    patch_list end = {0};
    int rc = emit_jump(b, OP_LOAD_STR, (unsigned)field, &end);
    if (rc == CL_OK)
        rc = clC_op(b, OP_STR_EQ, 0, 0, str, NULL);
    if (rc == CL_OK)
        patch_here(b, &end);
    CL_VEC_FREE(b->env, end);
    uint32_t msg;
    if (rc == CL_OK)
        rc = clC_msg(b, reason, message, line, &msg);
    return rc == CL_OK ? clC_op(b, require, (unsigned)reason, 0, msg, NULL) : rc;
}

static int emit_limits(clC_builder *b, const clL_coupon *c)
{
    uint32_t idx;
    int rc = CL_OK;
    char text[160];
    if (c->rec.uses >= 0 && (rc = clC_int(b, c->rec.uses, &idx)) == CL_OK)
        rc = emit_check(b, OP_USES, 0, 0, idx, OP_REQUIRE, CL_R_USAGE_LIMIT,
                        "this coupon has been used up", c->limits_line);
    if (rc == CL_OK && c->rec.per_user >= 0 && (rc = clC_int(b, c->rec.per_user, &idx)) == CL_OK) {
        snprintf(text, sizeof text, "already used the most times allowed per customer (%lld)",
                 (long long)c->rec.per_user);
        rc = emit_check(b, OP_PER_USER, 0, 0, idx, OP_REQUIRE, CL_R_PER_USER_LIMIT, text,
                        c->limits_line);
    }
    if (rc == CL_OK && c->rec.budget >= 0 && (rc = clC_int(b, c->rec.budget, &idx)) == CL_OK)
        rc = emit_check(b, OP_BUDGET, 0, 0, idx, OP_REQUIRE, CL_R_BUDGET,
                        "this coupon's budget is spent", c->limits_line);
    return rc;
}

static int emit_bound(clC_builder *b, const clL_bound *bound, unsigned dir)
{
    uint32_t idx;
    int rc = clC_int(b, bound->value, &idx);
    if (rc != CL_OK)
        return rc;
    return emit_check(b, OP_VALID, dir, bound->form, idx, OP_REQUIRE,
                      dir == 0 ? CL_R_NOT_STARTED : CL_R_EXPIRED, bound->message, bound->line);
}

static int emit_coupon(clC_builder *b, clL_coupon *c)
{
    int rc = CL_OK;
    c->rec.entry = (uint32_t)b->code.n;
    if (c->rec.exponent >= 0) {
        uint32_t cur;
        rc = clC_str(b, c->rec.currency, 3, &cur);
        if (rc == CL_OK)
            rc = emit_string_check(b, FLD_CURRENCY, cur, OP_GUARD, CL_R_CURRENCY,
                                   c->currency_message, c->rec.line);
    }
    if (rc == CL_OK && !c->rec.automatic)
        rc = emit_check(b, OP_ENTERED, 0, 0, 0, OP_REQUIRE, CL_R_CODE_REQUIRED,
                        c->code_message, c->rec.line);
    if (rc == CL_OK && c->from.set)
        rc = emit_bound(b, &c->from, 0);
    if (rc == CL_OK && c->until.set)
        rc = emit_bound(b, &c->until, 1);
    if (rc == CL_OK && c->owner != CL_NONE)
        rc = emit_string_check(b, FLD_USER_ID, c->owner, OP_REQUIRE, CL_R_USER,
                               c->owner_message, c->owner_line);
    if (rc == CL_OK && c->when != NULL)
        rc = emit_top(b, c->when, 0);
    if (rc == CL_OK)
        rc = emit_limits(b, c);
    if (rc == CL_OK)
        rc = clC_op(b, OP_TARGET, 0, 0, c->rec.discount, NULL);
    if (rc == CL_OK)
        rc = clC_op(b, OP_HALT, 0, 0, 0, NULL);
    if (rc == CL_OK && !CL_PUSH(b->env, b->coupons, c->rec))
        rc = clC_oom(b);
    return rc;
}

int clC_emit(clC_builder *b, clL_coupon *coupons, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        int rc = emit_coupon(b, &coupons[i]);
        if (rc != CL_OK)
            return rc;
    }
    return CL_OK;
}

/* ------------------------------------------------------------------------
 * The public entry points
 * ------------------------------------------------------------------------ */

CL_API cl_program *cl_compile(const cl_env *env, const char *src, size_t len, const char *name,
                              cl_error *err)
{
    clE_clear(err);
    clE_source(err, name ? name : "<input>");
    if (env == NULL || (src == NULL && len > 0)) {
        clE_set(err, CL_EINVAL, (cl_pos){0, 0, 0}, "cl_compile needs an env and a source");
        return NULL;
    }
    clY_doc doc;
    clB_arena arena;
    clB_arena_init(&arena, env);
    clC_builder b;
    clC_init(&b, env, &arena, name ? name : "<input>", err);
    clP_unit *unit = NULL;
    int rc = clY_load(env, src ? src : "", len, &doc, err);
    b.doc = &doc;
    clL_coupon *coupons = NULL;
    size_t n = 0;
    if (rc == CL_OK)
        rc = clL_load_unit(&b, &doc, &coupons, &n);
    if (rc == CL_OK)
        rc = clC_emit(&b, coupons, n);
    if (rc == CL_OK)
        rc = clC_finish(&b, &unit);
    clC_free(&b);
    clY_free(&doc);
    clB_arena_free(&arena);
    if (rc != CL_OK)
        return NULL;
    return clP_program_of_unit(env, unit, err);
}

/* Reads a whole file through the env's allocator, refusing more than limit
 * bytes. *size receives its length; the block is size + 1 bytes. */
static char *read_file(const cl_env *env, const char *path, size_t *size, cl_error *err)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        clE_set(err, CL_EIO, (cl_pos){0, 0, 0}, "cannot open %s: %s", path, strerror(errno));
        return NULL;
    }
    uint64_t limit = env->limits[CL_LIMIT_INPUT_BYTES];
    size_t cap = 4096, n = 0;
    char *buf = clB_alloc(env, cap);
    while (buf != NULL) {
        if (n + 1 >= cap) {
            if (cap > limit + 1) {
                clE_set(err, CL_ELIMIT, (cl_pos){0, 0, 0}, "%s is larger than the limit of "
                        "%llu bytes", path, (unsigned long long)limit);
                clB_free(env, buf, cap);
                buf = NULL;
                break;
            }
            char *nb = clB_realloc(env, buf, cap, cap * 2);
            if (nb == NULL) {
                clB_free(env, buf, cap);
                buf = NULL;
                break;
            }
            buf = nb;
            cap *= 2;
        }
        size_t k = fread(buf + n, 1, cap - n - 1, f);
        n += k;
        if (k == 0)
            break;
    }
    if (buf != NULL && ferror(f)) {
        clE_set(err, CL_EIO, (cl_pos){0, 0, 0}, "cannot read %s", path);
        clB_free(env, buf, cap);
        buf = NULL;
    } else if (buf == NULL && (err == NULL || err->code == CL_OK)) {
        clE_set(err, CL_ENOMEM, (cl_pos){0, 0, 0}, "out of memory");
    }
    fclose(f);
    if (buf == NULL)
        return NULL;
    buf[n] = '\0';
    char *exact = clB_realloc(env, buf, cap, n + 1);
    if (exact == NULL) {
        clB_free(env, buf, cap);
        clE_set(err, CL_ENOMEM, (cl_pos){0, 0, 0}, "out of memory");
        return NULL;
    }
    *size = n;
    return exact;
}

CL_API cl_program *cl_compile_file(const cl_env *env, const char *path, cl_error *err)
{
    clE_clear(err);
    clE_source(err, path);
    if (env == NULL || path == NULL) {
        clE_set(err, CL_EINVAL, (cl_pos){0, 0, 0}, "cl_compile_file needs an env and a path");
        return NULL;
    }
    size_t n = 0;
    char *src = read_file(env, path, &n, err);
    if (src == NULL)
        return NULL;
    cl_program *p = cl_compile(env, src, n, path, err);
    clB_free(env, src, n + 1);
    return p;
}
