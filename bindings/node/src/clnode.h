/*
 * clnode.h - the few C helpers under the Node binding's SWIG interface.
 *
 * The C API is wrapped as it is (couponlib.i); these helpers only fill the
 * gaps a script language cannot cross by itself: callbacks that write text
 * (cl_result_write_json, cl_program_disasm, cl_error_format) become one
 * malloc'd buffer, and out-parameters (const cl_result **out) become return
 * values. They are part of the addon, not of the library.
 */
#ifndef CLNODE_H
#define CLNODE_H

#include "couponlib/couponlib.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Bytes written by the library, NUL-terminated. data is malloc'd and owned
 * by whoever holds the struct (the SWIG typemaps free it after copying it to
 * JavaScript). status is CL_OK, or why data is NULL. */
typedef struct clnode_text {
    char *data;       /* the bytes, NUL-terminated; NULL on failure */
    size_t len;       /* bytes in data, without the NUL */
    int status;       /* cl_status */
} clnode_text;

/* Bytes (not text: the typemaps make a Buffer of them). */
typedef clnode_text clnode_bytes;

/* The saved form of prog, by cl_program_save(). */
clnode_bytes clnode_program_save(const cl_program *prog);

/* The JSON of SPEC section 5 (after cl_vm_eval) or 6 (after cl_vm_best). */
clnode_text clnode_result_json(const cl_result *res);

/* The bytecode listing of cl_program_disasm(). */
clnode_text clnode_program_disasm(const cl_program *prog);

/* err rendered jq-style by cl_error_format(); src/len may be NULL/0. */
clnode_text clnode_error_format(const cl_error *err, const char *src, size_t len);

/* cl_amount_parse() then cl_amount_format(): the amount with exactly the
 * currency's decimals ("5" in USD gives "5.00"). status tells why it is
 * not an amount. */
clnode_text clnode_amount_normalize(const char *text, size_t len, const char *currency);

/* cl_vm_eval(), cl_vm_eval_some() and cl_vm_best() returning the result, or
 * NULL with *err filled. The result belongs to vm, as in the C API. */
const cl_result *clnode_eval(cl_vm *vm, const cl_program *prog, const cl_context *ctx,
                             unsigned flags, cl_error *err);
const cl_result *clnode_eval_some(cl_vm *vm, const cl_program *prog, const cl_context *ctx,
                                  const size_t *indexes, size_t n, unsigned flags,
                                  cl_error *err);
const cl_result *clnode_best(cl_vm *vm, const cl_program *prog, const cl_context *ctx,
                             cl_error *err);
/* cl_vm_best_flags() (flags: 0 or CL_BEST_INDEXED) the same way. */
const cl_result *clnode_best_flags(cl_vm *vm, const cl_program *prog, const cl_context *ctx,
                                   unsigned flags, cl_error *err);

/* A result to hand to JavaScript (the typemap of couponlib.i makes an
 * array of its values straight from the cl_result_* accessors, of which
 * index.js makes the objects of SPEC sections 5 and 6, without JSON
 * between). ctx is the context the result was evaluated on (for the lines'
 * SKUs); flags are CLNODE_VIEW_*. */
typedef struct clnode_view {
    const cl_result *res;
    const cl_context *ctx;
    int flags;  /* CLNODE_VIEW_* */
} clnode_view;

enum {
    CLNODE_VIEW_BEST = 1,     /* a cl_vm_best() choice, else cl_vm_eval() results */
    CLNODE_VIEW_NO_SKUS = 2   /* leave the lines' SKUs out (the caller has them) */
};

/* Packs its arguments (res NULL: the typemap gives null). */
clnode_view clnode_result_view(const cl_result *res, const cl_context *ctx, int flags);

/* clnode_eval(), clnode_eval_some() and clnode_best_flags() giving the view
 * of their result (with view flags: CLNODE_VIEW_NO_SKUS), or one whose res
 * is NULL with *err filled. One call from JavaScript, and no wrapper object
 * made for the result pointer. */
clnode_view clnode_eval_view(cl_vm *vm, const cl_program *prog, const cl_context *ctx,
                             unsigned flags, int view, cl_error *err);
clnode_view clnode_eval_some_view(cl_vm *vm, const cl_program *prog, const cl_context *ctx,
                                  const size_t *indexes, size_t n, unsigned flags, int view,
                                  cl_error *err);
clnode_view clnode_best_view(cl_vm *vm, const cl_program *prog, const cl_context *ctx,
                             unsigned flags, int view, cl_error *err);

/* The report of cl_sim_write_json() (docs/simulation.md). */
clnode_text clnode_sim_json(const cl_sim *sim);

/* cl_sim_get() of a count (CL_SIM_ORDERS, CL_SIM_ERRORS) of the whole
 * simulation, as a double (exact up to 2^53); -1 when it cannot be read. */
double clnode_sim_count(const cl_sim *sim, int stat);

/* cl_sim_percentile() (view and coupon as there; p in hundredths of a
 * percent) as an amount of the simulation's currency with its decimals
 * ("12.50"), or the failing status. */
clnode_text clnode_sim_percentile(const cl_sim *sim, unsigned view, long coupon, unsigned p);

/* Fills err with status and a message of the binding's own (for failures
 * the library reports by status only). */
void clnode_error_set(cl_error *err, int status, const char *message);

#ifdef __cplusplus
}
#endif

#endif /* CLNODE_H */
