/**
 * Names and paths in the data dir: ids the server makes, client file names checked before use, and a
 * staging folder per upload that is renamed into place only when complete.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { badRequest } from './http.js';

/** `ds_1a2b3c4d5e6f`: a prefix and 12 random hex digits. */
export const newId = (prefix: 'ds' | 'tc' | 'job'): string => `${prefix}_${crypto.randomBytes(6).toString('hex')}`;

/** Whether a route parameter can be an id at all (anything else is a 404 before touching the disk). */
export const isId = (s: string, prefix: 'ds' | 'tc' | 'job'): boolean => new RegExp(`^${prefix}_[0-9a-f]{12}$`).test(s);

const SAFE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/**
 * A client-supplied file name, accepted only as a plain name: no folders, no `..`, no leading dot.
 * `field` names it in the 400 message.
 *
 * @example safeFileName('../etc/passwd', 'files[0]') // throws 400: files[0]: expected a plain file name ...
 */
export function safeFileName(name: string, field: string): string {
  if (!SAFE_NAME.test(name) || name.includes('..')) {
    throw badRequest(`${field}: expected a plain file name (letters, digits, . - _; no folders or ".."), got ${JSON.stringify(name)}`);
  }
  return name;
}

/** `root/...parts`, refusing anything that would resolve outside root. */
export function inside(root: string, ...parts: string[]): string {
  const base = path.resolve(root);
  const p = path.resolve(base, ...parts);
  if (p !== base && !p.startsWith(base + path.sep)) throw badRequest(`path ${JSON.stringify(parts.join('/'))}: outside the data dir`);
  return p;
}

/** A fresh staging folder under `DATA/tmp`; `commit` renames it to its final place, `discard` removes it. */
export function staging(dataDir: string) {
  const dir = fs.mkdtempSync(path.join(dataDir, 'tmp', 'upload-'));
  return {
    dir,
    commit(target: string): void {
      fs.mkdirSync(path.dirname(target), { recursive: true });
      fs.renameSync(dir, target);
    },
    discard: (): void => fs.rmSync(dir, { recursive: true, force: true }),
  };
}

/**
 * The data dir's layout, created on first start. Leftovers of interrupted uploads are removed, and so is any
 * folder whose row never made it into the store (`known(kind, id)` says whether it did).
 */
export function prepareDataDir(dataDir: string, known?: (kind: 'datasets' | 'teachers' | 'jobs', id: string) => boolean): void {
  for (const sub of ['datasets', 'teachers', 'jobs'] as const) {
    fs.mkdirSync(path.join(dataDir, sub), { recursive: true });
    if (!known) continue;
    for (const id of fs.readdirSync(path.join(dataDir, sub))) if (!known(sub, id)) fs.rmSync(path.join(dataDir, sub, id), { recursive: true, force: true });
  }
  fs.rmSync(path.join(dataDir, 'tmp'), { recursive: true, force: true });
  fs.mkdirSync(path.join(dataDir, 'tmp'));
}
