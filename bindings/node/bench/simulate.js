#!/usr/bin/env node
// Orders per second of a simulation through the Node binding, for a file of
// orders (JSON lines; `couponc simulate --synthesize N --out FILE` makes one)
// against coupon files (default: the example shop).
//
//   node bench/simulate.js ORDERS.jsonl [COUPONS.yaml...]
//
// Prints orders per CPU second and per wall-clock second of catalog.simulate()
// over readline from the file, over the lines as strings in memory (both
// views, and the best combination alone), and over parsed objects; compare
// with `couponc simulate --both --stats`. Figures only; nothing here is a test.
'use strict';
const fs = require('fs');
const path = require('path');
const readline = require('readline');
const { Catalog } = require('..');

const [file, ...coupons] = process.argv.slice(2);
if (!file) {
  console.error('usage: node bench/simulate.js ORDERS.jsonl [COUPONS.yaml...]');
  process.exit(2);
}
const root = path.join(__dirname, '..', '..', '..');
const catalog = Catalog.compileFiles(coupons.length ? coupons : path.join(root, 'examples', 'coupons', 'shop.yaml'));

async function run(name, n, fn) {
  const wall = process.hrtime.bigint();
  const cpu = process.cpuUsage();
  const report = await fn();
  const used = process.cpuUsage(cpu);
  const seconds = (used.user + used.system) / 1e6;
  const wallSeconds = Number(process.hrtime.bigint() - wall) / 1e9;
  if (report.orders + report.errors !== n) throw new Error(`counted ${report.orders} of ${n}`);
  const fmt = (x) => Math.round(x).toLocaleString('en').padStart(10);
  console.log(`${name.padEnd(36)} ${fmt(n / seconds)} orders/CPU s ${fmt(n / wallSeconds)} orders/s`);
}

(async () => {
  const lines = fs.readFileSync(file, 'utf8').split('\n').filter((l) => l.trim() !== '');
  const n = lines.length;
  console.log(`${n.toLocaleString('en')} orders, ${catalog.size} coupons`);
  await run('readline over the file, both views', n,
    () => catalog.simulate(readline.createInterface({ input: fs.createReadStream(file), crlfDelay: Infinity })));
  await run('strings, both views', n, () => catalog.simulate(lines));
  await run('strings, best only', n, () => catalog.simulate(lines, { eval: false }));
  const objects = lines.map((l) => JSON.parse(l));
  await run('objects, both views', n, () => catalog.simulate(objects));
  catalog.close();
})();
