/**
 * The dashboard: files of web/ and a fixed list of browser bundles from node_modules (Chart.js, TF.js,
 * fflate). Nothing else on disk is reachable: names are looked up, never joined from the URL blindly.
 */
import { Hono } from 'hono';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { errorJson } from './http.js';

const require = createRequire(import.meta.url);
const WEB = fileURLToPath(new URL('../../web/', import.meta.url));
/** A file of an installed package (found from its entry point: not every package exports package.json). */
function pkgFile(pkg: string, file: string): string {
  let dir = path.dirname(require.resolve(pkg));
  while (!fs.existsSync(path.join(dir, 'package.json')) || JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')).name !== pkg) {
    if (path.dirname(dir) === dir) throw new Error(`package ${pkg} not found`);
    dir = path.dirname(dir);
  }
  return path.join(dir, file);
}

/** Browser bundles served under /vendor/. */
export const VENDOR: Record<string, () => string> = {
  'chart.umd.min.js': () => pkgFile('chart.js', 'dist/chart.umd.min.js'),
  'tf-core.min.js': () => pkgFile('@tensorflow/tfjs-core', 'dist/tf-core.min.js'),
  'tf-layers.min.js': () => pkgFile('@tensorflow/tfjs-layers', 'dist/tf-layers.min.js'),
  'tf-backend-cpu.min.js': () => pkgFile('@tensorflow/tfjs-backend-cpu', 'dist/tf-backend-cpu.min.js'),
  'fflate.js': () => pkgFile('fflate', 'esm/browser.js'),
};

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.json': 'application/json',
};

const send = (file: string): Response =>
  new Response(fs.readFileSync(file), { headers: { 'Content-Type': TYPES[path.extname(file)] ?? 'application/octet-stream', 'Cache-Control': 'no-cache' } });

/** Routes for `/`, `/vendor/<bundle>` and `/<file in web/>`. */
export function staticRoutes(): Hono {
  const app = new Hono();
  const webFiles = new Set(fs.existsSync(WEB) ? fs.readdirSync(WEB).filter((f) => TYPES[path.extname(f)]) : []);
  app.get('/', () => send(path.join(WEB, 'index.html')));
  app.get('/vendor/:name', (c) => {
    const resolve = Object.hasOwn(VENDOR, c.req.param('name')) ? VENDOR[c.req.param('name')] : undefined;
    return resolve ? send(resolve()) : errorJson(c, 404, 'NOT_FOUND', `no such file: ${c.req.path}`);
  });
  app.get('/:file', (c) => (webFiles.has(c.req.param('file')) ? send(path.join(WEB, c.req.param('file'))) : errorJson(c, 404, 'NOT_FOUND', `no such file: ${c.req.path}`)));
  return app;
}
