// The benchmarks' carts, generated from a seed: the same arithmetic as
// bench/c/cart.c and bench/python/cart.py (keep them in step), so that every
// runner decides on exactly the same carts.
'use strict';

const DEPTS = ['electronics', 'home', 'fashion', 'toys', 'garden'];
const METHODS = ['card', 'wallet', 'paypal', 'card'];
const TAGS = [['new'], ['vip'], ['gold'], ['vip', 'gold']];

const W1_SEED = 1;
const W2_SEED = 779;

function cartHash(seed, k) {
  let x = (Math.imul(seed, 0x9E3779B1) + Math.imul(k, 0x85EBCA77)) >>> 0;
  x ^= x >>> 16;
  x = Math.imul(x, 0x7FEB352D) >>> 0;
  x ^= x >>> 15;
  x = Math.imul(x, 0x846CA68B) >>> 0;
  x ^= x >>> 16;
  return x >>> 0;
}

/** The number of lines of cart seed in the bulk workload (W3). */
function linesOf(seed) {
  return 1 + (cartHash(seed, 9) % 10);
}

/** Cart number seed with n lines, as plain data (amounts in cents). */
function make(seed, n) {
  const lines = [];
  for (let i = 0; i < n; i++) {
    const r = cartHash(seed, 10 + i);
    lines.push({
      sku: `SKU-${r % 5000}`,
      quantity: 1 + ((r >>> 13) % 3),
      unit_price: 199 + ((r >>> 15) % 20000),
      category: `${DEPTS[(r >>> 5) % 5]}/c${(r >>> 9) % 8}`,
    });
  }
  return {
    now: 1795000000 + (cartHash(seed, 0) % 604800),
    user_id: `u-${cartHash(seed, 1) % 5000}`,
    tags: TAGS[cartHash(seed, 2) % 4].slice(),
    orders_completed: cartHash(seed, 3) % 20,
    method: METHODS[cartHash(seed, 4) % 4],
    shipping: 499,
    uses_total: cartHash(seed, 5) % 1000,
    uses_user: cartHash(seed, 6) % 7,
    lines,
  };
}

function money(cents) {
  return `${Math.floor(cents / 100)}.${String(cents % 100).padStart(2, '0')}`;
}

/** A cart as a couponlib context (SPEC section 3), as bench/workloads.py writes it. */
function contextOf(c, codes) {
  return {
    now: new Date(c.now * 1000).toISOString().replace('.000Z', 'Z'),
    currency: 'USD',
    codes: codes || [],
    user: { id: c.user_id, tags: c.tags, orders_completed: c.orders_completed },
    payment: { method: c.method },
    shipping: { amount: money(c.shipping) },
    items: c.lines.map((l) => ({
      sku: l.sku, quantity: l.quantity, unit_price: money(l.unit_price), categories: [l.category],
    })),
    usage: { SEVEN: { total: c.uses_total, user: c.uses_user } },
  };
}

module.exports = { W1_SEED, W2_SEED, cartHash, linesOf, make, contextOf, money };
