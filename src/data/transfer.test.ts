import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { tmpDir, writeMiniMnist } from '../../test/helpers.js';
import { selectBackend } from '../engine/backend.js';
import { Rng, setSeed } from '../engine/seed.js';
import { adjustClassBias } from '../models/bias.js';
import { buildMlp } from '../models/mlp.js';
import { loadMnist, type Split } from './mnist.js';
import { classCounts, excludeClasses, fraction, reweightClasses } from './transfer.js';

let train: Split;
beforeAll(async () => {
  await selectBackend('cpu');
  train = loadMnist({ dir: writeMiniMnist(tmpDir(), { train: 1000, test: 1 }) }).train;
});

describe('transfer-set controls', () => {
  it('fraction draws distinct rows, repeatably, with images and labels kept together', () => {
    const a = fraction(train, 0.03, new Rng(1));
    expect(a.count).toBe(30);
    expect(Array.from(fraction(train, 0.03, new Rng(1)).labels)).toEqual(Array.from(a.labels));
    // Each selected image is a row of the source with the same label.
    for (let i = 0; i < a.count; i++) {
      const img = a.images.subarray(i * 784, (i + 1) * 784);
      let found = -1;
      for (let r = 0; r < train.count && found < 0; r++) if (train.images.subarray(r * 784, (r + 1) * 784).every((v, k) => v === img[k])) found = r;
      expect(found).toBeGreaterThanOrEqual(0);
      expect(train.labels[found]).toBe(a.labels[i]);
    }
    expect(() => fraction(train, 1.5, new Rng(1))).toThrow('transfer.fraction: expected a number in (0, 1], got 1.5');
  });

  it('excludeClasses removes exactly those classes', () => {
    const before = classCounts(train, 10);
    const t = excludeClasses(train, [3], 10);
    const after = classCounts(t, 10);
    expect(after[3]).toBe(0);
    expect(t.count).toBe(1000 - before[3]);
    after.forEach((c, k) => k !== 3 && expect(c).toBe(before[k]));
    expect(() => excludeClasses(train, [10], 10)).toThrow('transfer.excludeClasses: expected class ids in [0, 9], got 10');
  });

  it('reweightClasses shifts class shares in proportion to the weights', () => {
    const w = new Array(10).fill(1);
    w[0] = 3;
    w[1] = 0;
    const r = reweightClasses(train, w, new Rng(2));
    const before = classCounts(train, 10);
    const after = classCounts(r, 10);
    expect(r.count).toBe(1000);
    expect(after[1]).toBe(0);
    const expected0 = (3 * before[0]) / (1000 + 2 * before[0] - before[1]);
    expect(after[0] / 1000).toBeGreaterThan(expected0 * 0.75);
    expect(after[0] / 1000).toBeLessThan(expected0 * 1.25);
  });

  it('adjustClassBias raises one logit by delta and leaves the rest', () => {
    setSeed(0);
    const m = buildMlp({ inputSize: 784, hidden: [8], classes: 10 });
    const x = tf.tensor2d(train.images.subarray(0, 784 * 4), [4, 784]);
    const before = (m.predict(x) as tf.Tensor).arraySync() as number[][];
    adjustClassBias(m, { 3: 3.5 });
    const after = (m.predict(x) as tf.Tensor).arraySync() as number[][];
    before.forEach((row, i) => row.forEach((v, c) => expect(after[i][c]).toBeCloseTo(c === 3 ? v + 3.5 : v, 5)));
    expect(() => adjustClassBias(m, { 12: 1 })).toThrow('bias adjustment: expected class ids in [0, 9], got 12');
  });
});
