// The Catalog class and the module's helpers: every call, on good input.
'use strict';
const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('fs');
const couponlib = require('..');
const { Catalog } = couponlib;
const h = require('./helpers');

h.collectAtEnd();

test('the module exports the library version and its reason codes', () => {
  assert.equal(couponlib.version, '0.1.0');
  assert.equal(couponlib.reasonCodes.length, 23);
  assert.equal(couponlib.reasonCodes[0], 'NOT_STARTED');
  assert.equal(couponlib.reasonCodes.at(-1), 'CONDITION');
  assert.ok(Object.isFrozen(couponlib.reasonCodes));
});

test('compile: one source as a string, a Buffer or { source, name }', () => {
  for (const src of [h.SAVE, Buffer.from(h.SAVE), new Uint8Array(Buffer.from(h.SAVE)),
    { source: h.SAVE, name: 'save.yaml' }, [h.SAVE]]) {
    const cat = Catalog.compile(src);
    assert.equal(cat.size, 2);
    assert.deepEqual(cat.coupons.map((c) => c.code), ['SAVE5', 'TEN']);
    cat.close();
  }
});

test('compile: several sources are linked into one catalog', () => {
  const cat = Catalog.compile([{ source: h.SAVE, name: 'save.yaml' }, { source: h.SHIP, name: 'ship.yaml' }]);
  assert.equal(cat.size, 3);
  assert.deepEqual(cat.coupons.map((c) => c.code), ['SAVE5', 'TEN', 'FREESHIP']);
  cat.close();
});

test('compileFiles: one path or several', () => {
  const one = Catalog.compileFiles(h.shopYaml);
  assert.equal(one.size, 11);
  const dir = fs.mkdtempSync(require('path').join(require('os').tmpdir(), 'couponlib-'));
  const a = `${dir}/save.yaml`;
  const b = `${dir}/ship.yaml`;
  fs.writeFileSync(a, h.SAVE);
  fs.writeFileSync(b, h.SHIP);
  const two = Catalog.compileFiles([a, b]);
  assert.deepEqual(two.coupons.map((c) => c.code), ['SAVE5', 'TEN', 'FREESHIP']);
  one.close();
  two.close();
  fs.rmSync(dir, { recursive: true });
});

test('coupons and coupon(): the facts of each coupon', () => {
  const cat = Catalog.compile([h.SAVE, { source: h.SHIP, name: 'ship.yaml' }]);
  assert.deepEqual(cat.coupons[0], {
    code: 'SAVE5', name: '5.00 off orders over 20.00', group: '', currency: 'USD',
    automatic: true, exclusive: false, priority: 3,
  });
  assert.deepEqual(cat.coupon('ten'), {
    code: 'TEN', name: '10% off books', group: 'books', currency: 'USD',
    automatic: false, exclusive: false, priority: 0,
  });
  assert.equal(cat.coupon('FreeShip').exclusive, true);
  assert.equal(cat.coupon('NOPE'), undefined);
  assert.equal(cat.coupon('SAVE5\0'), undefined);
  assert.ok(Object.isFrozen(cat.coupons) && Object.isFrozen(cat.coupons[0]));
  assert.equal(cat.coupons, cat.coupons, 'the list is made once');
  cat.close();
});

test('evaluate: one result per coupon, amounts as decimal strings, lines with their SKU', () => {
  const cat = Catalog.compile([h.SAVE, h.SHIP]);
  const results = cat.evaluate(h.cartOf(3, { shipping: { amount: '4.99' } }));
  assert.deepEqual(results.map((r) => [r.code, r.applicable, r.discount, r.shipping_discount]), [
    ['SAVE5', true, '5.00', '0.00'], ['TEN', true, '2.30', '0.00'], ['FREESHIP', true, '0.00', '4.99'],
  ]);
  assert.deepEqual(results[0].lines, [
    { index: 0, sku: 'SKU-0', discount: '0.74' },
    { index: 1, sku: 'SKU-1', discount: '1.62' },
    { index: 2, sku: 'SKU-2', discount: '2.64' },
  ]);
  assert.deepEqual(results[1].reasons, []);
  cat.close();
});

