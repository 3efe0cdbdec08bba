// Coupon test files (SPEC section 7) through the binding: the project's own
// (tests/cases), the shared conformance files when ../shared is there, and
// the runner's own checks that it notices every kind of mismatch.
'use strict';
const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('fs');
const path = require('path');
const { loadTestFile, MalformedTestFile } = require('./lib/testfile');
const h = require('./helpers');

h.collectAtEnd();

function testFiles(dir) {
  return fs.readdirSync(dir).filter((f) => f.endsWith('.test.yaml')).sort().map((f) => path.join(dir, f));
}

// One test per file, one subtest per case.
function runFiles(title, files) {
  test(title, async (t) => {
    assert.ok(files.length > 0, 'no test files');
    for (const file of files) {
      await t.test(path.basename(file), async (tf) => {
        const suite = loadTestFile(file);
        assert.ok(suite.cases.length > 0, `${file} has no cases`);
        try {
          for (const c of suite.cases) await tf.test(c.name, () => c.run());
        } finally {
          suite.close();
        }
      });
    }
  });
}

runFiles('the project\'s coupon test files', testFiles(path.join(h.root, 'tests', 'cases')));

const conformance = process.env.COUPONLIB_CONFORMANCE ||
  path.join(h.root, '..', 'shared', 'conformance');
if (fs.existsSync(conformance)) {
  runFiles('the shared conformance files', testFiles(conformance));
}

const fixtures = path.join(__dirname, 'fixtures');

test('the runner passes a file whose expectations hold (as couponc test does)', () => {
  const suite = loadTestFile(path.join(fixtures, 'right.test.yaml'));
  assert.equal(suite.cases.length, 4);
  for (const c of suite.cases) c.run();
  suite.close();
});

test('the runner notices every kind of wrong expectation', () => {
  const suite = loadTestFile(path.join(fixtures, 'wrong.test.yaml'));
  const failures = suite.cases.map((c) => {
    try {
      c.run();
      return null;
    } catch (e) {
      assert.ok(e instanceof assert.AssertionError);
      return e.message;
    }
  });
  suite.close();
  assert.deepEqual(failures.map((f) => f === null), [false, false, false, false, false, false]);
  const [compiles, other, amounts, notThere, otherCtx, unparsed] = failures;
  assert.equal(compiles, 'expected a compile error, but it compiled');
  for (const what of ['error code: expected syntax, got unknown-key', 'error line: expected 9, got 3',
    'error column: expected 9, got 1', 'error message: expected to contain "nothing like it"',
    'error path: expected x, got discont']) {
    assert.ok(other.includes(what), `${what} in ${other}`);
  }
  for (const what of ['SAVE5.applicable: expected false, got true', 'SAVE5.discount: expected 4.00, got 5.00',
    'SAVE5.shipping_discount: expected 1.00, got 0.00', 'TEN.reasons: expected CATEGORY, got []',
    'TEN.lines[0].index: expected 1, got 0', 'TEN.lines[0]: expected 9.99, got 3.00',
    'TEN.lines[0].sku: expected OTHER, got NOVEL', 'NOPE: no such coupon',
    'best.coupons: expected a different choice, got [SAVE5]', 'best.discount: expected 1, got 5.00',
    'best.shipping_discount: expected 1.00, got 0.00', 'best.subtotal: expected 1.00, got 30.00',
    'best.shipping: expected 1.00, got 0.00', 'best.total: expected 1.00, got 25.00',
    'best.rejected: SAVE5 is not rejected']) {
    assert.ok(amounts.includes(what), `${what} in ${amounts}`);
  }
  assert.equal(notThere, 'context: expected an error, but it parsed');
  assert.match(otherCtx, /error code: expected syntax, got unknown-key/);
  assert.match(otherCtx, /error line: expected 1, got 19/);
  assert.match(unparsed, /^context:23:12: expected an RFC 3339 instant .* \(at now\)$/);
});

test('the runner refuses a malformed test file, with its position', () => {
  assert.throws(() => loadTestFile(path.join(fixtures, 'malformed.test.yaml')), (e) => {
    assert.ok(e instanceof MalformedTestFile);
    assert.match(e.message, /malformed\.test\.yaml:5:5: error: unknown key "expected"$/);
    return true;
  });
});
