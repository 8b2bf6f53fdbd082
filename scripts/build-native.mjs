#!/usr/bin/env node
// Builds the native backend addon (native/) during `npm install`. Never fails the install:
// without a compiler, OpenBLAS or node-gyp it prints one warning line and exits 0,
// and Distillery falls back to the wasm backend.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const warn = (why) => {
  console.warn(`distillery: native backend not built (${why}); using wasm. Install g++ and libopenblas-dev, then npm rebuild.`);
  process.exit(0);
};

if (process.env.DISTILLERY_SKIP_NATIVE) warn('DISTILLERY_SKIP_NATIVE is set');
const has = (cmd, args) => spawnSync(cmd, args, { stdio: 'ignore' }).status === 0;
if (!has('c++', ['--version']) && !has('g++', ['--version'])) warn('no C++ compiler');
if (!has('pkg-config', ['--exists', 'openblas'])) warn('OpenBLAS not found by pkg-config');

let gyp;
try {
  gyp = createRequire(import.meta.url).resolve('node-gyp/bin/node-gyp.js');
} catch {
  warn('node-gyp is not installed');
}
// Use the running Node's own headers when they are installed next to it, so no download is needed.
const prefix = path.dirname(path.dirname(process.execPath));
const args = [gyp, 'rebuild', '-j', 'max'];
if (existsSync(path.join(prefix, 'include', 'node', 'node_api.h'))) args.push(`--nodedir=${prefix}`);
try {
  execFileSync(process.execPath, args, { cwd: path.join(root, 'native'), stdio: ['ignore', 'ignore', 'pipe'] });
} catch (e) {
  const lines = String(e.stderr ?? '').split('\n').filter((l) => /error/i.test(l) && !/^gyp ERR! (stack|System|command|cwd|node|not ok)/.test(l));
  warn(lines[0]?.trim() || 'node-gyp failed');
}
console.log('distillery: native backend built (native/build/Release/distillery_native.node)');
