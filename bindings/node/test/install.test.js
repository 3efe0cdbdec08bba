// `npm install path/to/bindings/node` from a fresh directory, offline, as a
// user does it: npm runs tools/build.js, node-gyp builds the addon against
// this Node's headers, and the README example runs on that addon (not on
// the one meson built). The checkout is copied first (src/, include/,
// data/, scripts/embed_calendars.py, bindings/node/ without its build), so
// nothing is written into it.
'use strict';
const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawnSync } = require('child_process');
const h = require('./helpers');

const pkg = path.join(__dirname, '..');

function copyTree(from, to, skip) {
  fs.cpSync(from, to, { recursive: true, filter: (src) => !skip.includes(path.basename(src)) });
}

test('npm install of the package from a fresh directory, offline, runs the README example', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'couponlib-install-'));
  const checkout = path.join(tmp, 'couponlib');
  copyTree(path.join(h.root, 'src'), path.join(checkout, 'src'), []);
  copyTree(path.join(h.root, 'include'), path.join(checkout, 'include'), []);
  copyTree(path.join(h.root, 'data'), path.join(checkout, 'data'), []);
  fs.mkdirSync(path.join(checkout, 'scripts'));
  fs.copyFileSync(path.join(h.root, 'scripts', 'embed_calendars.py'),
    path.join(checkout, 'scripts', 'embed_calendars.py'));
  copyTree(pkg, path.join(checkout, 'bindings', 'node'), ['build', 'node_modules']);
  const app = path.join(tmp, 'app');
  fs.mkdirSync(app);
  fs.writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'app', private: true }));

  const env = { ...process.env };
  for (const k of Object.keys(env)) if (/^(npm_|COUPONLIB_NODE_ADDON$|NODE_PATH$)/i.test(k)) delete env[k];
  const npm = spawnSync('npm', ['install', '--offline', '--no-audit', '--no-fund',
    path.join('..', 'couponlib', 'bindings', 'node')], { cwd: app, env, encoding: 'utf8' });
  assert.equal(npm.status, 0, `npm install failed:\n${npm.stdout}\n${npm.stderr}`);
  const installed = path.join(app, 'node_modules', 'couponlib');
  assert.ok(fs.existsSync(path.join(installed, 'build', 'Release', 'couponlib_native.node')),
    'the addon was not built');
  const manifest = JSON.parse(fs.readFileSync(path.join(app, 'package.json'), 'utf8'));
  assert.match(manifest.dependencies.couponlib, /^file:/);

  fs.copyFileSync(path.join(pkg, 'examples', 'quickstart.js'), path.join(app, 'quickstart.js'));
  const run = spawnSync(process.execPath, ['quickstart.js'], { cwd: app, env, encoding: 'utf8' });
  assert.equal(run.status, 0, run.stderr);
  assert.equal(run.stdout.trim(), "[ 'WEEKEND', 'WELCOME10' ] 25.00 4.99 474.99");

  // The package rebuilds by hand too, and then still works.
  const rebuild = spawnSync('npm', ['rebuild', '--offline', 'couponlib'], { cwd: app, env, encoding: 'utf8' });
  assert.equal(rebuild.status, 0, rebuild.stdout + rebuild.stderr);
  const again = spawnSync(process.execPath, ['-e', "console.log(require('couponlib').version)"],
    { cwd: app, env, encoding: 'utf8' });
  assert.equal(again.stdout.trim(), '0.1.0', again.stderr);
  fs.rmSync(tmp, { recursive: true, force: true });
});

test('the install step explains what is missing instead of failing obscurely', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'couponlib-lone-'));
  const lone = path.join(tmp, 'node');
  copyTree(pkg, lone, ['build', 'node_modules']);
  const r = spawnSync(process.execPath, [path.join(lone, 'tools', 'build.js')], { encoding: 'utf8' });
  assert.equal(r.status, 1);
  assert.match(r.stderr, /couponlib: the couponlib sources are not at .* \(install this package from a couponlib checkout/);
  fs.rmSync(tmp, { recursive: true, force: true });
});
