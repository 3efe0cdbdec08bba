#!/usr/bin/env node
// Runs the binding's tests with Node's built-in test runner and prints its
// summary, then "N passed, M failed" (what scripts/summarize.py counts).
//
//   node test/run.js            every test/*.test.js but the install test
//   node test/run.js --install  test/install.test.js: `npm install` of the
//                               package from a fresh directory (slow: it
//                               builds the addon with node-gyp)
//
// The tests' own npm packages (yaml, typescript, @types/node) come from
// $COUPONLIB_CACHE/node/node_modules (scripts/deps/node.sh), through NODE_PATH.
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawn } = require('child_process');

const here = __dirname;
const install = process.argv.includes('--install');
const files = fs.readdirSync(here)
  .filter((f) => f.endsWith('.test.js') && (f === 'install.test.js') === install)
  .sort()
  .map((f) => path.join(here, f));

const cache = process.env.COUPONLIB_CACHE || path.join(os.homedir(), '.cache', 'couponlib');
const modules = path.join(cache, 'node', 'node_modules');
const env = { ...process.env };
env.NODE_PATH = [modules, process.env.NODE_PATH].filter(Boolean).join(path.delimiter);
if (env.COUPONLIB_ASAN_RUNTIME) {
  // The asan build: its addon needs the sanitizer runtime preloaded into
  // node. Memory errors abort the test; leaks are not checked, because at
  // exit V8 frees neither its own heap nor SWIG's wrapper objects (freed
  // only when collected), so every run would report them.
  env.LD_PRELOAD = [env.COUPONLIB_ASAN_RUNTIME, env.LD_PRELOAD].filter(Boolean).join(' ');
  env.ASAN_OPTIONS = `${env.ASAN_OPTIONS ? `${env.ASAN_OPTIONS}:` : ''}detect_leaks=0`;
}
if (!fs.existsSync(path.join(modules, 'yaml'))) {
  console.error(`test: ${modules} has no yaml package (run scripts/deps.sh node)`);
}

const child = spawn(process.execPath,
  ['--test', '--test-reporter=tap', '--test-concurrency=2', ...files],
  { env, stdio: ['ignore', 'pipe', 'inherit'] });
let out = '';
child.stdout.on('data', (d) => {
  out += d;
  process.stdout.write(d);
});
child.on('close', (code, signal) => {
  const count = (name) => {
    const m = new RegExp(`^# ${name} (\\d+)$`, 'm').exec(out);
    return m ? Number(m[1]) : 0;
  };
  const passed = count('pass');
  let failed = count('fail') + count('cancelled');
  if ((code !== 0 || signal) && failed === 0) failed = 1;
  if (passed + failed === 0) failed = 1;
  console.log(`${passed} passed, ${failed} failed`);
  process.exit(failed > 0 ? 1 : 0);
});
