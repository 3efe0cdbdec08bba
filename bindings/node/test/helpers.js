// What the binding's tests share: the project's files and a few coupons.
'use strict';
const fs = require('fs');
const path = require('path');

const root = process.env.COUPONLIB_ROOT || path.resolve(__dirname, '..', '..', '..');
const shopYaml = path.join(root, 'examples', 'coupons', 'shop.yaml');
const cart = (name) => JSON.parse(fs.readFileSync(path.join(root, 'examples', 'carts', `${name}.json`), 'utf8'));

// Two small files of coupons in USD.
const SAVE = `version: 1
currency: USD
coupons:
  - code: SAVE5
    name: 5.00 off orders over 20.00
    automatic: true
    priority: 3
    when: { cart.subtotal: { gte: "20.00" } }
    discount: { amount: "5.00" }
  - code: TEN
    name: 10% off books
    group: books
    when: { category: [books] }
    discount: { percent: 10, target: { items: { category: [books] } } }
`;
const SHIP = `currency: USD
code: FREESHIP
automatic: true
combine: exclusive
discount: { free_shipping: true }
`;

// A cart of n lines in USD.
function cartOf(n, extra) {
  const items = [];
  for (let i = 0; i < n; i++) {
    items.push({ sku: `SKU-${i}`, quantity: 1 + (i % 3), unit_price: `${10 + i}.50`,
      categories: [i % 2 ? 'books/novels' : 'home'] });
  }
  return { now: '2026-03-04T10:00:00Z', currency: 'USD', items, ...extra };
}

module.exports = { root, shopYaml, cart, SAVE, SHIP, cartOf };

// Under a leak checker: collects garbage once the file's tests are done,
// so that what the tests left to the garbage collector (catalogs not closed,
// SWIG's wrapper objects) is freed before the process exits and only real
// leaks remain.
function collectAtEnd() {
  const { after } = require('node:test');
  after(async () => {
    require('v8').setFlagsFromString('--expose-gc');
    const gc = require('vm').runInNewContext('gc');
    for (let i = 0; i < 4; i++) {
      gc();
      await new Promise((resolve) => setImmediate(resolve));
    }
  });
}
module.exports.collectAtEnd = collectAtEnd;
