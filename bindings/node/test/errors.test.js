// Every error path of the binding: what is thrown, of which class, with
// which code and position.
'use strict';
const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('fs');
const os = require('os');
const path = require('path');
const couponlib = require('..');
const { Catalog, CouponlibError, CompileError, ContextError, EvaluationError } = couponlib;
const h = require('./helpers');

h.collectAtEnd();

const NOW = '2026-03-04T10:00:00Z';

test('the error classes: Error subclasses with a name', () => {
  for (const K of [CompileError, ContextError, couponlib.LoadError, EvaluationError]) {
    assert.ok(K.prototype instanceof CouponlibError);
  }
  assert.ok(CouponlibError.prototype instanceof Error);
  const e = new CompileError('m', { code: 'syntax' });
  assert.equal(e.name, 'CompileError');
  assert.equal(e.code, 'syntax');
  assert.match(String(e), /^CompileError: m/);
});

test('compile error: code, file, line, column, path, detail and a source excerpt', () => {
  const src = 'version: 1\ncurrency: USD\ncoupons:\n  - code: A\n    discont: { amount: "1.00" }\n';
  try {
    Catalog.compile({ source: src, name: 'shop.yaml' });
  } catch (err) {
    assert.ok(err instanceof CompileError && err instanceof CouponlibError && err instanceof Error);
    assert.equal(err.code, 'unknown-key');
    assert.equal(err.status, 5);
    assert.equal(err.file, 'shop.yaml');
    assert.equal(err.line, 5);
    assert.equal(err.column, 5);
    assert.equal(err.path, 'coupons[0].discont');
    assert.match(err.detail, /unknown key "discont"; did you mean "discount"\?/);
    assert.equal(err.message, `shop.yaml:5:5: error[unknown-key]: ${err.detail}`);
    assert.equal(err.excerpt, `${err.message}\n    5 |     discont: { amount: "1.00" }\n      |     ^`);
    assert.ok(err.offset > 0);
    return;
  }
  assert.fail('it compiled');
});

test('compile errors of each kind', () => {
  const cases = [
    ['coupons: [ { code: A', 'syntax', 1],   // the end of the text, on its last line
    ['a\0b', 'syntax', 1],
    ['code: A\n', 'missing', 1],
    ['currency: USD\ncode: A\ndiscount: { amount: "1.005" }\n', 'amount', 3],
    ['currency: QQQ\ncode: A\ndiscount: { amount: "1" }\n', 'currency', 1],
    ['code: A\ndiscount: { amount: "1" }\n', 'currency', 2],
    ['currency: USD\ncode: A\ndiscount: { percent: 120 }\n', 'value', 3],
    ['currency: USD\ncode: A\nwhen: { user.email: { matches: "(" } }\ndiscount: { percent: 1 }\n', 'regex', 3],
    ['currency: USD\ncode: A\ntimezone: Mars/Base\ndiscount: { percent: 1 }\n', 'zone', 3],
    ['currency: USD\ncode: A\nvalid: { from: 2026-13-01 }\ndiscount: { percent: 1 }\n', 'date', 3],
    ['currency: USD\ncoupons:\n  - { code: A, discount: { percent: 1 } }\n  - { code: a, discount: { percent: 1 } }\n', 'duplicate', 4],
    ['currency: USD\ncode: [A]\ndiscount: { percent: 1 }\n', 'type', 2],
  ];
  for (const [src, code, line] of cases) {
    assert.throws(() => Catalog.compile(src), (e) => {
      assert.ok(e instanceof CompileError, `${src}: ${e}`);
      assert.equal(e.code, code, `${JSON.stringify(src)}: ${e.message}`);
      assert.equal(e.line, line, `${JSON.stringify(src)}: ${e.message}`);
      assert.equal(e.file, '<input>');
      return true;
    });
  }
});

test('compile: a limit exceeded is an error with its position', () => {
  assert.throws(() => Catalog.compile(h.SAVE, { limits: { inputBytes: 10 } }),
    { name: 'CompileError', code: 'limit', line: 0 });   // the whole input: no position
  const deep = `currency: USD\ncode: A\nwhen: ${'{ not: '.repeat(40)}{ currency: USD }${' }'.repeat(40)}\ndiscount: { percent: 1 }\n`;
  assert.throws(() => Catalog.compile(deep, { limits: { depth: 8 } }), { name: 'CompileError', code: 'limit' });
  assert.throws(() => Catalog.compile(h.SAVE, { limits: { coupons: 1 } }), { name: 'CompileError', code: 'limit' });
});