test('evaluate: a coupon that does not apply says why, with its source line', () => {
  const cat = Catalog.compile(h.SAVE);
  const [save, ten] = cat.evaluate({ now: '2026-03-04T10:00:00Z', currency: 'USD',
    items: [{ sku: 'MUG', quantity: 1, unit_price: '3.00', categories: ['home'] }] });
  assert.equal(save.applicable, false);
  assert.equal(save.discount, '0.00');
  assert.deepEqual(save.lines, []);
  assert.deepEqual(save.reasons.map((r) => [r.code, r.line]), [['MIN_SUBTOTAL', 8]]);
  assert.equal(typeof save.reasons[0].message, 'string');
  assert.deepEqual(ten.reasons.map((r) => r.code), ['CATEGORY', 'ITEMS']);
  cat.close();
});

test('evaluate: entered honours the codes; only picks coupons, in that order', () => {
  const cat = Catalog.compileFiles(h.shopYaml);
  const ctx = h.cart('first-order');
  const all = cat.evaluate(ctx);
  assert.equal(all.length, 11);
  assert.equal(all.find((r) => r.code === 'TENTH').reasons.some((r) => r.code === 'CODE_REQUIRED'), false);
  const some = cat.evaluate(ctx, { entered: true, only: ['tenth', 'TV50'] });
  assert.deepEqual(some.map((r) => r.code), ['TENTH', 'TV50']);
  assert.deepEqual(some[0].reasons.map((r) => r.code), ['CODE_REQUIRED', 'ORDER_SEQUENCE']);
  assert.equal(some[1].discount, '50.00');
  assert.deepEqual(cat.evaluate(ctx, { only: [] }), []);
  assert.deepEqual(cat.evaluate(ctx, { entered: false }), all);
  cat.close();
});

test('best: the optimal combination, its totals, and the rejected candidates', () => {
  const cat = Catalog.compileFiles(h.shopYaml);
  const choice = cat.best(h.cart('first-order'));
  assert.deepEqual(choice.coupons, ['BANK5', 'TV50', 'WELCOME10']);
  assert.deepEqual([choice.discount, choice.shipping_discount, choice.subtotal, choice.shipping, choice.total],
    ['101.50', '0.00', '529.96', '7.99', '436.45']);
  assert.deepEqual(choice.applied.map((r) => r.code), choice.coupons);
  assert.deepEqual(choice.applied[2].lines.map((l) => l.sku), ['TV-55', 'HDMI-1M']);
  assert.deepEqual(choice.rejected.map((r) => r.code), ['CABLES3', 'BLACKFRIDAY', 'WEEKEND', 'HAPPYHOUR']);
  assert.equal(choice.rejected[0].reasons[0].code, 'NOT_COMBINABLE');

  const staff = cat.best(h.cart('staff-weekend'));
  assert.deepEqual(staff.coupons, ['STAFF']);
  const unknown = staff.rejected.find((r) => r.code === 'NOSUCHCODE');
  assert.deepEqual(unknown.reasons.map((r) => r.code), ['UNKNOWN_CODE']);
  cat.close();
});

test('best: indexed gives the same choice and totals, listing fewer rejected', () => {
  const cat = Catalog.compileFiles(h.shopYaml);
  for (const name of ['first-order', 'staff-weekend']) {
    const full = cat.best(h.cart(name));
    const indexed = cat.best(h.cart(name), { indexed: true });
    assert.deepEqual(indexed.coupons, full.coupons);
    assert.deepEqual(indexed.applied, full.applied);
    assert.deepEqual([indexed.discount, indexed.shipping_discount, indexed.total],
      [full.discount, full.shipping_discount, full.total]);
    const codes = new Set(full.rejected.map((r) => r.code));
    for (const r of indexed.rejected) assert.ok(codes.has(r.code), r.code);
  }
  assert.deepEqual(cat.best(h.cart('first-order'), { indexed: false }), cat.best(h.cart('first-order')));
  assert.throws(() => cat.best(h.cart('first-order'), { indexed: 1 }), TypeError);
  assert.throws(() => cat.best(h.cart('first-order'), { index: true }), TypeError);
  cat.close();
});

