import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import '../engine/setup.js';
import { beforeAll, describe, expect, it } from 'vitest';
import fixtures from '../../test/fixtures/losses.json' with { type: 'json' };
import { attentionRef, cosineRef, hintRef, randomLogits } from '../../test/loss-reference.js';
import { setSeed } from '../engine/seed.js';
import { attentionTransfer } from './attention.js';
import { hiddenCosine } from './cosine.js';
import { hintMse, hintRegressor } from './hint.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const close = (got: number, want: number, rel = 2e-4, abs = 1e-5) => {
  expect(Number.isFinite(want), `reference ${want}`).toBe(true);
  expect(Math.abs(got - want), `got ${got}, want ${want}`).toBeLessThanOrEqual(abs + rel * Math.abs(want));
};
const closeFlat = (got: number[], want: number[], rel = 1e-3, abs = 1e-5) => {
  expect(got.length).toBe(want.length);
  got.forEach((v, i) => close(v, want[i], rel, abs));
};
const value = (t: tf.Tensor) => t.dataSync()[0];
const flat = (x: unknown): number[] => (Array.isArray(x) ? x.flatMap(flat) : [x as number]);
/** Nested NHWC [B][H][W][C] as [B][H·W][C], the layout of attentionRef. */
const pixels = (x: number[][][][]) => x.map((img) => img.flat());

describe('hintMse (FitNets)', () => {
  it('matches a scalar reference with a matrix regressor, on [B, D] and NHWC features', () => {
    for (const [lead, ds, dt] of [[[4], 6, 9], [[2, 3, 3], 4, 5]] as const) {
      const n = lead.reduce((a, b) => a * b, 1);
      const s = randomLogits(n, ds, 2, ds);
      const t = randomLogits(n, dt, 2, dt + 1);
      const W = randomLogits(ds, dt, 0.5, 3);
      const got = hintMse(tf.tensor(s.flat(), [...lead, ds]), tf.tensor(t.flat(), [...lead, dt]), tf.variable(tf.tensor2d(W)));
      close(value(got), hintRef(s, t, W, Array(dt).fill(0)));
    }
  });

  it('matches PyTorch values and gradients w.r.t. the student features and the regressor kernel', () => {
    for (const c of fixtures.hint) {
      const s = tf.tensor(c.student as never);
      const t = tf.tensor(c.teacher as never);
      const bias = tf.tensor1d(c.bias);
      // r(x) = x·W + bias on the last axis, W a differentiable input here
      const regressor = (w: tf.Tensor) => ({
        apply: (x: tf.Tensor) => tf.add(tf.reshape(tf.matMul(tf.reshape(x, [-1, w.shape[0]]), w), [...x.shape.slice(0, -1), w.shape[1]!]), bias),
      });
      const W = tf.tensor2d(c.kernel);
      close(value(hintMse(s, t, regressor(W))), c.value);
      const [gs, gw] = tf.grads((x: tf.Tensor, w: tf.Tensor) => hintMse(x, t, regressor(w)))([s, W]);
      closeFlat(Array.from(gs.dataSync()), flat(c.grad));
      closeFlat(Array.from(gw.dataSync()), flat(c.kernelGrad));
    }
  });

  it('hintRegressor trains: its variables reach the teacher features that a linear map can fit', () => {
    setSeed(3);
    const s = tf.tensor2d(randomLogits(16, 4, 1, 7));
    const target = tf.matMul(s, tf.tensor2d(randomLogits(4, 6, 1, 8))); // [16, 6], reachable by a linear map
    const r = hintRegressor(4, 6);
    expect(r.variables.map((v) => v.shape)).toEqual([[4, 6], [6]]);
    const opt = tf.train.adam(0.05);
    const before = value(hintMse(s, target, r));
    for (let i = 0; i < 300; i++) opt.minimize(() => hintMse(s, target, r), false, r.variables);
    expect(value(hintMse(s, target, r))).toBeLessThan(before * 1e-3);
  });

  it('accepts a TF.js dense layer as the regressor', () => {
    const dense = tfl.layers.dense({ units: 5, useBias: false, kernelInitializer: 'ones' });
    const s = tf.ones([2, 3, 3, 4]);
    close(value(hintMse(s, tf.fill([2, 3, 3, 5], 4), dense)), 0);
  });

  it('width mismatch without a regressor names both shapes and suggests one', () => {
    expect(() => hintMse(tf.zeros([8, 16]), tf.zeros([8, 32]))).toThrow(
      'hintMse student features: expected [8, 32] like the teacher\'s, got [8, 16] (pass a regressor, e.g. hintRegressor(16, 32))',
    );
    expect(() => hintMse(tf.zeros([8, 16]), tf.zeros([8, 32]), tf.zeros([10, 32]))).toThrow('hint regressor: expected matrix [16, Dt] for student width 16, got [10, 32]');
  });
});

