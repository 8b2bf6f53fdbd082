/**
 * Offline teacher cache: a teacher's outputs over a transfer set, computed once and kept on disk,
 * content-addressed by (teacher, dataset, transform, format). A second run with the same teacher and data
 * runs no teacher inference. Rows are read on demand for each batch, never all loaded at once.
 *
 * Formats: `dense` keeps all C logits as float32. `topk` keeps the k largest log-probabilities (float16) with
 * their class ids and the log of the remaining probability mass, which is spread evenly over the other classes
 * when read back (DistillKit-style sparse logits): ~14 bytes a row for MNIST at k = 4 instead of 40.
 *
 * Files: `DIR/<key>.bin` (rows) and `DIR/<key>.json` (shape, format, sha256 of the rows), the JSON written
 * last. A cache whose checksum does not match is reported, deleted and recomputed, never used.
 */
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Split } from '../data/mnist.js';
import { DistilleryError } from '../errors.js';
import { readJson, writeJsonAtomic } from '../fsutil.js';
import { fromHalf, toHalf } from './half.js';
import type { Teacher } from './teacher.js';

export type CacheFormat = { format: 'dense' } | { format: 'topk'; k: number };

interface CacheMeta {
  version: 1;
  key: string;
  count: number;
  classes: number;
  format: 'dense' | 'topk';
  k: number;
  rowBytes: number;
  sha256: string;
  teacherId: string;
  dataId: string;
  transform: string;
}

/** Lowest log-probability stored for the mass outside the top k (keeps KL finite). */
const MIN_LOGP = -60;

export interface TeacherCache {
  readonly count: number;
  readonly classes: number;
  readonly file: string;
  /** Teacher logits for the given rows: [B * C] floats (reconstructed log-probabilities for top-k). */
  read(rows: ArrayLike<number>): Float32Array;
  close(): void;
}

export interface BuildCacheOptions {
  dir: string;
  teacher: Teacher;
  /** Identifies the teacher's function: e.g. `hashModel(model)`. */
  teacherId: string;
  split: Split;
  /** Identifies any input transform applied before the teacher ('none' when the inputs are used as they are). */
  transform?: string;
  store?: CacheFormat;
  batch?: number;
  /** Told about a corrupt cache that is being recomputed. */
  onWarning?(message: string): void;
}

const sha256 = (...parts: (string | Uint8Array)[]): string => {
  const h = crypto.createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest('hex');
};

const bytesOf = (a: ArrayBufferView): Uint8Array => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

/** Content id of a dataset split (images and labels). */
export const hashSplit = (s: Split): string => sha256(bytesOf(s.images), bytesOf(s.labels), `${s.count}x${s.features}`);

/** Content id of a layers model: its topology and every weight. */
export function hashModel(model: tfl.LayersModel): string {
  const h = crypto.createHash('sha256');
  h.update(JSON.stringify(model.toJSON(null, false)));
  for (const w of model.getWeights()) h.update(bytesOf(w.dataSync() as Float32Array));
  return h.digest('hex');
}

function rowBytes(classes: number, store: CacheFormat): number {
  if (store.format === 'dense') return classes * 4;
  const idx = classes <= 256 ? 1 : 2;
  return store.k * (idx + 2) + 2;
}

function encodeRow(logits: Float32Array, out: DataView, store: CacheFormat): void {
  const C = logits.length;
  if (store.format === 'dense') {
    for (let c = 0; c < C; c++) out.setFloat32(c * 4, logits[c], true);
    return;
  }
  let max = -Infinity;
  for (let c = 0; c < C; c++) max = Math.max(max, logits[c]);
  let sum = 0;
  for (let c = 0; c < C; c++) sum += Math.exp(logits[c] - max);
  const logZ = max + Math.log(sum);
  const order = Array.from({ length: C }, (_, c) => c).sort((a, b) => logits[b] - logits[a]);
  const idx = C <= 256 ? 1 : 2;
  let topMass = 0;
  for (let j = 0; j < store.k; j++) {
    const c = order[j];
    const logp = logits[c] - logZ;
    topMass += Math.exp(logp);
    if (idx === 1) out.setUint8(j, c);
    else out.setUint16(j * 2, c, true);
    out.setUint16(store.k * idx + j * 2, toHalf(logp), true);
  }
  const rest = Math.max(MIN_LOGP, Math.log(Math.max(0, 1 - topMass)));
  out.setUint16(store.k * (idx + 2), toHalf(rest), true);
}

function decodeRow(src: DataView, out: Float32Array, store: CacheFormat): void {
  const C = out.length;
  if (store.format === 'dense') {
    for (let c = 0; c < C; c++) out[c] = src.getFloat32(c * 4, true);
    return;
  }
  const idx = C <= 256 ? 1 : 2;
  const rest = fromHalf(src.getUint16(store.k * (idx + 2), true));
  const others = C - store.k;
  out.fill(others > 0 ? Math.max(MIN_LOGP, rest - Math.log(others)) : MIN_LOGP);
  for (let j = 0; j < store.k; j++) {
    const c = idx === 1 ? src.getUint8(j) : src.getUint16(j * 2, true);
    out[c] = fromHalf(src.getUint16(store.k * idx + j * 2, true));
  }
}