test('link error: a code defined in two sources names both places', () => {
  assert.throws(() => Catalog.compile([{ source: h.SAVE, name: 'a.yaml' }, { source: h.SAVE, name: 'b.yaml' }]), (e) => {
    assert.ok(e instanceof CompileError);
    assert.equal(e.code, 'duplicate');
    assert.equal(e.file, 'b.yaml');
    assert.deepEqual([e.line, e.column], [4, 5]);
    assert.match(e.detail, /SAVE5 \(also defined at a\.yaml:4:5\)/);
    assert.match(e.excerpt, /\n {4}4 \| {3}- code: SAVE5\n/);
    return true;
  });
});

test('unnamed sources are numbered when there are several', () => {
  assert.throws(() => Catalog.compile([h.SHIP, h.SAVE, h.SAVE]), (e) => {
    assert.equal(e.file, '<input 3>');
    assert.match(e.detail, /also defined at <input 2>:4:5/);
    return true;
  });
  assert.throws(() => Catalog.compile([h.SAVE, 'code: [']), { name: 'CompileError', file: '<input 2>' });
});

test('compileFiles: an unreadable file, a file that is no coupon document', () => {
  assert.throws(() => Catalog.compileFiles('/nonexistent/shop.yaml'),
    { name: 'CompileError', code: 'io', file: '/nonexistent/shop.yaml', line: 0 });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'couponlib-'));
  const bad = path.join(dir, 'bad.yaml');
  fs.writeFileSync(bad, 'just text\n');
  assert.throws(() => Catalog.compileFiles([h.shopYaml, bad]), (e) => {
    assert.equal(e.code, 'type');
    assert.equal(e.file, bad);
    assert.match(e.excerpt, /1 \| just text/);
    return true;
  });
  const dup = path.join(dir, 'dup.yaml');
  fs.copyFileSync(h.shopYaml, dup);
  assert.throws(() => Catalog.compileFiles([h.shopYaml, dup]), (e) => {
    assert.equal(e.code, 'duplicate');
    assert.equal(e.file, dup);
    assert.match(e.excerpt, /\| {3}- code: WELCOME10/);
    return true;
  });
  fs.rmSync(dir, { recursive: true });
});

test('context errors: code, path, and the position in the text given', () => {
  const cat = Catalog.compile(h.SAVE);
  const cases = [
    ['{', 'syntax', ''],
    ['', 'syntax', ''],
    ['[1, 2]', 'type', ''],
    ['now: [\n', 'syntax', ''],
    [{ now: NOW, items: [] }, 'missing', ''],
    [{ now: 'yesterday', currency: 'USD', items: [] }, 'date', 'now'],
    [{ now: NOW, currency: 'XYZ', items: [] }, 'currency', 'currency'],
    [{ now: NOW, currency: 'USD', timezone: 'Mars/Base', items: [] }, 'zone', 'timezone'],
    [{ now: NOW, currency: 'USD', items: [], bogus: 1 }, 'unknown-key', ''],
    [{ now: NOW, currency: 'USD', items: [{ sku: 'A', quantity: 0, unit_price: '1' }] }, 'value', 'items[0].quantity'],
    [{ now: NOW, currency: 'USD', items: [{ sku: 'A', quantity: 1, unit_price: '1.001' }] }, 'amount', 'items[0].unit_price'],
    [{ now: NOW, currency: 'USD', items: [{ sku: 'A', quantity: 4e15, unit_price: '100000' }] }, 'overflow', 'items[0]'],
    [{ now: NOW, currency: 'USD', items: {} }, 'type', 'items'],
  ];
  for (const [ctx, code, where] of cases) {
    assert.throws(() => cat.evaluate(ctx), (e) => {
      assert.ok(e instanceof ContextError, `${JSON.stringify(ctx)}: ${e}`);
      assert.equal(e.code, code, `${JSON.stringify(ctx)}: ${e.message}`);
      assert.equal(e.path, where, `${JSON.stringify(ctx)}: ${e.message}`);
      assert.equal(e.file, '<context>');
      assert.ok(e.line >= 1 && e.column >= 1);
      return true;
    });
    assert.throws(() => cat.best(ctx), ContextError);
  }
  assert.throws(() => cat.evaluate('now: "2026-03-04T10:00:00Z"\ncurrency: USD\nitems:\n  - { sku: A, quantity: 1, unit_price: "x" }\n'),
    { name: 'ContextError', code: 'amount', line: 4, column: 40, path: 'items[0].unit_price' });
  assert.throws(() => Catalog.compile(h.SAVE, { limits: { items: 2 } }).evaluate(h.cartOf(3)),
    { name: 'ContextError', code: 'limit' });
  // The catalog is still good after a failed context.
  assert.equal(cat.evaluate(h.cartOf(2))[0].applicable, true);
  cat.close();
});

