import fs from 'node:fs';
import path from 'node:path';

/** Writes a file atomically: a temp file in the same folder, then rename. Never leaves a half-written file. */
export function writeFileAtomic(file: string, data: string | Uint8Array): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.tmp-${process.pid}`;
  fs.writeFileSync(tmp, data);
  fs.renameSync(tmp, file);
}

export const writeJsonAtomic = (file: string, value: unknown): void =>
  writeFileAtomic(file, JSON.stringify(value, null, 2) + '\n');

export function readJson<T>(file: string): T {
  return JSON.parse(fs.readFileSync(file, 'utf8')) as T;
}
