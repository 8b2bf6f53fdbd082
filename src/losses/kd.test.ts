import * as tf from '@tensorflow/tfjs-core';
import '../engine/setup.js';
import { beforeAll, describe, expect, it } from 'vitest';
import fixtures from '../../test/fixtures/kd.json' with { type: 'json' };
import { crossEntropy } from './ce.js';
import { hinton } from './hinton.js';
import { kd } from './kd.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** Scalar float64 reference: T² · mean_b Σ_c p_t (log p_t − log p_s). */
function kdRef(zs: number[][], zt: number[][], T: number, scale = true): number {
  const logSoftmax = (z: number[]) => {
    const m = Math.max(...z.map((v) => v / T));
    const lse = m + Math.log(z.reduce((s, v) => s + Math.exp(v / T - m), 0));
    return z.map((v) => v / T - lse);
  };
  let total = 0;
  zs.forEach((row, b) => {
    const ls = logSoftmax(row);
    const lt = logSoftmax(zt[b]);
    total += lt.reduce((s, l, c) => s + Math.exp(l) * (l - ls[c]), 0);
  });
  return (total / zs.length) * (scale ? T * T : 1);
}

const softmax = (z: number[], T = 1) => {
  const m = Math.max(...z);
  const e = z.map((v) => Math.exp((v - m) / T));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
};

function randomLogits(B: number, C: number, scale: number, seed: number): number[][] {
  let s = seed;
  const rand = () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648) * 2 - 1;
  return Array.from({ length: B }, () => Array.from({ length: C }, () => rand() * scale));
}

const close = (got: number, want: number, rel = 1e-4, abs = 1e-5) =>
  expect(Math.abs(got - want)).toBeLessThanOrEqual(abs + rel * Math.abs(want));