test('evaluation errors: the step budget', () => {
  const cat = Catalog.compile(h.SAVE, { limits: { steps: 2 } });
  for (const call of [() => cat.evaluate(h.cartOf(1)), () => cat.best(h.cartOf(1))]) {
    assert.throws(call, (e) => {
      assert.ok(e instanceof EvaluationError);
      assert.equal(e.code, 'steps');
      // the coupon that ran out, at its definition
      assert.match(e.message, /evaluation exceeded its budget of 2 steps \(coupon \w+\)/);
      assert.ok(e.line > 0);
      return true;
    });
  }
  cat.close();
});

test('a closed catalog throws on every call', () => {
  const cat = Catalog.compile(h.SAVE);
  cat.close();
  for (const call of [() => cat.size, () => cat.coupons, () => cat.coupon('SAVE5'),
    () => cat.evaluate(h.cartOf(1)), () => cat.best(h.cartOf(1)), () => cat.disassemble(),
    () => cat.save()]) {
    assert.throws(call, { message: 'couponlib: this catalog is closed' });
  }
});

test('bad arguments are TypeErrors and RangeErrors', () => {
  const cat = Catalog.compile(h.SAVE);
  const types = [
    () => new Catalog(),
    () => Catalog.compile(),
    () => Catalog.compile(42),
    () => Catalog.compile([]),
    () => Catalog.compile([h.SAVE, null]),
    () => Catalog.compile({ source: h.SAVE, name: 7 }),
    () => Catalog.compile({ name: 'x.yaml' }),
    () => Catalog.compile(h.SAVE, null),
    () => Catalog.compile(h.SAVE, []),
    () => Catalog.compile(h.SAVE, { color: 'red' }),
    () => Catalog.compile(h.SAVE, { limits: 5 }),
    () => Catalog.compile(h.SAVE, { limits: { speed: 5 } }),
    () => Catalog.compile(h.SAVE, { tzdir: 5 }),
    () => Catalog.compile(h.SAVE, { tzdir: '' }),
    () => Catalog.compileFiles([]),
    () => Catalog.compileFiles(['']),
    () => Catalog.compileFiles([7]),
    () => Catalog.compileFiles('a\0b'),
    () => cat.evaluate(),
    () => cat.evaluate(null),
    () => cat.evaluate(42),
    () => cat.evaluate([]),
    () => cat.evaluate({ now: NOW, currency: 'USD', items: [], big: 1n }),
    () => cat.evaluate(h.cartOf(1), { entered: 'yes' }),
    () => cat.evaluate(h.cartOf(1), { only: 'SAVE5' }),
    () => cat.evaluate(h.cartOf(1), { only: [5] }),
    () => cat.evaluate(h.cartOf(1), { codes: [] }),
    () => cat.best(undefined),
    () => cat.coupon(5),
    () => couponlib.currencyExponent(5),
    () => couponlib.formatAmount(1.5, 'USD'),
    () => couponlib.formatAmount(null, 'USD'),
    () => couponlib.formatAmount('1', 5),
    () => couponlib.formatAmount('1', 'US\0D'),
  ];
  types.forEach((call, i) => assert.throws(call, TypeError, `call ${i}`));
  const cyclic = { now: NOW, currency: 'USD', items: [] };
  cyclic.self = cyclic;
  assert.throws(() => cat.evaluate(cyclic), /cannot be written as JSON/);
  assert.throws(() => cat.evaluate(h.cartOf(1), { only: ['NOPE'] }), RangeError);
  assert.throws(() => cat.evaluate(h.cartOf(1), { only: ['SAVE5\0'] }), RangeError);
  assert.throws(() => Catalog.compile(h.SAVE, { limits: { steps: 0 } }), RangeError);
  assert.throws(() => Catalog.compile(h.SAVE, { limits: { steps: 1.5 } }), RangeError);
  assert.throws(() => Catalog.compile(h.SAVE, { limits: { steps: -1 } }), RangeError);
  cat.close();
});

test('formatAmount errors carry the library\'s code', () => {
  const cases = [['abc', 'USD', 'amount'], ['1.005', 'USD', 'amount'], ['1', 'XYZ', 'currency'],
    ['999999999999999999999', 'USD', 'overflow'], ['', 'USD', 'amount']];
  for (const [text, cur, code] of cases) {
    assert.throws(() => couponlib.formatAmount(text, cur), (e) => {
      assert.ok(e instanceof CouponlibError);
      assert.equal(e.code, code);
      assert.match(e.message, new RegExp(`is not an amount of ${cur}`));
      return true;
    });
  }
});

