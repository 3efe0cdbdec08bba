// Campaign simulation: catalog.simulate() and Simulation. The report is
// checked against a reference summed here from evaluate() and best() on the
// same orders; then every way of giving orders, merging, and every error.
'use strict';
const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('fs');
const os = require('os');
const path = require('path');
const readline = require('readline');
const { Readable } = require('stream');
const couponlib = require('..');
const h = require('./helpers');

const { Catalog, Simulation, ContextError, EvaluationError, CouponlibError } = couponlib;

h.collectAtEnd();

const CODES = ['WELCOME10', 'TENTH', 'VIP20', 'STAFF', 'TV50', 'HAPPYHOUR', 'BIRTHDAY', 'bday', 'SAVE01'];
const PRODUCTS = [
  ['OLED-65', '1899.00', ['electronics/tv/oled']], ['LED-43', '329.00', ['electronics/tv']],
  ['HDMI-2M', '9.99', ['electronics/cables']], ['COAT-M', '180.00', ['fashion/coats']],
  ['SCARF', '25.00', ['fashion/accessories']], ['MUG', '8.49', ['home/kitchen']],
  ['COFFEE', '0.99', ['grocery/coffee']],
];

// A small deterministic generator (xorshift) of varied checkouts against
// the example shop.
function orders(n, seed = 7) {
  let x = seed;
  const rnd = () => {
    x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
    return x / 4294967296;
  };
  const pick = (list) => list[Math.floor(rnd() * list.length)];
  const out = [];
  for (let i = 0; i < n; i++) {
    const items = [];
    for (let k = 1 + Math.floor(rnd() * 4); k > 0; k--) {
      const [sku, price, categories] = pick(PRODUCTS);
      items.push({ sku, quantity: 1 + Math.floor(rnd() * 4), unit_price: price, categories, on_sale: rnd() < 0.2 });
    }
    const codes = [];
    for (let k = Math.floor(rnd() * 3); k > 0; k--) codes.push(pick(CODES));
    out.push({
      now: `${pick(['2026-11-27', '2026-11-28', '2026-12-02', '2026-05-16'])}T${pick(['09', '17', '18', '21'])}:30:00-05:00`,
      currency: 'USD',
      codes: [...new Set(codes)],
      user: { id: `u-${i % 40}`, email: pick(['a@example.com', 'b@shop.example']), tags: rnd() < 0.3 ? ['vip'] : [],
        birthday: pick(['1990-11-29', '1985-05-15']), orders_completed: Math.floor(rnd() * 30) },
      order: { sequence: pick([1, 2, 10, 7]) },
      payment: pick([{ method: 'card', network: 'visa', bin: '411111' }, { method: 'paypal' }]),
      shipping: { method: 'standard', country: 'US', amount: pick(['0.00', '4.99']) },
      items,
    });
  }
  return out;
}

const sample = orders(250);
const lines = sample.map((o) => JSON.stringify(o));
const cents = (s) => Number(s.replace('.', ''));
const halfUp = (total, n) => (n ? Math.floor((2 * total + n) / (2 * n)) : 0);

function shop() {
  return Catalog.compileFiles(h.shopYaml);
}

