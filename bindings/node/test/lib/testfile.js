// Coupon test files (SPEC section 7) run through the Node binding, with the
// semantics of `couponc test` (src/cli/cmd_test.c) and its extensions
// (docs/testing.md): per-code `expect`, `best`, `context_error` and
// `compile_errors`.
//
//   const file = loadTestFile(path);  // parses it; throws when it is malformed
//   for (const c of file.cases) c.run();  // throws an AssertionError listing what differs
//   file.close();
//
// loadTestFile(path, { prepared: true }) runs every case on a prepared
// couponlib.Context made of its text (one per case, evaluated and closed),
// with the same expectations, errors included. A case of `cases` also
// carries its context's text (c.context) for comparisons of its own.
//
// The test file is read with the `yaml` package (failsafe schema: every
// scalar is text, as the library's own loader sees it). A case's context is
// handed to the library as the YAML text it was written in, padded so that
// its line and column numbers are those of the test file.
'use strict';

const assert = require('assert');
const fs = require('fs');
const path = require('path');
const YAML = require('yaml');
const couponlib = require('../..');

const FILE_KEYS = ['coupons', 'cases', 'compile_errors'];
const CASE_KEYS = ['name', 'context', 'expect', 'best', 'context_error'];
const EXPECT_KEYS = ['applicable', 'discount', 'shipping_discount', 'reasons', 'lines'];
const BEST_KEYS = ['coupons', 'discount', 'shipping_discount', 'subtotal', 'shipping', 'total',
  'rejected'];
const COMPILE_ERROR_KEYS = ['name', 'source', 'error'];

class MalformedTestFile extends Error {}

