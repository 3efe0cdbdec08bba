#!/usr/bin/env node
// Builds the addon with node-gyp, offline: the headers are those of the Node
// that runs this script when it has them (a distribution's node, e.g.
// /usr/include/node), so node-gyp downloads nothing. npm runs this on
// `npm install`; run it by hand to rebuild (`node tools/build.js`).
//
//   npm_config_nodedir   headers elsewhere (as for node-gyp itself)
//   npm_config_node_gyp  the node-gyp to use (npm sets it to its own)
'use strict';
const fs = require('fs');
const path = require('path');
const { spawnSync } = require('child_process');

const pkg = path.join(__dirname, '..');

function fail(message) {
  console.error(`couponlib: ${message}`);
  process.exit(1);
}

// node-gyp: the one npm gives its scripts, else npm's own beside this node.
function nodeGyp() {
  const candidates = [
    process.env.npm_config_node_gyp,
    path.join(path.dirname(process.execPath), '..', 'lib', 'node_modules', 'npm',
              'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
  ];
  for (const c of candidates) if (c && fs.existsSync(c)) return c;
  fail('node-gyp not found (it comes with npm; or set npm_config_node_gyp)');
}

// The prefix whose include/node has this Node's headers, if any.
function nodeDir() {
  if (process.env.npm_config_nodedir) return process.env.npm_config_nodedir;
  const prefix = path.resolve(path.dirname(process.execPath), '..');
  if (fs.existsSync(path.join(prefix, 'include', 'node', 'node.h'))) return prefix;
  return null;
}

for (const tool of ['swig', 'pkg-config']) {
  const r = spawnSync(tool, ['-version'], { stdio: 'ignore' });
  if (r.error) fail(`${tool} is needed to build the addon (Debian: scripts/deps.sh node)`);
}
const libs = spawnSync('pkg-config', ['--exists', 'yaml-0.1', 'libpcre2-8', 'libbsd']);
if (libs.status !== 0) {
  fail('libyaml, PCRE2 and libbsd development files are needed (Debian: scripts/deps.sh node)');
}
if (!fs.existsSync(path.join(pkg, '..', '..', 'src', 'meson.build'))) {
  fail(`the couponlib sources are not at ${path.resolve(pkg, '..', '..')} ` +
       '(install this package from a couponlib checkout: npm install path/to/bindings/node)');
}

const args = [nodeGyp(), 'rebuild', '-j', String(Math.min(2, require('os').cpus().length || 1))];
const dir = nodeDir();
if (dir) args.push(`--nodedir=${dir}`);
const r = spawnSync(process.execPath, args, { cwd: pkg, stdio: 'inherit' });
if (r.error) fail(r.error.message);
process.exit(r.status === null ? 1 : r.status);
