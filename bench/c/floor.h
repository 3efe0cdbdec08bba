/*
 * floor.h - W1 written by hand in C: the floor the VM is measured against.
 */
#ifndef BENCH_FLOOR_H
#define BENCH_FLOOR_H

#include "cart.h"

#include <stddef.h>
#include <stdint.h>

/* Decides bench/w1.yaml's coupon on cart c, hard-coded: the discount in
 * cents and each line's share in shares[0..nlines), or -1 when the coupon
 * does not apply (shares untouched). The same result as couponlib's. */
int64_t floor_w1(const cart *c, int64_t *shares);

/* "discount;index:share,..." as cbench prints couponlib's results. */
void floor_check(int64_t discount, const int64_t *shares, int n, char *buf, size_t size);

#endif
