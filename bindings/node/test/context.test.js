// Prepared contexts (couponlib.Context): the same results as plain objects
// and text, their errors, their lifetime (close, dispose, the garbage
// collector, with or without the catalogs they were evaluated by), and the
// results Catalog builds from the native accessors against the library's
// own JSON of them.
'use strict';
const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('fs');
const path = require('path');
const couponlib = require('..');
const { Catalog, Context, ContextError, EvaluationError } = couponlib;
const { loadTestFile } = require('./lib/testfile');
const h = require('./helpers');

h.collectAtEnd();

const gc = (() => {
  require('v8').setFlagsFromString('--expose-gc');
  return require('vm').runInNewContext('gc');
})();

async function collect() {
  for (let i = 0; i < 4; i++) {
    gc();
    await new Promise((resolve) => setImmediate(resolve));
  }
}

// What a call gives: its value, or its error's identifying fields.
function outcome(fn) {
  try {
    return { value: fn() };
  } catch (e) {
    if (!(e instanceof couponlib.CouponlibError)) throw e;
    return { error: { name: e.name, code: e.code, line: e.line, column: e.column, path: e.path, detail: e.detail } };
  }
}

const carts = ['black-friday', 'first-order', 'staff-weekend'];

test('a Context gives what its plain object and its JSON text give, evaluate and best', () => {
  const cat = Catalog.compileFiles(h.shopYaml);
  for (const name of carts) {
    const obj = h.cart(name);
    const text = JSON.stringify(obj);
    for (const ctx of [new Context(obj), new Context(text), new Context(Buffer.from(text))]) {
      for (const opts of [undefined, { entered: true }, { only: ['WELCOME10'] }]) {
        const want = cat.evaluate(obj, opts);
        assert.deepStrictEqual(cat.evaluate(text, opts), want);
        assert.deepStrictEqual(cat.evaluate(ctx, opts), want, `${name} ${JSON.stringify(opts)}`);
        assert.deepStrictEqual(cat.evaluate(ctx, opts), want, 'again');
        assert.deepStrictEqual(JSON.parse(cat.evaluateJson(ctx, opts)), want);
      }
      for (const opts of [undefined, { indexed: true }]) {
        const want = cat.best(obj, opts);
        assert.deepStrictEqual(cat.best(ctx, opts), want, name);
        assert.deepStrictEqual(JSON.parse(cat.bestJson(ctx, opts)), want);
        assert.deepStrictEqual(JSON.parse(cat.bestJson(text, opts)), want);
      }
      assert.equal(ctx.size, obj.items.length);
      assert.equal(ctx.currency, obj.currency);
      ctx.close();
    }
  }
  cat.close();
});

// Every case of the project's coupon test files (and of the shared
// conformance files when they are there): a prepared Context of the case's
// text gives what the text gives, error or not, and the objects Catalog
// makes equal the library's own JSON of the same result.
function testFiles(dir) {
  return fs.readdirSync(dir).filter((f) => f.endsWith('.test.yaml')).sort().map((f) => path.join(dir, f));
}
const dirs = [path.join(h.root, 'tests', 'cases')];
const conformance = process.env.COUPONLIB_CONFORMANCE || path.join(h.root, '..', 'shared', 'conformance');
if (fs.existsSync(conformance)) dirs.push(conformance);

for (const dir of dirs) {
  test(`every case of ${path.basename(dir)}: a Context gives what its text gives`, () => {
    let cases = 0;
    let parsed = 0;
    for (const file of testFiles(dir)) {
      const suite = loadTestFile(file);
      for (const c of suite.cases) {
        if (c.context === undefined) continue;
        cases++;
        const cat = suite.catalog;
        const made = outcome(() => new Context(c.context));
        if (made.error) {
          assert.deepStrictEqual(made.error, outcome(() => cat.evaluate(c.context)).error, `${file}: ${c.name}`);
          continue;
        }
        parsed++;
        const ctx = made.value;
        for (const [method, json] of [['evaluate', 'evaluateJson'], ['best', 'bestJson']]) {
          const want = outcome(() => cat[method](c.context));
          const got = outcome(() => cat[method](ctx));
          assert.deepStrictEqual(got, want, `${file}: ${c.name}: ${method}`);
          if (got.value) assert.deepStrictEqual(JSON.parse(cat[json](ctx)), got.value, `${file}: ${c.name}: ${json}`);
        }
        ctx.close();
      }
      suite.close();
    }
    assert.ok(cases > 0 && parsed > 0, `${cases} cases, ${parsed} parsed`);
  });

  test(`every case of ${path.basename(dir)} passes on prepared contexts`, () => {
    for (const file of testFiles(dir)) {
      const suite = loadTestFile(file, { prepared: true });
      try {
        for (const c of suite.cases) c.run();
      } finally {
        suite.close();
      }
    }
  });
}

