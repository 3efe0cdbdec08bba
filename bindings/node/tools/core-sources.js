#!/usr/bin/env node
// Prints the core library's C sources, relative to bindings/node, for
// binding.gyp. src/meson.build's core_sources list is the one list of them.
'use strict';
const fs = require('fs');
const path = require('path');

const root = process.argv[2] || path.join(__dirname, '..', '..', '..');
const build = fs.readFileSync(path.join(root, 'src', 'meson.build'), 'utf8');
const m = /core_sources\s*=\s*files\(([^)]*)\)/.exec(build);
if (!m) {
  console.error('core-sources: no core_sources = files(...) in src/meson.build');
  process.exit(1);
}
const names = [...m[1].matchAll(/'([^']+\.c)'/g)].map((x) => x[1]);
const rel = path.relative(path.join(__dirname, '..'), path.join(root, 'src'));
process.stdout.write(names.map((n) => path.join(rel, n)).join('\n') + '\n');
