import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { rand, same, useNative } from './testing.js';

beforeAll(() => useNative());

const t = (shape: number[], seed: number) => tf.tensor(rand(shape.reduce((p, q) => p * q, 1), seed, 2), shape);

describe('Concat (block copies)', () => {
  it('matches the cpu kernel on every axis, with empty inputs, many inputs and int32 (cpu path)', async () => {
    await same(() => tf.concat([t([2, 3], 1), t([2, 5], 2)], 1));
    await same(() => tf.concat([t([2, 3], 1), t([4, 3], 2), t([1, 3], 3)], 0));
    await same(() => tf.concat([t([4, 0, 8], 1), t([4, 3, 8], 2), t([4, 1, 8], 3)], 1)); // a KV cache growing from empty
    await same(() => tf.concat([t([2, 3, 4, 5], 1), t([2, 3, 4, 2], 2)], -1));
    await same(() => tf.concat(Array.from({ length: 12 }, (_, i) => t([3, 1, 2], i)), 1));
    await same(() => tf.concat([tf.tensor1d([1, 2], 'int32'), tf.tensor1d([3], 'int32')]));
  });
  it('its gradient splits back to each input', async () => {
    await same(() => {
      const a = t([3, 4], 1);
      const b = t([3, 2], 2);
      const g = tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.mul(tf.concat([x, y], 1), t([3, 6], 3))))([a, b]);
      return g;
    });
  });
});

describe('UnsortedSegmentSum (one scatter-add pass)', () => {
  it('matches the cpu kernel, repeated ids, ids out of range dropped, rank-3 rows', async () => {
    await same(() => tf.unsortedSegmentSum(t([6, 4], 1), tf.tensor1d([0, 2, 2, 5, 0, 1], 'int32'), 6));
    await same(() => tf.unsortedSegmentSum(t([5, 3, 2], 2), tf.tensor1d([1, 1, 1, 0, 3], 'int32'), 4));
    await same(() => tf.unsortedSegmentSum(t([3, 2], 3), tf.tensor1d([0, 7, -1], 'int32'), 2));
  });
  it('is what the gradient of an embedding lookup (gather) uses', async () => {
    await same(() => {
      const emb = t([50, 8], 4);
      const ids = tf.tensor1d([3, 7, 3, 49, 0, 3], 'int32');
      return tf.grad((e: tf.Tensor) => tf.sum(tf.mul(tf.gather(e, ids), t([6, 8], 5))))(emb);
    });
    expect(tf.getBackend()).toBe('native');
  });
});
