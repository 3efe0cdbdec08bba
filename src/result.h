/*
 * result.h - what an evaluation produces, stored in the VM and reused from
 * one evaluation to the next.
 */
#ifndef CL_RESULT_H
#define CL_RESULT_H

#include "core.h"

typedef struct clR_line {
    uint32_t index;       /* line of the context */
    int64_t amount;       /* discount on it, > 0 */
    size_t sku;           /* the line's SKU, copied into the result's text */
} clR_line;

typedef struct clR_reason {
    uint8_t code;         /* cl_reason */
    uint32_t line;        /* source line, 0 = none */
    const char *msg;      /* a program's message, or NULL for text[off] */
    size_t off;           /* into the result's text when msg is NULL */
} clR_reason;

typedef struct clR_outcome {
    long coupon;          /* program index, -1 for an unknown code */
    const char *code;     /* the coupon's code (program) or the entered text (context) */
    uint8_t applicable;
    int64_t discount;
    int64_t shipping;
    uint32_t line_first, line_count;
    uint32_t reason_first, reason_count;
} clR_outcome;

struct cl_result {
    const cl_env *env;
    CL_VEC(clR_outcome) out;    /* eval: one per coupon; best: applied, then rejected */
    size_t napplied;            /* best: how many of out are applied */
    uint8_t is_best;
    CL_VEC(clR_line) lines;
    CL_VEC(clR_reason) reasons;
    clB_str text;               /* messages made during evaluation */
    int64_t totals[5];          /* cl_total */
    char currency[4];
    int exponent;
};

void clR_reset(cl_result *r);
void clR_free(cl_result *r);

/* Starts a new outcome (not applicable, zero amounts); NULL when out of
 * memory. The pointer is valid until the next clR_begin. */
clR_outcome *clR_begin(cl_result *r, long coupon, const char *code);
/* Appends a reason to the newest outcome. */
bool clR_reason_add(cl_result *r, int code, uint32_t line, const char *msg);
/* Appends a reason with a message made now. */
bool clR_reason_addf(cl_result *r, int code, uint32_t line, const char *fmt, ...)
    CL_PRINTF(4, 5);
/* Appends a line share to the newest outcome, with a copy of the line's
 * SKU (sku[0..n)) for the JSON of SPEC 5. */
bool clR_line_add(cl_result *r, uint32_t index, int64_t amount, const char *sku, size_t n);

#endif /* CL_RESULT_H */
