/*
 * index.h - the catalog index (index.c): which automatic coupons could
 * apply to a cart, found without running them.
 */
#ifndef CL_INDEX_H
#define CL_INDEX_H

#include "program.h"

/* Builds p->index from p's coupons. CL_OK or CL_ENOMEM (err filled). */
int clI_build(cl_program *p, cl_error *err);

void clI_free(const cl_env *env, clI_index *x);

/* The candidates of an indexed `best`: the automatic coupons of p that the
 * index cannot rule out for ctx, and the coupons of the codes entered, in
 * program order without repeats. *out belongs to vm until its next use.
 * CL_OK or CL_ENOMEM. */
int clI_candidates(cl_vm *vm, const cl_program *p, const cl_context *ctx, const uint32_t **out,
                   size_t *n);

#endif /* CL_INDEX_H */
