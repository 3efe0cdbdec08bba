/*
 * clnode.c - C helpers under the Node binding (see clnode.h).
 */
#include "clnode.h"

#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------------
 * Text collected from a cl_write_fn
 * ------------------------------------------------------------------------ */

typedef struct sink {
    char *data;
    size_t len, cap;
} sink;

/* A cl_write_fn appending to a sink; nonzero when out of memory. */
static int sink_write(void *ud, const char *buf, size_t len)
{
    sink *s = ud;
    if (len >= s->cap - s->len || s->data == NULL) {
        size_t cap = s->cap ? s->cap : 256;
        while (cap - s->len <= len) {
            if (cap > ((size_t)-1) / 2)
                return 1;
            cap *= 2;
        }
        char *p = realloc(s->data, cap);
        if (p == NULL)
            return 1;
        s->data = p;
        s->cap = cap;
    }
    memcpy(s->data + s->len, buf, len);
    s->len += len;
    s->data[s->len] = '\0';
    return 0;
}

/* The text of a sink after a writer returned status: on failure the
 * partial text is dropped. A writer that stopped because sink_write ran out
 * of memory reports CL_EIO; that is CL_ENOMEM here. */
static clnode_text sink_done(sink *s, cl_status status, int sink_failed)
{
    clnode_text t = {NULL, 0, CL_OK};
    if (status == CL_OK && s->data == NULL && sink_write(s, "", 0) != 0)
        status = CL_ENOMEM;
    if (status != CL_OK) {
        free(s->data);
        t.status = sink_failed ? CL_ENOMEM : (int)status;
        return t;
    }
    t.data = s->data;
    t.len = s->len;
    return t;
}

clnode_text clnode_result_json(const cl_result *res)
{
    sink s = {NULL, 0, 0};
    if (res == NULL)
        return sink_done(&s, CL_EINVAL, 0);
    cl_status st = cl_result_write_json(res, sink_write, &s);
    return sink_done(&s, st, st == CL_EIO);
}

clnode_bytes clnode_program_save(const cl_program *prog)
{
    sink s = {NULL, 0, 0};
    if (prog == NULL)
        return sink_done(&s, CL_EINVAL, 0);
    cl_status st = cl_program_save(prog, sink_write, &s);
    return sink_done(&s, st, st == CL_EIO);
}

clnode_text clnode_program_disasm(const cl_program *prog)
{
    sink s = {NULL, 0, 0};
    if (prog == NULL)
        return sink_done(&s, CL_EINVAL, 0);
    cl_status st = cl_program_disasm(prog, sink_write, &s);
    return sink_done(&s, st, st == CL_EIO);
}

clnode_text clnode_error_format(const cl_error *err, const char *src, size_t len)
{
    clnode_text t = {NULL, 0, CL_OK};
    if (err == NULL) {
        t.status = CL_EINVAL;
        return t;
    }
    size_t need = cl_error_format(err, src, len, NULL, 0);
    t.data = malloc(need + 1);
    if (t.data == NULL) {
        t.status = CL_ENOMEM;
        return t;
    }
    cl_error_format(err, src, len, t.data, need + 1);
    t.len = strlen(t.data);
    return t;
}

clnode_text clnode_amount_normalize(const char *text, size_t len, const char *currency)
{
    clnode_text t = {NULL, 0, CL_OK};
    int64_t minor;
    if (text == NULL || currency == NULL) {
        t.status = CL_EINVAL;
        return t;
    }
    t.status = cl_amount_parse(text, len, currency, &minor);
    if (t.status != CL_OK)
        return t;
    t.data = malloc(32);
    if (t.data == NULL) {
        t.status = CL_ENOMEM;
        return t;
    }
    t.len = cl_amount_format(minor, currency, t.data, 32);
    return t;
}

/* ------------------------------------------------------------------------
 * Evaluation without out-parameters
 * ------------------------------------------------------------------------ */

void clnode_error_set(cl_error *err, int status, const char *message)
{
    if (err == NULL)
        return;
    memset(err, 0, sizeof *err);
    err->code = status;
    strncpy(err->message, message ? message : cl_strerror(status), sizeof err->message - 1);
}

/* The result of an evaluation that returned st: NULL on failure, with err
 * filled even where the library left it empty. (Called with the status in a
 * variable: in outcome(cl_vm_eval(..., &res, ...), res, err) the argument res
 * could be read before cl_vm_eval() sets it.) */
static const cl_result *outcome(cl_status st, const cl_result *res, cl_error *err)
{
    if (st == CL_OK)
        return res;
    if (err != NULL && err->code == CL_OK)
        clnode_error_set(err, st, NULL);
    return NULL;
}

