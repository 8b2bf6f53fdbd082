import * as tf from '@tensorflow/tfjs-core';
import '../engine/setup.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { forwardKlRows, jsdRows, mseRef, randomLogits, reverseKlRef, reverseKlRows, tvdRef, type Rows } from '../../test/loss-reference.js';
import fixtures from '../../test/fixtures/losses.json' with { type: 'json' };
import { jsd } from './jsd.js';
import { kd } from './kd.js';
import { mseLogits } from './mse.js';
import { reverseKl } from './reverse-kl.js';
import { tvd } from './tvd.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const close = (got: number, want: number, rel = 2e-4, abs = 1e-5) => {
  expect(Number.isFinite(want), `reference ${want}`).toBe(true);
  expect(Math.abs(got - want), `got ${got}, want ${want}`).toBeLessThanOrEqual(abs + rel * Math.abs(want));
};
const closeRows = (got: number[][], want: number[][], rel = 1e-3, abs = 1e-5) =>
  got.forEach((row, b) => row.forEach((v, c) => close(v, want[b][c], rel, abs)));
const value = (t: tf.Tensor) => t.dataSync()[0];
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
type Loss2 = (zs: tf.Tensor2D, zt: tf.Tensor2D) => tf.Scalar;
const gradOf = (f: Loss2, zs: Rows, zt: Rows) =>
  tf.grad((s: tf.Tensor) => f(s as tf.Tensor2D, tf.tensor2d(zt)))(tf.tensor2d(zs)).arraySync() as number[][];

const SHAPES = [[1, 2, 1, 1], [5, 10, 4, 4], [8, 3, 10, 20], [3, 100, 2, 2]] as const; // B, C, scale, T

describe('logit losses against a scalar float64 reference', () => {
  it('mseLogits, reverseKl, tvd and jsd', () => {
    for (const [B, C, scale, T] of SHAPES) {
      const zs = randomLogits(B, C, scale, B * 7 + C);
      const zt = randomLogits(B, C, scale, B * 13 + C + 1);
      const [s, t] = [tf.tensor2d(zs), tf.tensor2d(zt)];
      close(value(mseLogits(s, t)), mseRef(zs, zt));
      close(value(reverseKl(s, t, { temperature: T })), reverseKlRef(zs, zt, T));
      close(value(reverseKl(s, t, { temperature: T, scaleByT2: false })), mean(reverseKlRows(zs, zt, T)));
      close(value(tvd(s, t, { temperature: T })), tvdRef(zs, zt, T));
      for (const beta of [0.1, 0.5, 0.9]) {
        close(value(jsd(s, t, { beta, temperature: T })), T * T * mean(jsdRows(zs, zt, beta, T)));
      }
    }
  });
});

describe('logit losses against PyTorch (test/fixtures/make_loss_fixtures.py)', () => {
  it('values and gradients w.r.t. the student logits', () => {
    expect(fixtures.logits.length).toBe(6);
    for (const c of fixtures.logits) {
      const T = c.temperature;
      const checks: [Loss2, { value: number; grad: number[][] }][] = [
        [(s, t) => mseLogits(s, t), c.mseLogits],
        [(s, t) => reverseKl(s, t, { temperature: T }), c.reverseKl],
        [(s, t) => tvd(s, t, { temperature: T }), c.tvd],
        ...c.jsd.map((j) => [(s: tf.Tensor2D, t: tf.Tensor2D) => jsd(s, t, { beta: j.beta, temperature: T }), j] as [Loss2, typeof j]),
      ];
      for (const [f, want] of checks) {
        close(value(f(tf.tensor2d(c.student), tf.tensor2d(c.teacher))), want.value);
        closeRows(gradOf(f, c.student, c.teacher), want.grad);
      }
    }
  });
});