test('the report is the sum of the evaluations', () => {
  const cat = shop();
  const report = cat.simulate(sample);
  assert.equal(report.orders, sample.length);
  assert.equal(report.errors, 0);
  assert.equal(report.currency, 'USD');
  assert.deepEqual(report.flags, { eval: true, entered: false, best: true, indexed: false });
  const codes = cat.coupons.map((c) => c.code);
  const z = () => Object.fromEntries(codes.map((c) => [c, { q: 0, d: 0, s: 0, why: {}, only: {}, costs: [] }]));
  const alone = z();
  const wins = z();
  let subtotal = 0;
  let unknown = 0;
  let discounted = 0;
  let cost = 0;
  const count = (f, reasons) => {
    const set = new Set(reasons.map((r) => r.code));
    for (const c of set) {
      f.why[c] = (f.why[c] || 0) + 1;
      if (set.size === 1) f.only[c] = (f.only[c] || 0) + 1;
    }
  };
  for (const o of sample) {
    for (const r of cat.evaluate(o)) {
      const f = alone[r.code];
      if (r.applicable) {
        f.q++;
        f.d += cents(r.discount);
        f.s += cents(r.shipping_discount);
        f.costs.push(cents(r.discount) + cents(r.shipping_discount));
      } else {
        count(f, r.reasons);
      }
    }
    const ch = cat.best(o);
    subtotal += cents(ch.subtotal);
    cost += cents(ch.discount) + cents(ch.shipping_discount);
    if (ch.applied.length) discounted++;
    for (const r of ch.applied) {
      wins[r.code].q++;
      wins[r.code].d += cents(r.discount);
      wins[r.code].s += cents(r.shipping_discount);
    }
    for (const r of ch.rejected) {
      if (!(r.code in wins)) unknown++;
      else count(wins[r.code], r.reasons);
    }
  }
  assert.equal(cents(report.subtotal), subtotal);
  for (const c of report.coupons) {
    const a = alone[c.code];
    assert.equal(c.eval.qualifying, a.q, c.code);
    assert.equal(c.eval.not_qualifying, sample.length - a.q);
    assert.equal(cents(c.eval.discount), a.d, c.code);
    assert.equal(cents(c.eval.shipping_discount), a.s, c.code);
    assert.equal(cents(c.eval.average), halfUp(a.d + a.s, a.q), c.code);
    assert.equal(cents(c.eval.max), a.costs.length ? Math.max(...a.costs) : 0);
    assert.equal(cents(c.eval.min), a.costs.length ? Math.min(...a.costs) : 0);
    assert.deepEqual(Object.fromEntries(c.eval.reasons.map((r) => [r.code, [r.orders, r.only]])),
      Object.fromEntries(Object.entries(a.why).map(([k, v]) => [k, [v, a.only[k] || 0]])), c.code);
    const w = wins[c.code];
    assert.equal(c.best.won, w.q, c.code);
    assert.equal(cents(c.best.discount), w.d, c.code);
    assert.equal(cents(c.best.shipping_discount), w.s, c.code);
    assert.deepEqual(Object.fromEntries(c.best.reasons.map((r) => [r.code, [r.orders, r.only]])),
      Object.fromEntries(Object.entries(w.why).map(([k, v]) => [k, [v, w.only[k] || 0]])), c.code);
    assert.ok(c.eval.qualifying > 0 && c.eval.qualifying < sample.length, c.code);
  }
  assert.equal(report.best.discounted, discounted);
  assert.equal(report.best.unknown_codes, unknown);
  assert.equal(cents(report.best.cost), cost);
  assert.ok(unknown > 0);
  assert.equal(typeof report.best.percentiles.p90, 'string');
  cat.close();
});

test('every kind of order gives the same report', async () => {
  const cat = shop();
  const want = cat.simulate(sample);
  assert.deepEqual(cat.simulate(lines), want);
  assert.deepEqual(cat.simulate(lines.map((l) => Buffer.from(l))), want);
  assert.deepEqual(cat.simulate(lines.map((l) => new Uint8Array(Buffer.from(l)))), want);
  assert.deepEqual(cat.simulate((function* gen() { yield* sample; }())), want);
  assert.deepEqual(cat.simulate(lines.flatMap((l, i) => (i % 50 ? [l] : ['', '  \r', l]))), want);
  // An async iterable: the lines of a file, as readline gives them.
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'couponlib-sim-')), 'orders.jsonl');
  fs.writeFileSync(file, `${lines.join('\n')}\n\n`);
  const got = cat.simulate(readline.createInterface({ input: fs.createReadStream(file), crlfDelay: Infinity }));
  assert.ok(got instanceof Promise);
  assert.deepEqual(await got, want);
  assert.deepEqual(await cat.simulate(Readable.from(sample)), want);
  fs.rmSync(path.dirname(file), { recursive: true });
  // The JSON text is the report's.
  const sim = new Simulation(cat);
  sim.extend(lines);
  assert.deepEqual(JSON.parse(sim.reportJson()), want);
  assert.match(want.percentile_error, /^exact below 256/);
  sim.close();
  cat.close();
});

test('views and options', () => {
  const cat = shop();
  const onlyEval = cat.simulate(sample, { best: false });
  assert.equal(onlyEval.best, undefined);
  assert.ok(onlyEval.coupons.every((c) => c.best === undefined && c.eval));
  const onlyBest = cat.simulate(sample, { eval: false });
  assert.ok(onlyBest.coupons.every((c) => c.eval === undefined && c.best));
  const both = cat.simulate(sample);
  assert.deepEqual(both.best, onlyBest.best);
  assert.deepEqual(both.coupons.map((c) => c.eval), onlyEval.coupons.map((c) => c.eval));
  const entered = cat.simulate(sample, { entered: true, indexed: true });
  assert.deepEqual(entered.flags, { eval: true, entered: true, best: true, indexed: true });
  const tv = entered.coupons.find((c) => c.code === 'TV50');
  assert.ok(tv.eval.reasons.some((r) => r.code === 'CODE_REQUIRED'));
  assert.equal(entered.best.cost, both.best.cost);
  assert.throws(() => cat.simulate(sample, { eval: false, best: false }), RangeError);
  assert.throws(() => cat.simulate(sample, { eval: false, entered: true }), RangeError);
  assert.throws(() => cat.simulate(sample, { best: false, indexed: true }), RangeError);
  assert.throws(() => cat.simulate(sample, { best: 'yes' }), TypeError);
  assert.throws(() => cat.simulate(sample, { bestt: true }), TypeError);
  assert.throws(() => cat.simulate(sample, { onError: 5 }), TypeError);
  assert.throws(() => cat.simulate(sample, { strict: 1 }), TypeError);
  for (const bad of ['orders.jsonl', 5, null, undefined, { now: 'x' }]) {
    assert.throws(() => cat.simulate(bad), TypeError);
  }
  cat.close();
});

