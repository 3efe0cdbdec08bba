/*
 * ast.h - what the loader hands the compiler: coupons with their condition
 * trees. Constants are already interned in the unit builder (build.h), so a
 * condition refers to sets, filters and rules by index; the compiler only
 * lays out code. Nodes live in the compile's arena.
 */
#ifndef CL_AST_H
#define CL_AST_H

#include "build.h"

typedef enum clL_ck {
    CK_ALL,       /* every kid; at the top level each kid is reported alone */
    CK_AND,       /* every kid, reported as one condition */
    CK_ANY,       /* at least one kid */
    CK_NOT,       /* kids[0] is not met */
    CK_TRUE,      /* always met */
    CK_VALUE,     /* load field `field` (LOAD_STR/INT/AMT), then tests, all of them */
    CK_OP,        /* one instruction pushing a boolean: `op` with a, b, c */
} clL_ck;

/* One test applied to a loaded value: an instruction (INT_CMP, STR_IN...),
 * optionally negated (ne, not_in). */
typedef struct clL_test {
    uint8_t op;     /* clP_opcode */
    uint8_t a;
    uint8_t negate;
    uint32_t c;
} clL_test;

typedef struct clL_cond clL_cond;
struct clL_cond {
    uint8_t kind;          /* clL_ck */
    uint8_t reason;        /* cl_reason recorded when this fails at the top level */
    uint8_t field;         /* CK_VALUE: clP_field */
    uint8_t op, a;         /* CK_OP: the instruction */
    uint16_t b;
    uint32_t c;
    uint32_t line, col;    /* source position */
    const char *message;   /* what the shopper is told when it fails (arena) */
    clL_test *tests;       /* CK_VALUE */
    uint32_t ntests;
    clL_cond **kids;       /* CK_ALL, CK_ANY, CK_NOT */
    uint32_t nkids;
};

/* A validity bound of a coupon. */
typedef struct clL_bound {
    uint8_t set;           /* present */
    uint8_t form;          /* 0 = instant, 1 = local date-time */
    int64_t value;         /* seconds */
    uint32_t line;
    const char *message;
} clL_bound;

typedef struct clL_coupon {
    clP_coupon rec;        /* everything but `entry` */
    uint32_t owner;        /* string index of `owner`, or CL_NONE */
    uint32_t owner_line;
    const char *owner_message;
    clL_bound from, until;
    clL_cond *when;        /* CK_ALL at the top, or NULL */
    uint32_t limits_line;
    const char *code_message;     /* CODE_REQUIRED */
    const char *currency_message; /* CURRENCY */
} clL_coupon;

/* Loads a parsed document into the builder's tables and coupons. */
int clL_load_unit(clC_builder *b, const clY_doc *doc, clL_coupon **coupons, size_t *ncoupons);

/* Emits code for the coupons and finishes the unit (compile.c). */
int clC_emit(clC_builder *b, clL_coupon *coupons, size_t n);

#endif /* CL_AST_H */