test('one Context, several catalogs', () => {
  const a = Catalog.compile(h.SAVE);
  const b = Catalog.compile(h.SHIP);
  const obj = h.cartOf(4, { shipping: { amount: '4.99' } });
  const ctx = new Context(obj);
  for (let i = 0; i < 3; i++) {
    assert.deepStrictEqual(a.evaluate(ctx), a.evaluate(obj));
    assert.deepStrictEqual(b.evaluate(ctx), b.evaluate(obj));
    assert.deepStrictEqual(b.best(ctx), b.best(obj));
  }
  assert.equal(b.best(ctx).shipping_discount, '4.99');
  a.close();
  b.close();
  ctx.close();
});

test('fill() replaces the context; clear() empties it', () => {
  const cat = Catalog.compile(h.SAVE);
  const ctx = new Context();
  assert.equal(ctx.size, 0);
  assert.equal(ctx.currency, null);
  ctx.fill(h.cartOf(1));
  assert.equal(cat.evaluate(ctx)[0].applicable, false);
  ctx.fill(JSON.stringify(h.cartOf(3)));
  assert.equal(ctx.size, 3);
  assert.deepStrictEqual(cat.evaluate(ctx), cat.evaluate(h.cartOf(3)));
  ctx.clear();
  assert.equal(ctx.size, 0);
  assert.throws(() => cat.evaluate(ctx), EvaluationError);
  cat.close();
  ctx.close();
});

test('a malformed context is a ContextError with its position; the Context is left empty', () => {
  const text = '{"now": "2026-03-04T10:00:00Z",\n "currency": "USD",\n "items": [{"sku": "A", "quantity": true, "unit_price": "1.00"}]}';
  for (const ctx of [text, Buffer.from(text)]) {
    assert.throws(() => new Context(ctx), (e) => {
      assert.ok(e instanceof ContextError);
      assert.equal(e.code, 'value');
      assert.equal(e.line, 3);
      assert.equal(e.column, 37);
      assert.equal(e.path, 'items[0].quantity');
      assert.match(e.message, /^<context>:3:37: /);
      assert.match(e.excerpt, /"quantity": true/);
      return true;
    });
  }
  const ctx = new Context(h.cartOf(2));
  assert.throws(() => ctx.fill({ ...h.cartOf(2), currency: 'XX' }), (e) => e instanceof ContextError && e.path === 'currency');
  assert.equal(ctx.size, 0);
  assert.equal(ctx.currency, null);
  assert.throws(() => ctx.fill('{"now": '), (e) => e instanceof ContextError && e.line === 1);
  ctx.close();
  for (const bad of [null, 5, [], true]) {
    assert.throws(() => new Context(bad), TypeError);
  }
  const cyclic = h.cartOf(1);
  cyclic.self = cyclic;
  assert.throws(() => new Context(cyclic), /cannot be written as JSON/);
});

test('a Context takes limits and a tz directory, and checks them', () => {
  assert.throws(() => new Context(h.cartOf(5), { limits: { items: 4 } }), ContextError);
  const ctx = new Context(h.cartOf(4), { limits: { items: 4 } });
  assert.equal(ctx.size, 4);
  ctx.close();
  assert.throws(() => new Context(undefined, { limits: { nope: 1 } }), /unknown limit/);
  assert.throws(() => new Context(undefined, { color: 1 }), /unknown option/);
  assert.throws(() => new Context(undefined, { tzdir: '' }), /tzdir/);
  const zoned = new Context({ ...h.cartOf(1), timezone: 'America/New_York' });
  zoned.close();
});