test('simulations merge into the report of one', () => {
  const cat = shop();
  const want = cat.simulate(lines);
  const parts = [lines.slice(0, 3), lines.slice(3, 100), [], lines.slice(100)].map((chunk) => {
    const s = new Simulation(cat);
    assert.equal(s.extend(chunk), chunk.length);
    return s;
  });
  const into = new Simulation(cat);
  for (const s of parts) into.merge(s);
  assert.deepEqual(into.report(), want);
  assert.equal(parts[1].orders, 97);
  // The same coupons compiled again may be merged.
  const again = shop();
  const other = new Simulation(again);
  other.add(sample[0]);
  into.merge(other);
  assert.equal(into.orders, sample.length + 1);
  for (const s of [...parts, into, other]) s.close();
  again.close();
  cat.close();
});

test('add, counts and percentiles as it goes', () => {
  const cat = shop();
  const sim = new Simulation(cat);
  assert.equal(sim.orders, 0);
  assert.equal(sim.currency, null);
  assert.equal(sim.percentile(50), '0.00');
  const empty = sim.report();
  assert.equal(empty.currency, '');
  for (const o of sample) sim.add(o);
  sim.addJson(lines[0]);
  sim.addJson(Buffer.from(lines[1]));
  assert.equal(sim.orders, sample.length + 2);
  assert.equal(sim.currency, 'USD');
  const r = sim.report();
  assert.equal(sim.percentile(0), r.best.min);
  assert.equal(sim.percentile(100), r.best.max);
  assert.equal(sim.percentile(90), r.best.percentiles.p90);
  assert.equal(sim.percentile(25, 'tv50'), r.coupons.find((c) => c.code === 'TV50').eval.percentiles.p25);
  assert.ok(Number(sim.percentile(99.9)) >= Number(sim.percentile(99)));
  for (const bad of [-1, 100.5, 12.345]) assert.throws(() => sim.percentile(bad), RangeError);
  assert.throws(() => sim.percentile(NaN), TypeError);
  assert.throws(() => sim.percentile('50'), TypeError);
  assert.throws(() => sim.percentile(50, 'NOPE'), RangeError);
  assert.throws(() => sim.addJson(sample[0]), TypeError);
  for (const bad of [42, null, [lines[0]], undefined]) assert.throws(() => sim.add(bad), TypeError);
  const onlyEval = new Simulation(cat, { best: false });
  assert.throws(() => onlyEval.percentile(50), /best combination was not simulated/);
  const onlyBest = new Simulation(cat, { eval: false });
  assert.throws(() => onlyBest.percentile(50, 'TV50'), /each coupon alone was not simulated/);
  for (const s of [sim, onlyEval, onlyBest]) s.close();
  cat.close();
});

