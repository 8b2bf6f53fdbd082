import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, it } from 'vitest';
import { rand, same, useNative } from './testing.js';

beforeAll(() => useNative());

const size = (s: number[]) => s.reduce((p, q) => p * q, 1);
const t = (shape: number[], seed: number) => tf.tensor(rand(size(shape), seed, 2), shape);

const cases: [number[], number | number[] | null][] = [
  [[], null], [[5], null], [[5], 0], [[0, 3], 1], [[3, 0], 1], [[3, 4, 5], 0], [[3, 4, 5], 1], [[3, 4, 5], -1],
  [[3, 4, 5], [0, 2]], [[3, 4, 5], [1, 2]], [[3, 4, 5], [0, 1]], [[2, 1, 3], 1], [[2, 3, 1, 4, 5], [1, 3]],
  [[70003], null], [[300, 301], 0], [[300, 301], 1], [[128, 800], 0],
];

describe('reductions', () => {
  const ops = { Sum: tf.sum, Max: tf.max, Min: tf.min, Mean: tf.mean, Prod: tf.prod } as const;
  for (const [name, fn] of Object.entries(ops)) {
    it(name, async () => {
      for (const [shape, axis] of cases) {
        if ((name === 'Max' || name === 'Min' || name === 'Mean') && size(shape) === 0) continue;
        for (const keepDims of [false, true]) {
          await same(() => fn(name === 'Prod' ? tf.add(tf.mul(t(shape, 2), 0.01), 1) : t(shape, 1), axis ?? undefined, keepDims), 1e-5, 1e-5, `${name} ${JSON.stringify(shape)} axis ${JSON.stringify(axis)} keep ${keepDims}`);
        }
      }
    });
  }
  it('NaN and Inf propagate', async () => {
    const x = () => tf.tensor2d([[1, NaN, 3], [Infinity, 2, -1], [-Infinity, 0, 5], [4, 4, NaN]]);
    await same(() => [tf.sum(x(), 1), tf.max(x(), 1), tf.min(x(), 0), tf.mean(x(), 0), tf.max(x(), 0), tf.prod(x(), 1)]);
  });
  it('int32 sum takes the cpu path', async () => {
    await same(() => tf.sum(tf.tensor2d([[1, 2], [3, 4]], [2, 2], 'int32'), 0));
  });
  it('gradients', async () => {
    const f = (x: tf.Tensor) => tf.add(tf.sum(tf.mul(tf.max(x, 1, true), x)), tf.mean(tf.square(x)));
    await same(() => tf.grads(f)([t([6, 7], 3)]), 1e-5, 1e-6);
  });
});

describe('softmax', () => {
  for (const shape of [[1], [5], [4, 10], [3, 2, 7], [128, 10], [2000, 33]]) {
    it(JSON.stringify(shape), async () => {
      await same(() => [tf.softmax(tf.mul(t(shape, 4), 5)), tf.logSoftmax(tf.mul(t(shape, 4), 5))], 1e-5, 1e-6);
    });
  }
  it('NaN row', async () => {
    await same(() => tf.softmax(tf.tensor2d([[1, NaN, 2], [1, 2, 3]])));
  });
  it('gradients', async () => {
    const f = (x: tf.Tensor) => tf.sum(tf.mul(tf.softmax(x), t([8, 10], 9)));
    await same(() => tf.grads(f)([t([8, 10], 3)]), 1e-5, 1e-6);
  });
});

describe('transpose', () => {
  const perms: [number[], number[]][] = [
    [[0], [0]], [[3], [0]], [[3, 4], [1, 0]], [[0, 4], [1, 0]], [[2, 3, 4], [2, 0, 1]], [[2, 3, 4], [0, 2, 1]],
    [[2, 3, 4, 5], [3, 1, 2, 0]], [[1, 5, 1, 3], [2, 3, 0, 1]], [[300, 257], [1, 0]], [[2, 3, 2, 3, 2, 3], [5, 4, 3, 2, 1, 0]],
  ];
  for (const [shape, perm] of perms) {
    it(`${JSON.stringify(shape)} perm ${JSON.stringify(perm)}`, async () => {
      await same(() => tf.transpose(t(shape, 5), perm), 0, 0);
    });
  }
  it('gradients', async () => {
    await same(() => tf.grads((x: tf.Tensor) => tf.sum(tf.mul(tf.transpose(x, [1, 0, 2]), t([4, 3, 5], 2))))([t([3, 4, 5], 1)]));
  });
});
