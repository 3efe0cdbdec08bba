#!/usr/bin/env node
// Prints the shipped calendar files (data/calendars/*.yaml), relative to
// bindings/node, for binding.gyp's action that embeds them into the addon
// as src/meson.build does for the library.
'use strict';
const fs = require('fs');
const path = require('path');

const dir = path.join(__dirname, '..', '..', '..', 'data', 'calendars');
const files = fs.readdirSync(dir).filter((f) => f.endsWith('.yaml')).sort();
if (files.length === 0) {
  console.error('calendar-files: no data/calendars/*.yaml');
  process.exit(1);
}
console.log(files.map((f) => path.posix.join('..', '..', 'data', 'calendars', f)).join(' '));