test('refused orders are counted and reported', () => {
  const cat = shop();
  const sim = new Simulation(cat);
  sim.add(sample[0]);
  assert.throws(() => sim.add('{"now": "2026-01-01T00:00:00Z", "currency": "USD", "items": [}'), (e) => {
    assert.ok(e instanceof ContextError);
    assert.equal(e.code, 'syntax');
    assert.equal(e.line, 1);
    assert.ok(e.column > 0 && e.excerpt.includes('^'));
    return true;
  });
  assert.throws(() => sim.add({ ...sample[1], now: 'yesterday' }), (e) => e instanceof ContextError && e.code === 'date' && e.path === 'now');
  assert.throws(() => sim.add({ ...sample[1], currency: 'EUR' }),
    (e) => e instanceof EvaluationError && e.code === 'currency' && /EUR/.test(e.message));
  assert.throws(() => sim.add(''), ContextError);
  assert.equal(sim.orders, 1);
  assert.equal(sim.errors, 4);
  const r = sim.report();
  assert.deepEqual({ ...r, errors: 0 }, cat.simulate([sample[0]]));

  const bad = lines.slice(0, 40);
  bad[3] = '{not json';
  bad[10] = JSON.stringify({ ...sample[10], currency: 'EUR' });
  const seen = [];
  const report = cat.simulate(bad, { onError: (i, e) => seen.push([i, e.name, e.code, e.order]) });
  assert.deepEqual(seen, [[3, 'ContextError', 'syntax', 3], [10, 'EvaluationError', 'currency', 10]]);
  assert.equal(report.errors, 2);
  assert.equal(report.orders, 38);
  assert.equal(cat.simulate(bad).errors, 2);
  assert.throws(() => cat.simulate(bad, { strict: true }), (e) => e instanceof ContextError && e.order === 3);
  assert.throws(() => cat.simulate(bad, { onError: () => { throw new RangeError('stop'); } }), /stop/);
  // A currency fixed beforehand refuses the orders in any other.
  const eur = sample.slice(0, 5).map((o) => ({ ...o, currency: 'EUR' }));
  const fixed = cat.simulate([...eur, ...sample.slice(0, 5)], { currency: 'USD' });
  assert.equal(fixed.orders, 5);
  assert.equal(fixed.errors, 5);
  const first = cat.simulate([...eur, ...sample.slice(0, 5)]);
  assert.equal(first.currency, 'EUR');
  assert.ok(first.coupons.every((c) => c.eval.qualifying === 0 && c.eval.reasons[0].code === 'CURRENCY'));
  assert.throws(() => cat.simulate(sample, { currency: 'EURO' }), (e) => e instanceof ContextError && e.code === 'currency');
  assert.throws(() => cat.simulate(sample, { currency: 978 }), TypeError);
  sim.close();
  cat.close();
});

test('an async stream that fails rejects the promise', async () => {
  const cat = shop();
  async function* broken() {
    yield lines[0];
    throw new Error('the disk is gone');
  }
  await assert.rejects(cat.simulate(broken()), /disk/);
  const bad = [lines[0], '{'];
  await assert.rejects(cat.simulate(Readable.from(bad), { strict: true }), (e) => e instanceof ContextError && e.order === 1);
  cat.close();
});

test('merge errors', () => {
  const cat = shop();
  const a = new Simulation(cat);
  a.extend(lines.slice(0, 5));
  const other = Catalog.compile('currency: USD\ncode: X\ndiscount: { percent: 5 }\n');
  assert.throws(() => a.merge(new Simulation(other)), (e) => e instanceof CouponlibError && e.code === 'invalid-argument');
  assert.throws(() => a.merge(new Simulation(cat, { best: false })), (e) => e.code === 'invalid-argument');
  assert.throws(() => a.merge(new Simulation(cat, { entered: true })), (e) => e.code === 'invalid-argument');
  const eur = new Simulation(cat);
  eur.add({ ...sample[0], currency: 'EUR' });
  assert.throws(() => a.merge(eur), (e) => e.code === 'currency' && /EUR/.test(e.message));
  assert.throws(() => a.merge(a), RangeError);
  assert.throws(() => a.merge(cat), TypeError);
  assert.equal(a.orders, 5);
  a.close();
  eur.close();
  other.close();
  cat.close();
});

test('closed simulations and catalogs', () => {
  const cat = shop();
  const sim = new Simulation(cat);
  sim.add(sample[0]);
  sim.close();
  assert.equal(sim.closed, true);
  for (const call of [() => sim.add(sample[0]), () => sim.addJson(lines[0]), () => sim.report(),
    () => sim.reportJson(), () => sim.extend(lines), () => sim.percentile(50), () => sim.orders,
    () => sim.errors, () => sim.currency]) {
    assert.throws(call, /simulation is closed/);
  }
  const live = new Simulation(cat);
  assert.throws(() => live.merge(sim), /closed/);
  assert.throws(() => sim.merge(live), /closed/);
  sim.close();                      // again: nothing happens
  // A simulation keeps the program it needs: it outlives its catalog's close().
  live.add(sample[1]);
  cat.close();
  live.add(sample[2]);
  assert.equal(live.report().orders, 2);
  assert.throws(() => cat.simulate(sample), /catalog is closed/);
  assert.throws(() => new Simulation(cat), /catalog is closed/);
  live.close();
  assert.throws(() => new Simulation({}), TypeError);
  if (typeof Symbol.dispose === 'symbol') {
    const s = new Simulation(shop());
    s[Symbol.dispose]();
    assert.equal(s.closed, true);
  }
});

test('a simulation outlives its collected catalog', async () => {
  require('v8').setFlagsFromString('--expose-gc');
  const gc = require('vm').runInNewContext('gc');
  const sim = (() => new Simulation(shop()))();
  for (let i = 0; i < 3; i++) {
    gc();
    await new Promise((resolve) => setImmediate(resolve));
  }
  sim.extend(lines.slice(0, 20));
  assert.equal(sim.report().orders, 20);
  sim.close();
});