describe('kd loss', () => {
  it('matches a scalar float64 reference', () => {
    for (const [B, C, scale, T] of [[1, 2, 1, 1], [5, 10, 4, 4], [8, 3, 10, 20], [3, 100, 2, 2]] as const) {
      const zs = randomLogits(B, C, scale, B * 7 + C);
      const zt = randomLogits(B, C, scale, B * 13 + C + 1);
      const got = kd(tf.tensor2d(zs), tf.tensor2d(zt), { temperature: T }).dataSync()[0];
      close(got, kdRef(zs, zt, T));
      const unscaled = kd(tf.tensor2d(zs), tf.tensor2d(zt), { temperature: T, scaleByT2: false }).dataSync()[0];
      close(unscaled, kdRef(zs, zt, T, false));
    }
  });

  it('is zero when student equals teacher and positive otherwise', () => {
    const z = tf.tensor2d(randomLogits(4, 10, 3, 1));
    expect(Math.abs(kd(z, z, { temperature: 4 }).dataSync()[0])).toBeLessThan(1e-6);
    expect(kd(z, tf.tensor2d(randomLogits(4, 10, 3, 2)), { temperature: 4 }).dataSync()[0]).toBeGreaterThan(0);
  });

  it('matches PyTorch values and gradients (test/fixtures/make_kd_fixtures.py)', () => {
    expect(fixtures.cases.length).toBeGreaterThan(30);
    for (const c of fixtures.cases) {
      const zs = tf.tensor2d(c.student);
      const zt = tf.tensor2d(c.teacher);
      const y = tf.tensor1d(c.labels, 'int32');
      close(kd(zs, zt, { temperature: c.temperature }).dataSync()[0], c.kd, 2e-4);
      close(crossEntropy(zs, y).dataSync()[0], c.ce, 2e-4);
      const loss = hinton({ temperature: c.temperature, alpha: c.alpha });
      close(loss({ studentLogits: zs, teacherLogits: zt, labels: y }).dataSync()[0], c.loss, 2e-4);
      const g = tf.grad((s: tf.Tensor) => loss({ studentLogits: s as tf.Tensor2D, teacherLogits: zt, labels: y }))(zs);
      const got = g.arraySync() as number[][];
      got.forEach((row, b) => row.forEach((v, k) => close(v, c.grad[b][k], 1e-3, 1e-5)));
    }
  });

  it('hinton with alpha = 0 is cross-entropy, with alpha = 1 is T²-scaled KD', () => {
    const zs = tf.tensor2d(randomLogits(6, 10, 3, 5));
    const zt = tf.tensor2d(randomLogits(6, 10, 3, 6));
    const y = tf.tensor1d([0, 1, 2, 3, 4, 9], 'int32');
    const ce = crossEntropy(zs, y).dataSync()[0];
    // Limits need neither the unused input: alpha 0 runs without a teacher, alpha 1 without labels.
    expect(hinton({ temperature: 20, alpha: 0 })({ studentLogits: zs, labels: y }).dataSync()[0]).toBeCloseTo(ce, 6);
    const soft = kd(zs, zt, { temperature: 20 }).dataSync()[0];
    expect(hinton({ temperature: 20, alpha: 1 })({ studentLogits: zs, teacherLogits: zt }).dataSync()[0]).toBeCloseTo(soft, 5);
    expect(() => hinton({ temperature: 2, alpha: 0.5 })({ studentLogits: zs, labels: y })).toThrow(/needs teacher logits/);
  });

  it('gradient of the unscaled soft term is (q_student − p_teacher) / T per example', () => {
    const B = 5;
    const zsA = randomLogits(B, 10, 4, 11);
    const ztA = randomLogits(B, 10, 4, 12);
    for (const T of [1, 3, 20]) {
      const g = tf.grad((s: tf.Tensor) => kd(s as tf.Tensor2D, tf.tensor2d(ztA), { temperature: T, scaleByT2: false }))(tf.tensor2d(zsA));
      const got = g.arraySync() as number[][];
      zsA.forEach((row, b) => {
        const q = softmax(row, T);
        const p = softmax(ztA[b], T);
        // The loss is a batch mean, so each example's gradient carries 1/B.
        q.forEach((qc, c) => close(got[b][c] * B, (qc - p[c]) / T, 1e-3, 1e-6));
      });
    }
  });

  it('at high temperature with zero-mean logits, the T²-scaled gradient approaches (z_s − z_t) / N', () => {
    const N = 10;
    const center = (rows: number[][]) => rows.map((r) => r.map((v) => v - r.reduce((a, b) => a + b, 0) / r.length));
    const zs = center(randomLogits(3, N, 2, 21));
    const zt = center(randomLogits(3, N, 2, 22));
    const relErr = (T: number) => {
      const g = tf.grad((s: tf.Tensor) => kd(s as tf.Tensor2D, tf.tensor2d(zt), { temperature: T }))(tf.tensor2d(zs));
      const got = (g.arraySync() as number[][]).flat().map((v) => v * 3); // per-example gradient
      const want = zs.flat().map((v, i) => (v - zt.flat()[i]) / N);
      const num = Math.hypot(...got.map((v, i) => v - want[i]));
      return num / Math.hypot(...want);
    };
    const e8 = relErr(8);
    const e20 = relErr(20);
    expect(e20).toBeLessThan(0.05);
    expect(e8).toBeLessThan(0.25);
    expect(e20).toBeLessThan(e8); // the approximation tightens as T grows
  });

  it('rejects mismatched shapes with both shapes in the message', () => {
    expect(() => kd(tf.zeros([32, 10]) as tf.Tensor2D, tf.zeros([32, 100]) as tf.Tensor2D, { temperature: 2 })).toThrow(
      'kd teacher logits: expected logits [32, 10], got [32, 100]',
    );
    expect(() => crossEntropy(tf.zeros([4, 10]) as tf.Tensor2D, tf.zeros([3], 'int32') as tf.Tensor1D)).toThrow('expected [4], got [3]');
  });
});
