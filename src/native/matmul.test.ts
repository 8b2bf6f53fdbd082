import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, it } from 'vitest';
import { rand, same, useNative } from './testing.js';

beforeAll(() => useNative());

const t = (shape: number[], seed: number) => tf.tensor(rand(shape.reduce((p, q) => p * q, 1), seed), shape);

// [M, K, N]
const sizes = [[1, 1, 1], [0, 3, 4], [3, 0, 4], [3, 4, 0], [7, 13, 5], [33, 65, 17], [64, 200, 130], [1, 300, 1]];

describe('BatchMatMul', () => {
  for (const [m, k, n] of sizes) {
    for (const [ta, tb] of [[false, false], [true, false], [false, true], [true, true]]) {
      it(`[${m},${k}]x[${k},${n}] ta=${ta} tb=${tb}`, async () => {
        await same(() => tf.matMul(t(ta ? [k, m] : [m, k], 1), t(tb ? [n, k] : [k, n], 2), ta, tb), 1e-4, 1e-4);
      });
    }
  }
  const batched: [number[], number[]][] = [
    [[2, 3, 5, 7], [2, 3, 7, 4]],
    [[1, 5, 7], [4, 7, 3]],
    [[4, 5, 7], [1, 7, 3]],
    [[6, 9, 11], [6, 11, 2]],
    [[0, 2, 3], [0, 3, 4]],
  ];
  for (const [as, bs] of batched) {
    it(`batched ${JSON.stringify(as)} x ${JSON.stringify(bs)}`, async () => {
      await same(() => tf.matMul(t(as, 3), t(bs, 4)), 1e-4, 1e-4);
    });
  }
  it('propagates NaN and Inf', async () => {
    await same(() => tf.matMul(tf.tensor2d([[NaN, 1], [2, 3], [Infinity, 0]]), tf.tensor2d([[1, 2], [3, 4]])));
  });
  it('gradients', async () => {
    await same(() => tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(tf.matMul(a, b, false, true), t([9, 6], 7))))([t([9, 13], 5), t([6, 13], 6)]), 1e-4, 1e-4);
  });
});

describe('_FusedMatMul', () => {
  const acts = ['linear', 'relu', 'relu6', 'elu', 'leakyrelu', 'sigmoid', 'prelu'] as const;
  for (const activation of acts) {
    for (const biasShape of [null, [11], [1, 11], [9, 11], [9, 1], [1]]) {
      it(`${activation} bias ${JSON.stringify(biasShape)}`, async () => {
        await same(() => tf.fused.matMul({
          a: t([9, 13], 1), b: t([13, 11], 2), bias: biasShape ? tf.mul(t(biasShape, 3), 3) : undefined,
          activation, preluActivationWeights: activation === 'prelu' ? t([11], 4) : undefined, leakyreluAlpha: 0.3,
        }), 1e-4, 1e-4);
      });
    }
  }
  it('transposed operands, batch dims', async () => {
    await same(() => tf.fused.matMul({ a: t([2, 13, 9], 1), b: t([2, 11, 13], 2), transposeA: true, transposeB: true, bias: t([11], 3), activation: 'relu' }), 1e-4, 1e-4);
  });
  it('gradients through bias and relu', async () => {
    const f = (a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) =>
      tf.sum(tf.square(tf.fused.matMul({ a: a as tf.Tensor2D, b: b as tf.Tensor2D, bias: c, activation: 'relu' })));
    await same(() => tf.grads(f)([t([9, 13], 1), t([13, 11], 2), t([11], 3)]), 1e-4, 1e-4);
  });
});