function loadTestFile(file, { prepared = false } = {}) {
  const text = fs.readFileSync(file, 'utf8');
  const lines = new YAML.LineCounter();
  const doc = YAML.parseDocument(text, { schema: 'failsafe', lineCounter: lines, prettyErrors: false });
  const where = (node) => {
    if (!node || !node.range) return file;
    const p = lines.linePos(node.range[0]);
    return `${file}:${p.line}:${p.col}`;
  };
  const bad = (node, message) => new MalformedTestFile(`${where(node)}: error: ${message}`);
  if (doc.errors.length > 0) throw bad(null, doc.errors[0].message);
  const root = doc.contents;
  const keysOk = (map, keys) => {
    if (!YAML.isMap(map)) throw bad(map, 'expected a mapping');
    for (const pair of map.items) {
      if (!keys.includes(String(pair.key.value))) {
        throw bad(pair.key, `unknown key "${pair.key.value}"`);
      }
    }
  };
  keysOk(root, FILE_KEYS);
  const resolve = (node) => (YAML.isAlias(node) ? node.resolve(doc) : node);

  // The context of a case as the text it was written in, at its place; as
  // JSON when that text does not stand alone (an alias or a merge key
  // refers to an anchor elsewhere in the file).
  // Returns { text, value }: the text for the library, and the context's
  // value (for its currency).
  let merged = null;   // the file read with aliases and merge keys resolved, when needed
  const contextSource = (node, index) => {
    const n = resolve(node);
    const p = lines.linePos(n.range[0]);
    const own = text.slice(n.range[0], n.range[1]);
    if (!/(^|[\s,{[])[*&]|<</.test(own)) {
      return { text: '\n'.repeat(p.line - 1) + ' '.repeat(p.col - 1) + own, value: n.toJSON() };
    }
    if (merged === null) merged = YAML.parse(text, { merge: true });
    const value = merged.cases[index].context;
    return { text: JSON.stringify(value), value };
  };

  const out = { file, cases: [], catalog: null, close() {
    if (this.catalog) this.catalog.close();
  } };

  const errors = root.get('compile_errors', true);
  if (errors !== undefined) {
    if (!YAML.isSeq(errors)) throw bad(errors, 'compile_errors: expected a list');
    errors.items.forEach((c, i) => {
      keysOk(c, COMPILE_ERROR_KEYS);
      const src = c.get('source', true);
      const want = c.get('error', true);
      if (!YAML.isScalar(src) || !YAML.isMap(want)) {
        throw bad(c, 'a compile error case needs source (text) and error (a mapping)');
      }
      out.cases.push({
        name: c.get('name') || `compile error ${i + 1}`,
        run() {
          const notes = [];
          let error = null;
          try {
            couponlib.Catalog.compile({ source: src.value, name: '<source>' }).close();
          } catch (e) {
            if (!(e instanceof couponlib.CompileError)) throw e;
            error = e;
          }
          if (error === null) notes.push('expected a compile error, but it compiled');
          else compareError(notes, want.toJSON(), error);
          verdict(notes);
        },
      });
    });
  }

  const coupons = root.get('coupons', true);
  const cases = root.get('cases', true);
  if (cases !== undefined && coupons === undefined) throw bad(root, 'cases need coupons');
  if (coupons !== undefined) {
    const names = YAML.isSeq(coupons) ? coupons.items : [coupons];
    const paths = names.map((n) => {
      if (!YAML.isScalar(n)) throw bad(n, 'coupons: expected file names');
      return path.resolve(path.dirname(file), n.value);
    });
    out.catalog = couponlib.Catalog.compileFiles(paths);
  }
  if (cases !== undefined) {
    if (!YAML.isSeq(cases)) throw bad(cases, 'cases: expected a list');
    cases.items.forEach((c, i) => {
      keysOk(c, CASE_KEYS);
      const context = c.get('context', true);
      if (context === undefined) throw bad(c, 'a case needs a context');
      const expect = c.get('expect', true);
      const best = c.get('best', true);
      if (expect !== undefined && !YAML.isMap(expect)) {
        throw bad(expect, 'expect: expected a mapping of codes');
      }
      if (expect !== undefined) expect.items.forEach((pair) => keysOk(pair.value, EXPECT_KEYS));
      if (best !== undefined) keysOk(best, BEST_KEYS);
      const contextError = c.get('context_error', true);
      const { text: ctxText, value: ctxValue } = contextSource(context, i);
      const currency = ctxValue && typeof ctxValue.currency === 'string' ? ctxValue.currency : '';
      out.cases.push({
        name: c.get('name') || `case ${i + 1}`,
        context: ctxText,
        run() {
          runCase(out.catalog, ctxText, currency, {
            prepared,
            expect: expect && expect.toJSON(),
            best: best && best.toJSON(),
            contextError: contextError && contextError.toJSON(),
          });
        },
      });
    });
  }
  return out;
}

// ---------------------------------------------------------------------------
// One case
// ---------------------------------------------------------------------------

function runCase(catalog, text, currency, { prepared, expect, best, contextError }) {
  const notes = [];
  const evaluate = (fn) => {
    try {
      return fn();
    } catch (e) {
      if (!(e instanceof couponlib.CouponlibError)) throw e;
      return e;
    }
  };
  // The context: the text itself, or a Context made of it (whose
  // ContextError, thrown by the constructor, is the case's).
  let ctx = text;
  let failure = null;
  if (prepared) {
    try {
      ctx = new couponlib.Context(text);
    } catch (e) {
      failure = e;
    }
  }
  const on = (method) => {
    if (failure !== null) throw failure;
    return catalog[method](ctx);
  };
  try {
    return runCaseOn(on, currency, { expect, best, contextError }, notes, evaluate);
  } finally {
    if (ctx instanceof couponlib.Context) ctx.close();
  }
}

function runCaseOn(on, currency, { expect, best, contextError }, notes, evaluate) {
  if (contextError) {
    const r = evaluate(() => on('evaluate'));
    if (!(r instanceof couponlib.ContextError)) notes.push('context: expected an error, but it parsed');
    else compareError(notes, contextError, r);
    return verdict(notes);
  }
  if (expect) {
    const r = evaluate(() => on('evaluate'));
    if (r instanceof couponlib.ContextError) {
      notes.push(`context:${r.line}:${r.column}: ${r.detail} (at ${r.path})`);
      return verdict(notes);
    }
    if (r instanceof Error) notes.push(`eval failed: ${r.detail}`);
    else compareExpect(notes, expect, r, currency);
  }
  if (best) {
    const r = evaluate(() => on('best'));
    if (r instanceof couponlib.ContextError) {
      notes.push(`context:${r.line}:${r.column}: ${r.detail} (at ${r.path})`);
      return verdict(notes);
    }
    if (r instanceof Error) notes.push(`best failed: ${r.detail}`);
    else compareBest(notes, best, r, currency);
  }
  if (!expect && !best) {
    // A case with a context only: it must at least parse.
    const r = evaluate(() => on('evaluate'));
    if (r instanceof Error) notes.push(`context:${r.line}:${r.column}: ${r.detail} (at ${r.path})`);
  }
  return verdict(notes);
}

function verdict(notes) {
  if (notes.length > 0) {
    throw new assert.AssertionError({ message: notes.join('\n'), operator: 'couponlib test' });
  }
}

// ---------------------------------------------------------------------------
// Comparisons, as couponc test makes them
// ---------------------------------------------------------------------------

function compareAmount(notes, what, want, got, currency) {
  let w;
  try {
    w = typeof want === 'string' ? couponlib.formatAmount(want, currency) : null;
  } catch {
    w = null;
  }
  if (w === null) {
    notes.push(`${what}: expected amount "${typeof want === 'string' ? want : '?'}" is not an amount of ${currency}`);
  } else if (w !== got) {
    notes.push(`${what}: expected ${want}, got ${got}`);
  }
}

function compareBool(notes, what, want, got) {
  if (want !== 'true' && want !== 'false') notes.push(`${what}: expected true or false in the test`);
  else if ((want === 'true') !== got) notes.push(`${what}: expected ${want}, got ${got}`);
}

const sameCode = (a, b) => a.toLowerCase() === b.toLowerCase();

function compareReasons(notes, code, want, result) {
  if (!Array.isArray(want)) {
    notes.push(`${code}.reasons: expected a list in the test`);
    return;
  }
  for (const w of want) {
    const wc = typeof w === 'object' && w !== null ? w.code : w;
    const wm = typeof w === 'object' && w !== null ? w.message : undefined;
    const wl = typeof w === 'object' && w !== null ? w.line : undefined;
    const found = result.reasons.some((r) => r.code === wc &&
      (wm === undefined || r.message.includes(wm)) &&
      (wl === undefined || Number(wl) === (r.line || 0)));
    if (!found) {
      const got = result.reasons.map((r) => `${r.code} ("${r.message}", line ${r.line || 0})`).join(', ');
      notes.push(`${code}.reasons: expected ${wc}${wm !== undefined ? ` with message containing ${wm}` : ''}, got [${got}]`);
    }
  }
}

function compareLines(notes, code, want, result, currency) {
  if (!Array.isArray(want)) {
    notes.push(`${code}.lines: expected a list in the test`);
    return;
  }
  if (want.length !== result.lines.length) {
    notes.push(`${code}.lines: expected ${want.length} lines, got ${result.lines.length}`);
    return;
  }
  want.forEach((w, k) => {
    const got = result.lines[k];
    const what = `${code}.lines[${k}]`;
    if (w.index !== undefined && Number(w.index) !== got.index) {
      notes.push(`${what}.index: expected ${w.index}, got ${got.index}`);
    }
    if (w.discount !== undefined) compareAmount(notes, what, w.discount, got.discount, currency);
    if (w.sku !== undefined && w.sku !== got.sku) notes.push(`${what}.sku: expected ${w.sku}, got ${got.sku}`);
  });
}

function compareExpect(notes, expect, results, currency) {
  for (const [code, w] of Object.entries(expect)) {
    const r = results.find((x) => sameCode(x.code, code));
    if (r === undefined) {
      notes.push(`${code}: no such coupon`);
      continue;
    }
    if (w.applicable !== undefined) compareBool(notes, `${code}.applicable`, w.applicable, r.applicable);
    if (w.discount !== undefined) compareAmount(notes, `${code}.discount`, w.discount, r.discount, currency);
    if (w.shipping_discount !== undefined) {
      compareAmount(notes, `${code}.shipping_discount`, w.shipping_discount, r.shipping_discount, currency);
    }
    if (w.reasons !== undefined) compareReasons(notes, code, w.reasons, r);
    if (w.lines !== undefined) compareLines(notes, code, w.lines, r, currency);
  }
}

function compareBest(notes, best, r, currency) {
  if (best.coupons !== undefined) {
    const same = Array.isArray(best.coupons) && best.coupons.length === r.coupons.length &&
      best.coupons.every((c, i) => typeof c === 'string' && sameCode(c, r.coupons[i]));
    if (!same) notes.push(`best.coupons: expected a different choice, got [${r.coupons.join(', ')}]`);
  }
  for (const key of ['discount', 'shipping_discount', 'subtotal', 'shipping', 'total']) {
    if (best[key] !== undefined) compareAmount(notes, `best.${key}`, best[key], r[key], currency);
  }
  if (Array.isArray(best.rejected)) {
    for (const code of best.rejected) {
      if (!r.rejected.some((x) => sameCode(x.code, code))) notes.push(`best.rejected: ${code} is not rejected`);
    }
  }
}

function compareError(notes, want, err) {
  if (want.code !== undefined && want.code !== err.code) {
    notes.push(`error code: expected ${want.code}, got ${err.code} (${err.detail})`);
  }
  if (want.line !== undefined && Number(want.line) !== err.line) {
    notes.push(`error line: expected ${want.line}, got ${err.line} (${err.detail})`);
  }
  if (want.column !== undefined && Number(want.column) !== err.column) {
    notes.push(`error column: expected ${want.column}, got ${err.column} (${err.detail})`);
  }
  if (want.message !== undefined && !err.detail.includes(want.message)) {
    notes.push(`error message: expected to contain "${want.message}", got "${err.detail}"`);
  }
  if (want.path !== undefined && want.path !== err.path) {
    notes.push(`error path: expected ${want.path}, got ${err.path}`);
  }
}

module.exports = { loadTestFile, MalformedTestFile };
