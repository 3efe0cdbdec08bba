#!/usr/bin/env node
// The cost of one call from Node, for a 10-line cart against the example
// shop's 11 coupons (examples/coupons/shop.yaml): Catalog.evaluate (every
// coupon), evaluate of one coupon, best, and where the time of an evaluate
// goes (the context's JSON, the C calls, the result's JSON).
//
//   node bench/evaluate.js [--seconds S]     (default 1 second per figure)
//
// Prints microseconds per call, the median of 5 rounds. Reports figures
// only; nothing here is a test.
'use strict';
const path = require('path');
const { Catalog } = require('..');

const seconds = Number((process.argv.find((a, i) => process.argv[i - 1] === '--seconds')) || 1);
const root = path.join(__dirname, '..', '..', '..');
const catalog = Catalog.compileFiles(path.join(root, 'examples', 'coupons', 'shop.yaml'));

const items = [];
for (let i = 0; i < 10; i++) {
  items.push({
    sku: i < 3 ? `HDMI-${i}` : `SKU-${i}`, quantity: 1 + (i % 3), unit_price: `${19 + i * 7}.99`,
    categories: [i % 2 ? 'electronics/tv' : 'fashion/coats'], tags: i % 4 ? [] : ['eco'], on_sale: i === 5,
  });
}
const context = {
  now: '2026-11-27T14:00:00Z', timezone: 'America/New_York', currency: 'USD',
  codes: ['VIP20', 'TENTH'],
  user: { id: 'u-7', email: 'ann@example.com', tags: ['vip'], orders_completed: 9 },
  payment: { method: 'card', network: 'mastercard', bin: '552260' },
  shipping: { method: 'express', country: 'US', amount: '12.00' },
  items,
  usage: { TENTH: { total: 12, user: 0 } },
};

function measure(fn) {
  for (let i = 0; i < 200; i++) fn();
  const rounds = [];
  for (let r = 0; r < 5; r++) {
    let n = 0;
    const end = process.hrtime.bigint() + BigInt(Math.round(seconds * 1e9 / 5));
    const start = process.hrtime.bigint();
    let now = start;
    while (now < end) {
      for (let i = 0; i < 100; i++) fn();
      n += 100;
      now = process.hrtime.bigint();
    }
    rounds.push(Number(now - start) / 1e3 / n);
  }
  rounds.sort((a, b) => a - b);
  return rounds[2];
}

const text = JSON.stringify(context);
const results = catalog.evaluate(context);

// The C calls alone, through the wrapper (not part of the API).
const native = require(process.env.COUPONLIB_NODE_ADDON
  ? path.resolve(process.env.COUPONLIB_NODE_ADDON)
  : path.join(__dirname, '..', 'build', 'Release', 'couponlib_native.node'));
const env = native.clnode_env_new();
const err = new native.cl_error();
const prog = native.cl_compile_file(env, path.join(root, 'examples', 'coupons', 'shop.yaml'), err);
const ctx = native.cl_context_new(env);
const vm = native.cl_vm_new(env);
native.cl_context_parse(ctx, text, err);
const res = native.clnode_eval(vm, prog, ctx, 0, err);
const rows = [
  ['evaluate, 11 coupons, 10-line cart', () => catalog.evaluate(context)],
  ['evaluate, context given as JSON text', () => catalog.evaluate(text)],
  ['evaluate, only one coupon', () => catalog.evaluate(context, { only: ['TV50'] })],
  ['best', () => catalog.best(context)],
  ['  of which JSON.stringify(context)', () => JSON.stringify(context)],
  ['  of which cl_context_parse', () => native.cl_context_parse(ctx, text, err)],
  ['  of which cl_vm_eval', () => native.clnode_eval(vm, prog, ctx, 0, err)],
  ['  of which cl_result_write_json', () => native.clnode_result_json(res)],
  ['  of which JSON.parse(result)', ((s) => () => JSON.parse(s))(JSON.stringify(results))],
];
console.log(`couponlib ${require('..').version}, node ${process.version}, ${items.length} lines, ${catalog.size} coupons`);
for (const [name, fn] of rows) console.log(`${name.padEnd(40)} ${measure(fn).toFixed(2).padStart(8)} us`);
catalog.close();
native.cl_program_free(prog);
native.cl_vm_free(vm);
native.cl_context_free(ctx);
native.cl_env_free(env);