const cl_result *clnode_eval(cl_vm *vm, const cl_program *prog, const cl_context *ctx,
                             unsigned flags, cl_error *err)
{
    const cl_result *res = NULL;
    if (err != NULL)
        err->code = CL_OK;
    cl_status st = cl_vm_eval(vm, prog, ctx, flags, &res, err);
    return outcome(st, res, err);
}

const cl_result *clnode_eval_some(cl_vm *vm, const cl_program *prog, const cl_context *ctx,
                                  const size_t *indexes, size_t n, unsigned flags,
                                  cl_error *err)
{
    const cl_result *res = NULL;
    if (err != NULL)
        err->code = CL_OK;
    cl_status st = cl_vm_eval_some(vm, prog, ctx, indexes, n, flags, &res, err);
    return outcome(st, res, err);
}

const cl_result *clnode_best(cl_vm *vm, const cl_program *prog, const cl_context *ctx,
                             cl_error *err)
{
    const cl_result *res = NULL;
    if (err != NULL)
        err->code = CL_OK;
    cl_status st = cl_vm_best(vm, prog, ctx, &res, err);
    return outcome(st, res, err);
}

const cl_result *clnode_best_flags(cl_vm *vm, const cl_program *prog, const cl_context *ctx,
                                   unsigned flags, cl_error *err)
{
    const cl_result *res = NULL;
    if (err != NULL)
        err->code = CL_OK;
    cl_status st = cl_vm_best_flags(vm, prog, ctx, flags, &res, err);
    return outcome(st, res, err);
}

clnode_view clnode_result_view(const cl_result *res, const cl_context *ctx, int flags)
{
    clnode_view v = {res, ctx, flags};
    return v;
}

clnode_view clnode_eval_view(cl_vm *vm, const cl_program *prog, const cl_context *ctx,
                             unsigned flags, int view, cl_error *err)
{
    return clnode_result_view(clnode_eval(vm, prog, ctx, flags, err), ctx, view);
}

clnode_view clnode_eval_some_view(cl_vm *vm, const cl_program *prog, const cl_context *ctx,
                                  const size_t *indexes, size_t n, unsigned flags, int view,
                                  cl_error *err)
{
    return clnode_result_view(clnode_eval_some(vm, prog, ctx, indexes, n, flags, err), ctx, view);
}

clnode_view clnode_best_view(cl_vm *vm, const cl_program *prog, const cl_context *ctx,
                             unsigned flags, int view, cl_error *err)
{
    return clnode_result_view(clnode_best_flags(vm, prog, ctx, flags, err), ctx,
                              view | CLNODE_VIEW_BEST);
}

/* ------------------------------------------------------------------------
 * Simulations
 * ------------------------------------------------------------------------ */

clnode_text clnode_sim_json(const cl_sim *sim)
{
    sink s = {NULL, 0, 0};
    if (sim == NULL)
        return sink_done(&s, CL_EINVAL, 0);
    cl_status st = cl_sim_write_json(sim, sink_write, &s);
    return sink_done(&s, st, st == CL_EIO);
}

/* The view a simulation measures, for the figures both views have. */
static unsigned any_view(const cl_sim *sim)
{
    int64_t v;
    return cl_sim_get(sim, CL_SIM_EVAL, CL_SIM_ALL, CL_SIM_ORDERS, &v) == CL_OK ? CL_SIM_EVAL
                                                                              : CL_SIM_BEST;
}

double clnode_sim_count(const cl_sim *sim, int stat)
{
    int64_t v = 0;
    if (sim == NULL || (stat != CL_SIM_ORDERS && stat != CL_SIM_ERRORS) ||
        cl_sim_get(sim, any_view(sim), CL_SIM_ALL, (cl_sim_stat)stat, &v) != CL_OK)
        return -1;
    return (double)v;
}

clnode_text clnode_sim_percentile(const cl_sim *sim, unsigned view, long coupon, unsigned p)
{
    clnode_text t = {NULL, 0, CL_OK};
    int64_t minor = 0;
    if (sim == NULL) {
        t.status = CL_EINVAL;
        return t;
    }
    t.status = cl_sim_percentile(sim, view, coupon, p, &minor);
    if (t.status != CL_OK)
        return t;
    /* Before the first order a simulation has no currency, and its
     * amounts (all zero) have two decimals, as in its JSON report. */
    const char *currency = cl_sim_currency(sim);
    t.data = malloc(48);
    if (t.data == NULL) {
        t.status = CL_ENOMEM;
        return t;
    }
    t.len = cl_amount_format(minor, currency[0] ? currency : "USD", t.data, 48);
    return t;
}