function fileSha256(file: string): string {
  const h = crypto.createHash('sha256');
  const fd = fs.openSync(file, 'r');
  const buf = Buffer.alloc(1 << 20);
  try {
    for (let n; (n = fs.readSync(fd, buf, 0, buf.length, null)) > 0; ) h.update(buf.subarray(0, n));
  } finally {
    fs.closeSync(fd);
  }
  return h.digest('hex');
}

function openCache(meta: CacheMeta, binFile: string): TeacherCache {
  const fd = fs.openSync(binFile, 'r');
  const store: CacheFormat = meta.format === 'dense' ? { format: 'dense' } : { format: 'topk', k: meta.k };
  const row = Buffer.alloc(meta.rowBytes);
  const view = new DataView(row.buffer, row.byteOffset, row.byteLength);
  return {
    count: meta.count,
    classes: meta.classes,
    file: binFile,
    read(rows) {
      const out = new Float32Array(rows.length * meta.classes);
      for (let i = 0; i < rows.length; i++) {
        const r = rows[i];
        if (r < 0 || r >= meta.count) throw new DistilleryError('SHAPE', `${binFile}: row ${r} out of range [0, ${meta.count})`);
        fs.readSync(fd, row, 0, meta.rowBytes, r * meta.rowBytes);
        decodeRow(view, out.subarray(i * meta.classes, (i + 1) * meta.classes), store);
      }
      return out;
    },
    close: () => fs.closeSync(fd),
  };
}

/**
 * Opens the cache for (teacher, split, transform, format), computing it first if it is missing or corrupt.
 * Returns the cache and whether the teacher had to run.
 *
 * @example const { cache } = buildTeacherCache({ dir: '.cache', teacher: asTeacher(model), teacherId: hashModel(model), split: train })
 */
export function buildTeacherCache(opts: BuildCacheOptions): { cache: TeacherCache; computed: boolean } {
  const { dir, teacher, split, transform = 'none', store = { format: 'dense' }, batch = 1000 } = opts;
  if (store.format === 'topk' && (!Number.isInteger(store.k) || store.k < 1)) {
    throw new DistilleryError('CONFIG', `cache.k: expected integer ≥ 1, got ${store.k}`);
  }
  const dataId = hashSplit(split);
  const key = sha256(JSON.stringify({ teacher: opts.teacherId, data: dataId, transform, store })).slice(0, 32);
  const binFile = path.join(dir, `${key}.bin`);
  const metaFile = path.join(dir, `${key}.json`);

  if (fs.existsSync(metaFile)) {
    const meta = readJson<CacheMeta>(metaFile);
    if (fs.existsSync(binFile) && fileSha256(binFile) === meta.sha256) return { cache: openCache(meta, binFile), computed: false };
    opts.onWarning?.(`${binFile}: teacher cache failed its checksum; recomputing`);
    fs.rmSync(metaFile, { force: true });
    fs.rmSync(binFile, { force: true });
  }

  fs.mkdirSync(dir, { recursive: true });
  const tmp = `${binFile}.tmp-${process.pid}`;
  const fd = fs.openSync(tmp, 'w');
  let classes = 0;
  let width = 0;
  try {
    for (let s = 0; s < split.count; s += batch) {
      const n = Math.min(batch, split.count - s);
      const z = tf.tidy(() => teacher.logits(tf.tensor2d(split.images.subarray(s * split.features, (s + n) * split.features), [n, split.features])));
      const logits = z.dataSync() as Float32Array;
      z.dispose();
      if (!classes) {
        classes = logits.length / n;
        width = rowBytes(classes, store);
        if (store.format === 'topk' && store.k > classes) {
          throw new DistilleryError('CONFIG', `cache.k: expected ≤ ${classes} (the teacher's classes), got ${store.k}`);
        }
      }
      const buf = Buffer.alloc(n * width);
      for (let i = 0; i < n; i++) {
        encodeRow(logits.subarray(i * classes, (i + 1) * classes), new DataView(buf.buffer, buf.byteOffset + i * width, width), store);
      }
      fs.writeSync(fd, buf);
    }
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, binFile);
  const meta: CacheMeta = {
    version: 1,
    key,
    count: split.count,
    classes,
    format: store.format,
    k: store.format === 'topk' ? store.k : classes,
    rowBytes: width,
    sha256: fileSha256(binFile),
    teacherId: opts.teacherId,
    dataId,
    transform,
  };
  writeJsonAtomic(metaFile, meta);
  return { cache: openCache(meta, binFile), computed: true };
}
