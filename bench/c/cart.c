/*
 * cart.c - the benchmarks' carts (cart.h). Keep in step with
 * bench/node/cart.js and bench/python/cart.py: the runners' checks compare
 * what each of them decided on these carts.
 */
#include "cart.h"

#include <stdio.h>
#include <string.h>

static const char *const depts[] = {"electronics", "home", "fashion", "toys", "garden"};
static const char *const methods[] = {"card", "wallet", "paypal", "card"};

uint32_t cart_hash(uint32_t seed, uint32_t k)
{
    uint32_t x = seed * 0x9E3779B1u + k * 0x85EBCA77u;
    x ^= x >> 16;
    x *= 0x7feb352du;
    x ^= x >> 15;
    x *= 0x846ca68bu;
    x ^= x >> 16;
    return x;
}

int cart_lines_of(uint32_t seed)
{
    return 1 + (int)(cart_hash(seed, 9) % 10);
}

void cart_make(cart *c, uint32_t seed, int nlines)
{
    memset(c, 0, sizeof *c);
    c->now = 1795000000 + (int64_t)(cart_hash(seed, 0) % 604800);
    snprintf(c->user_id, sizeof c->user_id, "u-%u", cart_hash(seed, 1) % 5000);
    switch (cart_hash(seed, 2) % 4) {
    case 0: c->tags[0] = "new"; c->ntags = 1; break;
    case 1: c->tags[0] = "vip"; c->ntags = 1; break;
    case 2: c->tags[0] = "gold"; c->ntags = 1; break;
    default: c->tags[0] = "vip"; c->tags[1] = "gold"; c->ntags = 2; break;
    }
    c->orders_completed = cart_hash(seed, 3) % 20;
    c->method = methods[cart_hash(seed, 4) % 4];
    c->shipping = 499;
    c->uses_total = cart_hash(seed, 5) % 1000;
    c->uses_user = cart_hash(seed, 6) % 7;
    c->nlines = nlines;
    for (int i = 0; i < nlines; i++) {
        uint32_t r = cart_hash(seed, 10 + (uint32_t)i);
        cart_line *l = &c->lines[i];
        snprintf(l->sku, sizeof l->sku, "SKU-%u", r % 5000);
        l->quantity = 1 + (r >> 13) % 3;
        l->unit_price = 199 + (r >> 15) % 20000;
        snprintf(l->category, sizeof l->category, "%s/c%u", depts[(r >> 5) % 5], (r >> 9) % 8);
    }
}