test('best: the empty choice leaves the totals unchanged', () => {
  const cat = Catalog.compile(h.SAVE);
  const choice = cat.best({ now: '2026-03-04T10:00:00Z', currency: 'USD',
    items: [{ sku: 'MUG', quantity: 1, unit_price: '3.00' }] });
  assert.deepEqual(choice.coupons, []);
  assert.deepEqual(choice.applied, []);
  assert.equal(choice.total, '3.00');
  cat.close();
});

test('a context may be given as JSON or YAML text, or a Buffer of it', () => {
  const cat = Catalog.compileFiles(h.shopYaml);
  const ctx = h.cart('first-order');
  const want = cat.best(ctx);
  assert.deepEqual(cat.best(JSON.stringify(ctx)), want);
  assert.deepEqual(cat.best(Buffer.from(JSON.stringify(ctx))), want);
  const yaml = `now: "2026-11-24T18:30:00-05:00"
timezone: America/New_York
currency: USD
codes: [HAPPYHOUR, TV50]
user: { id: u-100, email: sam@example.com, orders_completed: 0 }
payment: { method: card, network: visa, bin: "411111" }
shipping: { method: standard, country: US, amount: "7.99" }
items:
  - { sku: TV-55, quantity: 1, unit_price: "499.99", categories: [electronics/tv] }
  - { sku: HDMI-1M, quantity: 3, unit_price: "9.99", categories: [electronics/cables] }
`;
  assert.deepEqual(cat.best(yaml), want);
  cat.close();
});

test('one catalog evaluates many contexts in turn, each on its own', () => {
  const cat = Catalog.compile(h.SAVE);
  const small = { now: '2026-03-04T10:00:00Z', currency: 'USD', items: [{ sku: 'A', quantity: 1, unit_price: '1.00' }] };
  for (let i = 0; i < 50; i++) {
    assert.equal(cat.evaluate(h.cartOf(4))[0].applicable, true);
    assert.equal(cat.evaluate(small)[0].applicable, false);
  }
  cat.close();
});

test('amounts keep the currency\'s decimals: JPY has none, KWD three', () => {
  const src = (cur) => `currency: ${cur}\ncode: OFF\ndiscount: { percent: 10 }\n`;
  const jpy = Catalog.compile(src('JPY'));
  const [r] = jpy.evaluate({ now: '2026-03-04T10:00:00Z', currency: 'JPY', items: [{ sku: 'A', quantity: 3, unit_price: '1005' }] });
  assert.equal(r.discount, '302');
  const kwd = Catalog.compile(src('KWD'));
  const [k] = kwd.evaluate({ now: '2026-03-04T10:00:00Z', currency: 'KWD', items: [{ sku: 'A', quantity: 1, unit_price: '1.234' }] });
  assert.equal(k.discount, '0.123');
  const [other] = kwd.evaluate({ now: '2026-03-04T10:00:00Z', currency: 'USD', items: [{ sku: 'A', quantity: 1, unit_price: '1.00' }] });
  assert.deepEqual(other.reasons.map((x) => x.code), ['CURRENCY']);
  jpy.close();
  kwd.close();
});

test('disassemble(): the bytecode listing', () => {
  const cat = Catalog.compile({ source: h.SAVE, name: 'save.yaml' });
  const text = cat.disassemble();
  assert.match(text, /^; save\.yaml: 2 coupons/);
  assert.match(text, /coupon SAVE5 \(line 4\)/);
  cat.close();
});

test('options: limits and the tz directory are per catalog', () => {
  const cat = Catalog.compile(h.SAVE, { limits: { steps: 100000, items: 50, depth: 32 }, tzdir: '/usr/share/zoneinfo' });
  assert.equal(cat.evaluate(h.cartOf(50))[0].applicable, true);
  assert.throws(() => cat.evaluate(h.cartOf(51)), { name: 'ContextError', code: 'limit' });
  const other = Catalog.compile(h.SAVE);
  assert.equal(other.evaluate(h.cartOf(51))[0].applicable, true);
  cat.close();
  other.close();
});

test('close(): idempotent; Symbol.dispose closes too', () => {
  const cat = Catalog.compile(h.SAVE);
  cat.close();
  cat.close();
  if (typeof Symbol.dispose === 'symbol') {
    const other = Catalog.compile(h.SAVE);
    other[Symbol.dispose]();
    assert.throws(() => other.size, /closed/);
  }
});