describe('attentionTransfer', () => {
  it('matches a scalar reference for p = 1, 2, 3 (channel counts differ)', () => {
    const s = tf.randomNormal([3, 4, 5, 2], 0, 1, 'float32', 1);
    const t = tf.randomNormal([3, 4, 5, 7], 0, 1, 'float32', 2);
    for (const p of [1, 2, 3]) {
      const want = attentionRef(pixels(s.arraySync() as number[][][][]), pixels(t.arraySync() as number[][][][]), p);
      close(value(attentionTransfer(s as tf.Tensor4D, t as tf.Tensor4D, { p })), want);
    }
  });

  it('matches PyTorch values and gradients', () => {
    for (const c of fixtures.attention) {
      const t = tf.tensor4d(c.teacher);
      close(value(attentionTransfer(tf.tensor4d(c.student), t, { p: c.p })), c.value);
      const g = tf.grad((x: tf.Tensor) => attentionTransfer(x as tf.Tensor4D, t, { p: c.p }))(tf.tensor4d(c.student));
      closeFlat(Array.from(g.dataSync()), flat(c.grad));
    }
  });

  it('is 0 for maps with the same spatial attention, in [0, 2] otherwise, with finite gradients at 0', () => {
    const a = tf.randomNormal([2, 3, 3, 4], 0, 1, 'float32', 5) as tf.Tensor4D;
    expect(Math.abs(value(attentionTransfer(a, tf.mul(a, -3) as tf.Tensor4D)))).toBeLessThan(1e-6); // sign and scale vanish
    const g = tf.grad((x: tf.Tensor) => attentionTransfer(x as tf.Tensor4D, a))(a);
    expect(Array.from(g.dataSync()).every((v) => Number.isFinite(v) && Math.abs(v) < 1e-6)).toBe(true);
    const v = value(attentionTransfer(a, tf.randomNormal([2, 3, 3, 9], 0, 1, 'float32', 6) as tf.Tensor4D));
    expect(v).toBeGreaterThan(0);
    expect(v).toBeLessThanOrEqual(2);
  });

  it('spatial mismatch shows both shapes', () => {
    expect(() => attentionTransfer(tf.zeros([2, 8, 8, 16]) as tf.Tensor4D, tf.zeros([2, 4, 4, 32]) as tf.Tensor4D)).toThrow(
      "attentionTransfer student maps: expected [2, 4, 4, C] like the teacher's [2, 4, 4, 32], got [2, 8, 8, 16]",
    );
    expect(() => attentionTransfer(tf.zeros([2, 8]) as never, tf.zeros([2, 8, 8, 1]) as tf.Tensor4D)).toThrow('expected [B, H, W, C], got [2, 8]');
  });
});

describe('hiddenCosine (DistilBERT)', () => {
  it('matches a scalar reference on [B, D] and masked [B, T, D]', () => {
    const s = randomLogits(8, 5, 1, 1);
    const t = randomLogits(8, 5, 1, 2);
    close(value(hiddenCosine(tf.tensor2d(s), tf.tensor2d(t))), cosineRef(s, t));
    const mask = [1, 1, 0, 1, 1, 1, 0, 0];
    const got = hiddenCosine(tf.tensor3d(s.flat(), [2, 4, 5]), tf.tensor3d(t.flat(), [2, 4, 5]), { mask: tf.tensor2d(mask, [2, 4]) });
    close(value(got), cosineRef(s, t, mask));
  });

  it('matches PyTorch values and gradients (unmasked and masked)', () => {
    for (const c of fixtures.cosine) {
      const s = tf.tensor(c.student as never);
      const t = tf.tensor(c.teacher as never);
      const runs: [tf.Tensor | undefined, { value: number; grad: unknown }][] = [[undefined, c]];
      if ('mask' in c && c.masked) runs.push([tf.tensor(c.mask as never), c.masked]);
      for (const [mask, want] of runs) {
        close(value(hiddenCosine(s, t, { mask })), want.value);
        const g = tf.grad((x: tf.Tensor) => hiddenCosine(x, t, { mask }))(s);
        closeFlat(Array.from(g.dataSync()), flat(want.grad));
      }
    }
  });

  it('is 0 for identical (or positively scaled) inputs and 2 for opposite ones', () => {
    const h = tf.tensor3d(randomLogits(6, 8, 3, 9).flat(), [2, 3, 8]);
    expect(Math.abs(value(hiddenCosine(h, h)))).toBeLessThan(1e-6);
    expect(Math.abs(value(hiddenCosine(h, tf.mul(h, 2.5))))).toBeLessThan(1e-6);
    close(value(hiddenCosine(h, tf.neg(h))), 2, 1e-6);
  });

  it('shape mismatches show both shapes', () => {
    expect(() => hiddenCosine(tf.zeros([4, 7, 32]), tf.zeros([4, 7, 64]))).toThrow('hiddenCosine student hidden: expected [4, 7, 64], got [4, 7, 32]');
    expect(() => hiddenCosine(tf.zeros([4, 7, 8]), tf.zeros([4, 7, 8]), { mask: tf.zeros([4]) })).toThrow('hiddenCosine mask: expected [4, 7], got [4]');
  });
});