test('the native layer refuses what it cannot convert', () => {
  // Not part of the API, but it must fail cleanly, never crash.
  const native = require(process.env.COUPONLIB_NODE_ADDON
    ? path.resolve(process.env.COUPONLIB_NODE_ADDON)
    : path.join(__dirname, '..', 'build', 'Release', 'couponlib_native.node'));
  const env = native.clnode_env_new();
  const err = new native.cl_error();
  assert.throws(() => native.cl_compile(env, 42, 'x', err), /expected a string, a Buffer or null/);
  assert.throws(() => native.cl_program_link(env, 'nope', err), /expected an array of programs/);
  assert.throws(() => native.cl_program_link(env, [env], err), /expected an array of programs/);
  assert.throws(() => native.cl_program_link(env, [null], err), /expected an array of programs/);
  const prog = native.cl_compile(env, h.SAVE, 'x', err);
  const vm = native.cl_vm_new(env);
  const ctx = native.cl_context_new(env);
  assert.throws(() => native.clnode_eval_some(vm, prog, ctx, [-1], 0, err), /coupon indexes/);
  assert.throws(() => native.clnode_eval_some(vm, prog, ctx, 'x', 0, err), /coupon indexes/);
  assert.equal(native.clnode_eval_some(vm, prog, ctx, [9], 0, err), null);
  assert.equal(native.cl_status_name(err.code), 'invalid-argument');
  assert.equal(native.cl_context_parse(ctx, JSON.stringify(h.cartOf(1)), err), 0);
  assert.equal(native.clnode_eval_some(vm, prog, ctx, [9], 0, err), null);
  assert.equal(native.cl_status_name(err.code), 'range');
  assert.equal(native.clnode_eval(null, prog, ctx, 0, err), null);
  assert.equal(native.cl_status_name(err.code), 'invalid-argument');
  assert.throws(() => native.clnode_result_json(null), /bad argument/);
  assert.throws(() => native.clnode_program_disasm(null), /bad argument/);
  assert.throws(() => native.clnode_program_save(null), /bad argument/);
  assert.equal(native.cl_program_load(env, null, err), null);
  assert.equal(native.cl_status_name(err.code), 'format');
  const empty = native.cl_compile(env, null, 'x', err);
  assert.equal(native.cl_program_count(empty), 0);
  native.cl_program_free(empty);
  native.cl_program_free(prog);
  native.cl_vm_free(vm);
  native.cl_context_free(ctx);
  native.cl_env_free(env);
});

test('load errors: a corrupted, truncated or foreign blob is a LoadError, never a crash', () => {
  const bytes = Catalog.compile(h.SAVE).save();
  const { LoadError } = couponlib;
  const fails = (data) => {
    try {
      Catalog.load(data).close();
    } catch (e) {
      assert.ok(e instanceof LoadError, String(e));
      assert.ok(['format', 'verify', 'limit'].includes(e.code), e.message);
      return e;
    }
    return null;
  };
  let caught = 0;
  for (let i = 0; i < bytes.length; i++) {
    const flipped = Buffer.from(bytes);
    flipped[i] ^= 0x5a;
    if (fails(flipped)) caught++;
    assert.ok(fails(bytes.subarray(0, i)), `truncated at ${i}`);
  }
  assert.equal(caught, bytes.length, 'the checksum covers every byte');
  const e = fails(Buffer.from('version: 1\n'));
  assert.equal(e.code, 'format');
  assert.equal(e.offset, 0);
  assert.match(e.message, /bad magic/);
  const corrupt = Buffer.from(bytes);
  corrupt[bytes.length - 1] ^= 1;
  assert.match(fails(corrupt).message, /checksum/);
  assert.throws(() => Catalog.load('a string'), TypeError);
  assert.throws(() => Catalog.load(), TypeError);
  assert.throws(() => Catalog.load(bytes, { limits: { nope: 1 } }), TypeError);
  assert.throws(() => Catalog.load(bytes, { limits: { coupons: 1 } }), { name: 'LoadError', code: 'limit' });
});

test('compileFiles names the file of a saved catalog that does not load', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'couponlib-'));
  const bytes = Catalog.compile(h.SAVE).save();
  bytes[bytes.length - 1] ^= 1;
  fs.writeFileSync(path.join(dir, 'bad.clp'), bytes);
  assert.throws(() => Catalog.compileFiles(path.join(dir, 'bad.clp')), (e) => {
    assert.ok(e instanceof couponlib.LoadError);
    assert.equal(e.file, path.join(dir, 'bad.clp'));
    assert.match(e.message, /^\/.*bad\.clp: saved program: checksum mismatch/);
    return true;
  });
  fs.rmSync(dir, { recursive: true });
});
