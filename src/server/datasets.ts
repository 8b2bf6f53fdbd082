/**
 * Uploaded datasets: MNIST-format idx files (the four files, raw or .gz, or a .zip of them) that jobs train
 * on, and CSV/TSV/JSONL/text files stored and described for later pipelines. Every file is checked before
 * the dataset exists: idx magic and sizes through readIdx/loadMnist, text as UTF-8 with consistent rows.
 */
import { unzipSync } from 'fflate';
import fs from 'node:fs';
import path from 'node:path';
import { IDX_IMAGES_MAGIC, IDX_LABELS_MAGIC, isDistilleryError, loadMnist, readIdx } from '../index.js';
import { safeFileName } from './files.js';
import { badRequest } from './http.js';
import type { DatasetRow } from './store.js';

export interface Upload {
  name: string;
  bytes: Uint8Array;
}

const MNIST_FILE = /^(train|t10k)[-.](images|labels)[-.]idx([13])-ubyte(\.gz)?$/;

/** The files of a .zip (folders inside are flattened; each name is checked like an uploaded one). */
function unzip(u: Upload, field: string): Upload[] {
  let entries: Record<string, Uint8Array>;
  try {
    entries = unzipSync(u.bytes);
  } catch (e) {
    throw badRequest(`${field}: ${u.name} is not a readable zip (${(e as Error).message})`, 'DATA_FORMAT');
  }
  return Object.entries(entries)
    .filter(([name]) => !name.endsWith('/') && !name.split('/').pop()!.startsWith('.'))
    .map(([name, bytes]) => {
      if (name.split('/').includes('..')) throw badRequest(`${field}: zip entry ${JSON.stringify(name)} escapes its folder`);
      return { name: safeFileName(name.split('/').pop()!, `${field} (${name})`), bytes };
    });
}

function describeMnist(dir: string, files: Upload[]): Record<string, unknown> {
  const roles = new Map<string, string>();
  files.forEach((f, i) => {
    const m = MNIST_FILE.exec(f.name);
    if (!m) throw badRequest(`files[${i}].name: expected an MNIST idx file name like train-images-idx3-ubyte(.gz), got ${JSON.stringify(f.name)}`, 'DATA_FORMAT');
    const role = `${m[1]}-${m[2]}-idx${m[3]}-ubyte`;
    if (roles.has(role)) throw badRequest(`files[${i}].name: ${role} given twice`, 'DATA_FORMAT');
    roles.set(role, f.name);
    const file = path.join(dir, role + (m[4] ?? ''));
    fs.writeFileSync(file, f.bytes);
    // Magic, header and size, with the message naming the upload rather than the staging path.
    try {
      readIdx(file, m[2] === 'images' ? IDX_IMAGES_MAGIC : IDX_LABELS_MAGIC);
    } catch (e) {
      if (isDistilleryError(e)) throw badRequest(`files[${i}] (${f.name}): ${e.message.replace(`${file}: `, '')}`, 'DATA_FORMAT');
      throw e;
    }
  });
  for (const role of ['train-images-idx3-ubyte', 'train-labels-idx1-ubyte', 't10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte']) {
    if (!roles.has(role)) throw badRequest(`files: expected the four MNIST files, missing ${role}(.gz)`, 'DATA_FORMAT');
  }
  let data;
  try {
    data = loadMnist({ dir });
  } catch (e) {
    if (isDistilleryError(e)) throw badRequest(`files: ${e.message.split(dir + path.sep).join('')}`, 'DATA_FORMAT');
    throw e;
  }
  const split = (s: typeof data.train) => {
    const counts = new Array<number>(data.classes).fill(0);
    for (const y of s.labels) counts[y]++;
    return { count: s.count, shape: [s.count, s.height, s.width], classCounts: counts };
  };
  return { format: 'mnist-idx', classes: data.classes, features: data.train.features, train: split(data.train), test: split(data.test) };
}

function utf8(u: Upload, field: string): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(u.bytes);
  } catch {
    throw badRequest(`${field} (${u.name}): expected UTF-8 text`, 'DATA_FORMAT');
  }
}

/** Fields of one delimited line; double quotes group a field ("" is a quote inside one). */
function splitLine(line: string, sep: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') (cur += '"'), i++;
      else if (ch === '"') quoted = false;
      else cur += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === sep) out.push(cur), (cur = '');
    else cur += ch;
  }
  out.push(cur);
  return out;
}

function describeText(u: Upload, field: string): { kind: DatasetRow['kind']; info: Record<string, unknown> } {
  const ext = path.extname(u.name).toLowerCase();
  const text = utf8(u, field);
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  if (ext === '.csv' || ext === '.tsv') {
    const sep = ext === '.csv' ? ',' : '\t';
    if (lines.length < 2) throw badRequest(`${field} (${u.name}): expected a header line and at least one row, got ${lines.length} lines`, 'DATA_FORMAT');
    const columns = splitLine(lines[0], sep);
    lines.forEach((l, i) => {
      const n = splitLine(l, sep).length;
      if (n !== columns.length) throw badRequest(`${field} (${u.name}) line ${i + 1}: expected ${columns.length} fields, got ${n}`, 'DATA_FORMAT');
    });
    return { kind: 'table', info: { format: ext.slice(1), rows: lines.length - 1, columns } };
  }
  if (ext === '.jsonl') {
    const keys = new Set<string>();
    lines.forEach((l, i) => {
      let v: unknown;
      try {
        v = JSON.parse(l);
      } catch {
        throw badRequest(`${field} (${u.name}) line ${i + 1}: expected a JSON object, got invalid JSON`, 'DATA_FORMAT');
      }
      if (typeof v !== 'object' || v === null || Array.isArray(v)) throw badRequest(`${field} (${u.name}) line ${i + 1}: expected a JSON object`, 'DATA_FORMAT');
      Object.keys(v).forEach((k) => keys.add(k));
    });
    return { kind: 'jsonl', info: { format: 'jsonl', records: lines.length, keys: [...keys] } };
  }
  return { kind: 'text', info: { format: 'text', lines: lines.length, characters: text.length } };
}

const TEXT_EXT = ['.csv', '.tsv', '.jsonl', '.txt'];

/**
 * Writes the uploaded files into `dir` (a staging folder) and describes them; throws a 400 naming the
 * offending file on any bad content.
 *
 * @example ingestDataset(stagingDir, [{ name: 'train-images-idx3-ubyte.gz', bytes }, ...]) // { kind: 'mnist', info }
 */
export function ingestDataset(dir: string, uploads: Upload[]): { kind: DatasetRow['kind']; info: Record<string, unknown> } {
  if (uploads.length === 0) throw badRequest('files: expected at least one file');
  let files = uploads.map((u, i) => ({ ...u, name: safeFileName(u.name, `files[${i}].name`) }));
  if (files.length === 1 && files[0].name.toLowerCase().endsWith('.zip')) files = unzip(files[0], 'files[0]');
  if (files.some((f) => MNIST_FILE.test(f.name)) || files.length > 1) return { kind: 'mnist', info: describeMnist(dir, files) };
  const f = files[0];
  if (!TEXT_EXT.includes(path.extname(f.name).toLowerCase())) {
    throw badRequest(`files[0].name: expected MNIST idx files, a .zip of them, or a .csv/.tsv/.jsonl/.txt file, got ${JSON.stringify(f.name)}`, 'DATA_FORMAT');
  }
  const described = describeText(f, 'files[0]');
  fs.writeFileSync(path.join(dir, f.name), f.bytes);
  return { ...described, info: { ...described.info, file: f.name } };
}