describe('identities', () => {
  const zs = randomLogits(6, 10, 3, 5);
  const zt = randomLogits(6, 10, 3, 6);
  const [s, t] = [tf.tensor2d(zs), tf.tensor2d(zt)];

  it('jsd vanishes at first order near the ends: JSD_β/β → KL(p_t‖p_s), JSD_β/(1−β) → KL(p_s‖p_t)', () => {
    const eps = 1e-6;
    for (const T of [1, 4]) {
      const forward = mean(forwardKlRows(zs, zt, T)); // the unscaled `kd`
      const reverse = mean(reverseKlRows(zs, zt, T)); // the unscaled `reverseKl`
      // float64 reference: JSD_β = β·KL(p_t‖p_s) + O(β²)
      close(mean(jsdRows(zs, zt, eps, T)) / eps, forward, 1e-4, 0);
      close(mean(jsdRows(zs, zt, 1 - eps, T)) / eps, reverse, 1e-4, 0);
      // our float32 loss, with T² scaling shown explicitly: jsd(β = ε) ≈ ε · T² · KL(p_t‖p_s)
      const low = value(jsd(s, t, { beta: eps, temperature: T }));
      const high = value(jsd(s, t, { beta: 1 - eps, temperature: T }));
      close(low / (eps * T * T), forward, 1e-4, 0); // float32 log1p form: ~1e-5 off, all of it the O(β) term
      close(high / (eps * T * T), reverse, 1e-4, 0);
      close(value(jsd(s, t, { beta: eps, temperature: T, scaleByT2: false })) / eps, forward, 1e-4, 0);
    }
  });

  it('jsd endpoints are defined as the two KL directions (TRL): β = 0 is kd, β = 1 is reverseKl', () => {
    for (const T of [1, 4]) {
      expect(value(jsd(s, t, { beta: 0, temperature: T }))).toBe(value(kd(s, t, { temperature: T })));
      expect(value(jsd(s, t, { beta: 1, temperature: T }))).toBe(value(reverseKl(s, t, { temperature: T })));
      // so the loss jumps at the ends: at β = 1e-6 it is about 1e-6 of its value at β = 0
      const ratio = value(jsd(s, t, { beta: 1e-6, temperature: T })) / value(jsd(s, t, { beta: 0, temperature: T }));
      close(ratio, 1e-6, 2e-3, 0);
    }
  });

  it('jsd at β = ½ is symmetric and at most log 2; every jsd is 0 for identical inputs', () => {
    const a = value(jsd(s, t, { beta: 0.5, temperature: 1 }));
    close(value(jsd(t, s, { beta: 0.5, temperature: 1 })), a, 1e-5);
    expect(a).toBeLessThanOrEqual(Math.LN2);
    const far = tf.tensor2d([[50, 0, 0], [0, 0, 50]]);
    const farT = tf.tensor2d([[0, 50, 0], [50, 0, 0]]);
    close(value(jsd(far, farT, { beta: 0.5, temperature: 1 })), Math.LN2, 1e-5);
    for (const beta of [0, 0.3, 1]) expect(Math.abs(value(jsd(s, s, { beta, temperature: 2 })))).toBeLessThan(1e-6);
  });

  it('tvd lies in [0, 1]: 0 for identical inputs, → 1 for disjoint confident ones', () => {
    expect(Math.abs(value(tvd(s, s, { temperature: 3 })))).toBeLessThan(1e-7);
    for (const seed of [1, 2, 3, 4]) {
      const v = value(tvd(tf.tensor2d(randomLogits(4, 5, 20, seed)), tf.tensor2d(randomLogits(4, 5, 20, seed + 10)), { temperature: 1 }));
      expect(v).toBeGreaterThanOrEqual(0);
      expect(v).toBeLessThanOrEqual(1);
    }
    const one = value(tvd(tf.tensor2d([[60, 0, 0]]), tf.tensor2d([[0, 0, 60]]), { temperature: 1 }));
    close(one, 1, 1e-6);
  });

  it('reverseKl equals kd with student and teacher swapped', () => {
    close(value(reverseKl(s, t, { temperature: 3 })), value(kd(t, s, { temperature: 3 })), 1e-5);
  });

  it('at high temperature, T²·kd of zero-mean logits approaches ½·mseLogits', () => {
    const center = (rows: Rows) => rows.map((r) => r.map((v) => v - mean(r)));
    const [a, b] = [tf.tensor2d(center(zs)), tf.tensor2d(center(zt))];
    const half = value(mseLogits(a, b)) / 2;
    const rel = (T: number) => Math.abs(value(kd(a, b, { temperature: T })) - half) / half;
    expect(rel(50)).toBeLessThan(0.02);
    expect(rel(50)).toBeLessThan(rel(5));
  });
});

describe('bad input', () => {
  const s = tf.zeros([32, 10]) as tf.Tensor2D;
  const t = tf.zeros([32, 100]) as tf.Tensor2D;
  it('mismatched class counts show both shapes', () => {
    expect(() => mseLogits(s, t)).toThrow('mseLogits teacher logits: expected logits [32, 10], got [32, 100]');
    expect(() => reverseKl(s, t, { temperature: 2 })).toThrow('reverseKl teacher logits: expected logits [32, 10], got [32, 100]');
    expect(() => jsd(s, t, { beta: 0.5, temperature: 2 })).toThrow('jsd teacher logits: expected logits [32, 10], got [32, 100]');
    expect(() => tvd(s, t, { temperature: 2 })).toThrow('tvd teacher logits: expected logits [32, 10], got [32, 100]');
  });
  it('out-of-range options name the option, the range and the value', () => {
    expect(() => jsd(s, s, { beta: 1.5, temperature: 2 })).toThrow('jsd beta: expected number in [0, 1], got 1.5');
    expect(() => reverseKl(s, s, { temperature: 0 })).toThrow('reverseKl temperature: expected number > 0, got 0');
    expect(() => tvd(s, s, { temperature: -1 })).toThrow('tvd temperature: expected number > 0, got -1');
  });
});
