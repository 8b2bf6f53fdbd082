import * as tf from '@tensorflow/tfjs-core';
import '../engine/setup.js';
import { beforeAll, describe, expect, it } from 'vitest';
import fixtures from '../../test/fixtures/losses.json' with { type: 'json' };
import { dkdPartsRef, dkdRef, forwardKlRows, randomLogits } from '../../test/loss-reference.js';
import { dkd, dkdParts } from './dkd.js';
import { kd } from './kd.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const close = (got: number, want: number, rel = 2e-4, abs = 1e-5) => {
  expect(Number.isFinite(want), `reference ${want}`).toBe(true);
  expect(Math.abs(got - want), `got ${got}, want ${want}`).toBeLessThanOrEqual(abs + rel * Math.abs(want));
};
const labelsFor = (B: number, C: number) => Array.from({ length: B }, (_, b) => (b * 7 + 3) % C);

describe('dkd', () => {
  it('matches a scalar float64 reference, parts and total', () => {
    for (const [B, C, scale, T] of [[1, 2, 1, 1], [5, 10, 4, 4], [8, 3, 10, 2], [3, 100, 2, 2]] as const) {
      const zs = randomLogits(B, C, scale, B * 7 + C);
      const zt = randomLogits(B, C, scale, B * 13 + C + 1);
      const y = labelsFor(B, C);
      const [s, t, l] = [tf.tensor2d(zs), tf.tensor2d(zt), tf.tensor1d(y, 'int32')];
      const want = dkdPartsRef(zs, zt, y, T);
      const got = dkdParts(s, t, l, T);
      (got.tckd.arraySync() as number[]).forEach((v, b) => close(v, want.tckd[b]));
      (got.nckd.arraySync() as number[]).forEach((v, b) => close(v, want.nckd[b]));
      const opts = { alpha: 1, beta: 8, temperature: T };
      close(dkd(s, t, l, opts).dataSync()[0], dkdRef(zs, zt, y, opts));
    }
  });

  it('matches PyTorch values and gradients (test/fixtures/make_loss_fixtures.py)', () => {
    for (const c of fixtures.logits) {
      const [zt, y] = [tf.tensor2d(c.teacher), tf.tensor1d(c.labels, 'int32')];
      for (const d of c.dkd) {
        const opts = { alpha: d.alpha, beta: d.beta, temperature: c.temperature };
        close(dkd(tf.tensor2d(c.student), zt, y, opts).dataSync()[0], d.value);
        const g = tf.grad((s: tf.Tensor) => dkd(s as tf.Tensor2D, zt, y, opts))(tf.tensor2d(c.student)).arraySync() as number[][];
        g.forEach((row, b) => row.forEach((v, k) => close(v, d.grad[b][k], 1e-3)));
      }
    }
  });

  it('recombines to KD per example: KL(p_t‖p_s) = TCKD + (1 − p_t^target)·NCKD (DKD paper, §3.1)', () => {
    for (const [B, C, scale, T] of [[6, 10, 3, 1], [4, 5, 8, 4], [3, 50, 2, 2]] as const) {
      const zs = randomLogits(B, C, scale, C + 1);
      const zt = randomLogits(B, C, scale, C + 2);
      const y = labelsFor(B, C);
      const { tckd, nckd, teacherTarget } = dkdParts(tf.tensor2d(zs), tf.tensor2d(zt), tf.tensor1d(y, 'int32'), T);
      const [tc, nc, pt] = [tckd, nckd, teacherTarget].map((x) => x.arraySync() as number[]);
      const klRef = forwardKlRows(zs, zt, T);
      for (let b = 0; b < B; b++) {
        const recombined = tc[b] + (1 - pt[b]) * nc[b];
        const kdRow = kd(tf.tensor2d([zs[b]]), tf.tensor2d([zt[b]]), { temperature: T, scaleByT2: false }).dataSync()[0];
        close(recombined, kdRow, 2e-4);
        close(recombined, klRef[b], 2e-4);
      }
    }
  });

  it('with α = 1 and β = 1 − p_t^target (one example) it is exactly T²·KD', () => {
    const zs = randomLogits(1, 8, 3, 40);
    const zt = randomLogits(1, 8, 3, 41);
    const T = 3;
    const pt = dkdPartsRef(zs, zt, [2], T).pt[0];
    const got = dkd(tf.tensor2d(zs), tf.tensor2d(zt), tf.tensor1d([2], 'int32'), { alpha: 1, beta: 1 - pt, temperature: T });
    close(got.dataSync()[0], kd(tf.tensor2d(zs), tf.tensor2d(zt), { temperature: T }).dataSync()[0]);
  });

  it('stays finite when the teacher is certain of the target (1 − p_target below float32 resolution)', () => {
    const zs = tf.tensor2d([[1, 2, 3, 0]]);
    const zt = tf.tensor2d([[200, 0, 5, -3]]); // p_t^target = 1 − e^−195: 1 in float32
    const { tckd, nckd } = dkdParts(zs, zt, tf.tensor1d([0], 'int32'), 1);
    const want = dkdPartsRef([[1, 2, 3, 0]], [[200, 0, 5, -3]], [0], 1);
    close(nckd.dataSync()[0], want.nckd[0]); // the non-target distribution is still well defined
    expect(Number.isFinite(tckd.dataSync()[0])).toBe(true);
    close(tckd.dataSync()[0], want.tckd[0], 1e-3);
    const g = tf.grad((s: tf.Tensor) => dkd(s as tf.Tensor2D, zt, tf.tensor1d([0], 'int32'), { alpha: 1, beta: 8, temperature: 1 }))(zs);
    expect((g.dataSync() as Float32Array).every(Number.isFinite)).toBe(true);
  });

  it('rejects mismatched shapes with both shapes in the message', () => {
    const s = tf.zeros([4, 10]) as tf.Tensor2D;
    expect(() => dkd(s, tf.zeros([4, 12]) as tf.Tensor2D, tf.zeros([4], 'int32') as tf.Tensor1D, { alpha: 1, beta: 8, temperature: 4 })).toThrow(
      'dkd teacher logits: expected logits [4, 10], got [4, 12]',
    );
    expect(() => dkd(s, s, tf.zeros([3], 'int32') as tf.Tensor1D, { alpha: 1, beta: 8, temperature: 4 })).toThrow('dkd labels: expected [4], got [3]');
  });
});