test('a closed Context throws on every use; close() twice and Symbol.dispose', () => {
  const cat = Catalog.compile(h.SAVE);
  const ctx = new Context(h.cartOf(2));
  ctx.close();
  ctx.close();
  assert.equal(ctx.closed, true);
  for (const call of [() => cat.evaluate(ctx), () => cat.best(ctx), () => cat.evaluateJson(ctx),
    () => ctx.fill(h.cartOf(1)), () => ctx.clear(), () => ctx.size, () => ctx.currency]) {
    assert.throws(call, { message: 'couponlib: this context is closed' });
  }
  const sim = new couponlib.Simulation(cat);
  assert.throws(() => sim.add(ctx), /context is closed/);
  sim.close();
  if (typeof Symbol.dispose === 'symbol') {
    const other = new Context(h.cartOf(1));
    other[Symbol.dispose]();
    assert.equal(other.closed, true);
  }
  cat.close();
  assert.throws(() => cat.evaluate(new Context(h.cartOf(1))), /catalog is closed/);
});

test('a Context outlives the catalogs it was evaluated by, collected or closed', async () => {
  const obj = h.cartOf(3);
  const ctx = new Context(obj);
  let want;
  (() => {
    const cat = Catalog.compile(h.SAVE);
    want = cat.evaluate(ctx);
  })();
  const closed = Catalog.compile(h.SAVE);
  closed.evaluate(ctx);
  closed.close();
  await collect();
  const cat = Catalog.compile(h.SAVE);
  assert.deepStrictEqual(cat.evaluate(ctx), want);
  assert.deepStrictEqual(cat.evaluate(obj), want);
  cat.close();
  ctx.close();
});

test('Contexts that are not closed are freed by the garbage collector; results outlive them', async () => {
  const cat = Catalog.compile(h.SAVE);
  const kept = [];
  for (let i = 0; i < 200; i++) {
    const ctx = new Context(h.cartOf(1 + (i % 4)));
    kept.push(cat.evaluate(ctx));
    if (i % 2) ctx.close();
  }
  await collect();
  for (let i = 0; i < 200; i++) {
    assert.deepStrictEqual(kept[i], cat.evaluate(h.cartOf(1 + (i % 4))));
  }
  cat.close();
});

test('a Simulation counts prepared Contexts as it counts their objects', () => {
  const cat = Catalog.compile(h.SAVE);
  const orders = [h.cartOf(1), h.cartOf(2), h.cartOf(3), h.cartOf(6)];
  const want = cat.simulate(orders);
  const contexts = orders.map((o) => new Context(o));
  assert.deepStrictEqual(cat.simulate(contexts), want);
  const sim = new couponlib.Simulation(cat);
  const eur = new Context({ ...h.cartOf(2), currency: 'EUR' });
  sim.add(contexts[0]);
  assert.throws(() => sim.add(eur), EvaluationError);
  assert.equal(sim.orders, 1);
  assert.equal(sim.errors, 1);
  sim.close();
  for (const c of [...contexts, eur]) c.close();
  cat.close();
});

test('results in zero- and three-decimal currencies, reasons with lines, rejected codes', () => {
  const src = (cur) => `version: 1
currency: ${cur}
coupons:
  - code: BIG
    automatic: true
    when: { cart.subtotal: { gte: "100" } }
    discount: { percent: 10 }
  - code: CODE
    when: { category: [toys] }
    discount: { amount: "1" }
`;
  for (const [cur, price] of [['JPY', '150'], ['KWD', '12.125']]) {
    const cat = Catalog.compile(src(cur));
    const obj = { now: '2026-03-04T10:00:00Z', currency: cur, codes: ['CODE', 'NOSUCH'],
      items: [{ sku: 'A', quantity: 10, unit_price: price }, { sku: 'B', quantity: 1, unit_price: price }] };
    const ctx = new Context(obj);
    const r = cat.evaluate(ctx);
    assert.deepStrictEqual(r, JSON.parse(cat.evaluateJson(obj)));
    assert.ok(r[1].reasons.length > 0);
    const b = cat.best(ctx);
    assert.deepStrictEqual(b, JSON.parse(cat.bestJson(obj)));
    assert.deepStrictEqual(b.rejected.map((x) => x.code), ['CODE', 'NOSUCH']);
    ctx.close();
    cat.close();
  }
});
