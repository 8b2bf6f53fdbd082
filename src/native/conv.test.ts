import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, it } from 'vitest';
import { rand, same, useNative } from './testing.js';

beforeAll(() => useNative());

const t = (shape: number[], seed: number) => tf.tensor(rand(shape.reduce((p, q) => p * q, 1), seed), shape);

// [x shape NHWC, filter HWIO, strides, pad, dilations]
type Case = [number[], number[], number | [number, number], 'same' | 'valid' | number, number];
const cases: Case[] = [
  [[1, 5, 5, 1], [3, 3, 1, 1], 1, 'same', 1],
  [[2, 7, 6, 3], [3, 2, 3, 4], 1, 'valid', 1],
  [[2, 9, 9, 2], [3, 3, 2, 5], 2, 'same', 1],
  [[1, 8, 7, 3], [2, 2, 3, 2], [2, 1], 'valid', 1],
  [[3, 10, 10, 2], [3, 3, 2, 3], 1, 'same', 2],
  [[2, 6, 6, 4], [1, 1, 4, 7], 1, 'valid', 1],
  [[1, 6, 6, 2], [3, 3, 2, 2], 1, 1, 1],
  [[0, 5, 5, 2], [3, 3, 2, 2], 1, 'same', 1],
  [[4, 28, 28, 1], [5, 5, 1, 8], 1, 'same', 1],
];

describe('Conv2D and its gradients', () => {
  for (const [xs, ws, strides, pad, dil] of cases) {
    it(`x ${JSON.stringify(xs)} w ${JSON.stringify(ws)} s ${strides} pad ${pad} d ${dil}`, async () => {
      await same(() => tf.conv2d(t(xs, 1) as tf.Tensor4D, t(ws, 2) as tf.Tensor4D, strides, pad, 'NHWC', dil), 1e-4, 1e-5);
      if (xs[0] === 0) return;
      const f = (x: tf.Tensor, w: tf.Tensor) => tf.sum(tf.square(tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, strides, pad, 'NHWC', dil)));
      if (dil === 1) await same(() => tf.grads(f)([t(xs, 3), t(ws, 4)]), 1e-4, 1e-4);
    });
  }
  it('propagates NaN', async () => {
    const x = () => tf.tensor4d([1, NaN, 2, 3, 4, 5, 6, 7, 8], [1, 3, 3, 1]);
    await same(() => tf.conv2d(x(), tf.ones([2, 2, 1, 1]) as tf.Tensor4D, 1, 'valid'));
  });
});
