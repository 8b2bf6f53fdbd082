import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, it } from 'vitest';
import { BINARY, UNARY } from './ops.js';
import { rand, same, useNative } from './testing.js';

beforeAll(() => useNative());

const size = (s: number[]) => s.reduce((p, q) => p * q, 1);
/** Random values with NaN, ±Inf, 0 and -0 mixed in. */
const special = (shape: number[], seed: number, scale = 3) => {
  const v = rand(size(shape), seed, scale);
  const extras = [NaN, Infinity, -Infinity, 0, -0];
  for (let i = 0; i < v.length; i += 7) v[i] = extras[(i / 7) % extras.length];
  return tf.tensor(v, shape);
};

const pairs: [number[], number[]][] = [
  [[], []], [[5], [5]], [[0], [0]], [[0, 3], [3]], [[1], [7]], [[7], [1]], [[3, 1], [1, 4]], [[2, 3, 4], [4]],
  [[2, 3, 4], [3, 1]], [[2, 1, 4], [1, 3, 1]], [[5, 1, 1, 2], [5, 3, 2, 1]], [[4], [2, 3, 4]],
  [[100003], [100003]], [[1], [100003]], [[301, 257], [257]], [[301, 257], [301, 1]], [[3, 2, 5, 7, 2, 3, 2], [7, 1, 3, 1]],
];

describe('binary ops with broadcasting', () => {
  for (const op of Object.keys(BINARY)) {
    it(op, async () => {
      for (const [as, bs] of pairs) {
        const positiveBase = op === 'Pow';
        await same(() => tf.engine().runKernel(op, {
          a: positiveBase ? tf.abs(special(as, 1)) : special(as, 1), b: special(bs, 2),
        }) as tf.Tensor, 1e-6, 1e-6, `${op} ${JSON.stringify(as)} ${JSON.stringify(bs)}`);
      }
    });
  }
  it('int32 inputs take the cpu path', async () => {
    await same(() => tf.add(tf.tensor1d([1, 2, 3], 'int32'), tf.tensor1d([4, 5, 6], 'int32')));
  });
  it('gradients of broadcast ops', async () => {
    const f = (a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(tf.div(tf.add(a, b), tf.add(tf.square(b), 1)), tf.maximum(a, tf.sub(b, a))));
    await same(() => tf.grads(f)([tf.tensor(rand(60, 3), [3, 4, 5]), tf.tensor(rand(20, 4), [4, 5])]), 1e-5, 1e-5);
  });
});

describe('unary ops', () => {
  for (const op of Object.keys(UNARY)) {
    it(op, async () => {
      for (const shape of [[], [0], [1], [13], [4, 5, 3], [70001]]) {
        const attrs: tf.NamedAttrMap = op === 'Step' || op === 'LeakyRelu' ? { alpha: 0.25 } : {};
        await same(() => tf.engine().runKernel(op, { x: special(shape, 5) }, attrs) as tf.Tensor, 2e-6, 1e-6, `${op} ${JSON.stringify(shape)}`);
      }
    });
  }
  it('gradients', async () => {
    const f = (x: tf.Tensor) => tf.sum(tf.add(tf.mul(tf.exp(tf.neg(tf.square(x))), tf.relu(x)), tf.log(tf.add(tf.sqrt(tf.abs(x)), 1))));
    await same(() => tf.grads(f)([tf.tensor(rand(1000, 9), [10, 100])]), 1e-5, 1e-6);
  });
});
