// The examples: the README's (examples/quickstart.js) runs as shown, and the
// TypeScript one type-checks against index.d.ts under --strict, runs, and
// mistakes in typed code are caught.
'use strict';
const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { execFileSync, spawnSync } = require('child_process');
const couponlib = require('..');
const h = require('./helpers');

h.collectAtEnd();

const pkg = path.join(__dirname, '..');

// A scratch project where `couponlib` resolves to this package.
function project() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'couponlib-ts-'));
  fs.mkdirSync(path.join(dir, 'node_modules'));
  fs.symlinkSync(pkg, path.join(dir, 'node_modules', 'couponlib'), 'dir');
  return dir;
}

function typescript() {
  const found = (process.env.NODE_PATH || '').split(path.delimiter)
    .map((d) => path.join(d, 'typescript', 'bin', 'tsc')).find((f) => f && fs.existsSync(f));
  assert.ok(found, 'typescript is not installed (scripts/deps.sh node)');
  const types = path.join(path.dirname(path.dirname(path.dirname(found))), '@types');
  return { tsc: found, types };
}

// skipLibCheck: false checks index.d.ts itself too (and @types/node: slow).
function tsconfig(dir, types, files, skipLibCheck) {
  fs.writeFileSync(path.join(dir, 'tsconfig.json'), JSON.stringify({
    compilerOptions: {
      strict: true, target: 'es2022', module: 'commonjs', moduleResolution: 'node',
      esModuleInterop: true, outDir: 'out', typeRoots: [types], types: ['node'],
      noUnusedLocals: true, skipLibCheck,
    },
    files,
  }));
}

// The environment of a child node that runs no code of ours (tsc), or code
// that leaves its catalog to the process's exit (the README example).
function plainEnv() {
  const env = { ...process.env };
  delete env.LD_PRELOAD;
  return env;
}
function noLeakCheckEnv() {
  return { ...process.env, ASAN_OPTIONS: `${process.env.ASAN_OPTIONS || ''}:detect_leaks=0` };
}

function tsc(dir) {
  const { tsc: bin } = typescript();
  return spawnSync(process.execPath, [bin, '-p', dir], { cwd: dir, encoding: 'utf8', env: plainEnv() });
}

test('the README example prints what the README says', () => {
  const dir = project();
  fs.copyFileSync(path.join(pkg, 'examples', 'quickstart.js'), path.join(dir, 'quickstart.js'));
  const out = execFileSync(process.execPath, [path.join(dir, 'quickstart.js')],
    { encoding: 'utf8', env: noLeakCheckEnv() });
  const shown = /^\/\/ (\[.*)$/m.exec(fs.readFileSync(path.join(dir, 'quickstart.js'), 'utf8'))[1];
  assert.equal(out.trim(), shown);
  fs.rmSync(dir, { recursive: true });
});

test('the TypeScript example type-checks with --strict and runs', () => {
  const { types } = typescript();
  const dir = project();
  fs.copyFileSync(path.join(pkg, 'examples', 'checkout.ts'), path.join(dir, 'checkout.ts'));
  tsconfig(dir, types, ['checkout.ts'], false);
  const r = tsc(dir);
  assert.equal(r.status, 0, r.stdout + r.stderr);
  const out = execFileSync(process.execPath, [path.join(dir, 'out', 'checkout.js')], { encoding: 'utf8' });
  assert.equal(out, [
    'not applied: BOGUS (UNKNOWN_CODE)',
    'applied FIVER + SPRING15: -11.14, total 34.76',
    'restored 2 coupons: SPRING15, FIVER',
    'FIVER alone: 5.00',
    'not applied: BOGUS (UNKNOWN_CODE)',
    'prepared: -11.14 on 2 lines in EUR, FIVER 5.00',
    'unknown-key at 3:13',
    'currency at currency',
    '3 past orders: 2 discounted, cost 16.14; FIVER alone 3 times, won 2',
    'median cost of a discounted order: 5.00',
    '',
  ].join('\n'));
  fs.rmSync(dir, { recursive: true });
});

test('type errors in code using the binding are caught', () => {
  const { types } = typescript();
  const dir = project();
  fs.writeFileSync(path.join(dir, 'wrong.ts'), `
import { Catalog, Context, type ContextObject } from 'couponlib';
const c = Catalog.compile('code: A', { limits: { stepz: 5 } });
const ctx: ContextObject = { now: '2026-01-01T00:00:00Z', currency: 'USD', items: [{ sku: 'A', quantity: 1 }] };
const cents: number = c.best(ctx).discount;
c.evaluate(ctx, { entered: 'yes' });
new Catalog();
const cost: number = c.simulate([ctx], { strict: true }).best!.cost;
const prepared = new Context(5);
export { cents, cost, prepared };
`);
  tsconfig(dir, types, ['wrong.ts'], true);
  const r = tsc(dir);
  assert.notEqual(r.status, 0);
  const lines = r.stdout.split('\n').filter((l) => l.startsWith('wrong.ts('));
  const at = lines.map((l) => /^wrong\.ts\((\d+),\d+\): error (TS\d+)/.exec(l).slice(1, 3).join(' '));
  assert.deepEqual(at, ['3 TS2561', '4 TS2741', '5 TS2322', '6 TS2322', '7 TS2673', '8 TS2322', '9 TS2345'], r.stdout);
  fs.rmSync(dir, { recursive: true });
});

test('index.d.ts names every reason code and status of the library', () => {
  const dts = fs.readFileSync(path.join(pkg, 'index.d.ts'), 'utf8');
  const union = (name) => {
    const m = new RegExp(`export type ${name} =([^;]*);`).exec(dts);
    return [...m[1].matchAll(/'([^']+)'/g)].map((x) => x[1]);
  };
  assert.deepEqual(union('ReasonCode'), [...couponlib.reasonCodes]);
  const statuses = [];
  const probe = (code) => {
    try {
      couponlib.formatAmount(code, 'USD');
    } catch (e) {
      return e.code;
    }
    return 'ok';
  };
  statuses.push(probe('1'), probe('x'));
  for (const s of statuses) assert.ok(union('ErrorCode').includes(s), s);
  assert.equal(union('ErrorCode').length, 21);
});
