/*
 * cart.h - the carts of the benchmarks (bench/README in docs/PERFORMANCE.md),
 * generated from a seed by the same arithmetic in C (here), JavaScript
 * (bench/node/cart.js) and Python (bench/python/cart.py), so that every
 * runner decides on exactly the same carts without reading a file of a
 * million of them.
 *
 * A cart is plain data, as a shop's own code would hold it; the couponlib
 * runners turn it into a cl_context, the peers into their own facts.
 */
#ifndef BENCH_CART_H
#define BENCH_CART_H

#include <stdint.h>

#define CART_MAX_LINES 10

typedef struct cart_line {
    char sku[16];           /* "SKU-1234" */
    int64_t quantity;       /* 1..3 */
    int64_t unit_price;     /* cents, 1.99..201.98 */
    char category[24];      /* "electronics/c3" */
} cart_line;

typedef struct cart {
    int64_t now;            /* seconds since the epoch, a week of November 2026 */
    char user_id[16];       /* "u-42" */
    const char *tags[2];    /* the user's tags (static strings) */
    int ntags;
    int64_t orders_completed;
    const char *method;     /* payment method (static) */
    int64_t shipping;       /* cents */
    int64_t uses_total, uses_user;   /* usage of the W1 coupon (SEVEN) */
    int nlines;
    cart_line lines[CART_MAX_LINES];
} cart;

/* A 32-bit mix of (seed, k): lowbias32 of seed * 0x9E3779B1 + k * 0x85EBCA77. */
uint32_t cart_hash(uint32_t seed, uint32_t k);

/* Fills *c with cart number seed of nlines lines (1..CART_MAX_LINES). */
void cart_make(cart *c, uint32_t seed, int nlines);

/* The number of lines of cart seed in the bulk workload (W3): 1..10. */
int cart_lines_of(uint32_t seed);

/* The seed of the W1 cart (10 lines, the W1 coupon applies) and of the W2
 * cart (10 lines). */
#define CART_W1_SEED 1u
#define CART_W2_SEED 779u

#endif