test('catalogs that are not closed are freed by the garbage collector', async () => {
  const v8 = require('v8');
  const vm = require('vm');
  v8.setFlagsFromString('--expose-gc');
  const gc = vm.runInNewContext('gc');
  for (let i = 0; i < 200; i++) {
    const cat = Catalog.compile(h.SAVE);
    cat.evaluate(h.cartOf(2));
    if (i % 2) cat.close();
  }
  for (let i = 0; i < 5; i++) {
    gc();
    await new Promise((resolve) => setImmediate(resolve));
  }
  const cat = Catalog.compile(h.SAVE);
  assert.equal(cat.evaluate(h.cartOf(2))[0].code, 'SAVE5');
  cat.close();
});

test('currencyExponent', () => {
  assert.equal(couponlib.currencyExponent('USD'), 2);
  assert.equal(couponlib.currencyExponent('JPY'), 0);
  assert.equal(couponlib.currencyExponent('KWD'), 3);
  assert.equal(couponlib.currencyExponent('XXX1'), -1);
  assert.equal(couponlib.currencyExponent('usd'), -1);
  assert.equal(couponlib.currencyExponent('US\0D'), -1);
});

test('formatAmount: exact, with the currency\'s decimals', () => {
  assert.equal(couponlib.formatAmount('12.5', 'USD'), '12.50');
  assert.equal(couponlib.formatAmount('12', 'USD'), '12.00');
  assert.equal(couponlib.formatAmount(12, 'USD'), '12.00');
  assert.equal(couponlib.formatAmount(-3n, 'KWD'), '-3.000');
  assert.equal(couponlib.formatAmount('1005', 'JPY'), '1005');
  assert.equal(couponlib.formatAmount('92233720368547758.07', 'USD'), '92233720368547758.07');
});

test('save() and Catalog.load(): the loaded catalog evaluates exactly as the saved one', () => {
  const cat = Catalog.compileFiles(h.shopYaml);
  const bytes = cat.save();
  assert.ok(Buffer.isBuffer(bytes));
  assert.deepEqual([...bytes.subarray(0, 8)], [0x89, 0x43, 0x4c, 0x50, 0x52, 0x4f, 0x47, 0x0a]);
  for (const data of [bytes, new Uint8Array(bytes)]) {
    const loaded = Catalog.load(data);
    assert.deepEqual(loaded.coupons, cat.coupons);
    for (const name of ['first-order', 'black-friday', 'staff-weekend']) {
      assert.deepEqual(loaded.best(h.cart(name)), cat.best(h.cart(name)));
      assert.deepEqual(loaded.evaluate(h.cart(name), { entered: true }), cat.evaluate(h.cart(name), { entered: true }));
    }
    assert.deepEqual(loaded.save(), bytes, 'saving again gives the same bytes');
    loaded.close();
  }
  const limited = Catalog.load(bytes, { limits: { steps: 2 } });
  assert.throws(() => limited.evaluate(h.cart('first-order')), { name: 'EvaluationError', code: 'steps' });
  limited.close();
  cat.close();
});

test('a linked catalog saves and loads; compileFiles takes saved files beside sources', () => {
  const dir = fs.mkdtempSync(require('path').join(require('os').tmpdir(), 'couponlib-'));
  const linked = Catalog.compile([{ source: h.SAVE, name: 'save.yaml' }, { source: h.SHIP, name: 'ship.yaml' }]);
  fs.writeFileSync(`${dir}/both.clp`, linked.save());
  const back = Catalog.compileFiles(`${dir}/both.clp`);
  assert.deepEqual(back.coupons.map((c) => c.code), ['SAVE5', 'TEN', 'FREESHIP']);
  fs.writeFileSync(`${dir}/ship.clp`, Catalog.compile(h.SHIP).save());
  fs.writeFileSync(`${dir}/save.yaml`, h.SAVE);
  const mixed = Catalog.compileFiles([`${dir}/save.yaml`, `${dir}/ship.clp`]);
  const ctx = h.cartOf(3, { shipping: { amount: '4.99' } });
  assert.deepEqual(mixed.evaluate(ctx), linked.evaluate(ctx));
  [linked, back, mixed].forEach((c) => c.close());
  fs.rmSync(dir, { recursive: true });
});
