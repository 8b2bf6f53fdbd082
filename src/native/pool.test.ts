import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { hinton } from '../losses/hinton.js';
import { buildMlp } from '../models/mlp.js';
import type { NativeBackend } from './backend.js';
import { rand, useNative } from './testing.js';

const N = 1 << 14; // above the pool's minimum size

const backend = (): NativeBackend => tf.backend() as NativeBackend;

/** A native kernel output of N elements (recyclable storage). */
const fresh = (seed: number): tf.Tensor => tf.tidy(() => tf.add(tf.tensor(rand(N, seed)), 1));

describe('native buffer pool', () => {
  beforeAll(async () => {
    useNative();
    await tf.setBackend('native');
  });

  it('recycles the storage of disposed kernel outputs', () => {
    const a = tf.tensor(rand(N, 1));
    tf.tidy(() => { tf.relu(a); }); // warm: one N buffer in the free list
    const before = { ...backend().stats };
    for (let i = 0; i < 10; i++) tf.tidy(() => { tf.relu(a); });
    expect(backend().stats.misses - before.misses).toBe(0);
    expect(backend().stats.hits - before.hits).toBe(10);
    a.dispose();
  });

  it('never recycles storage a user read (dataSync, data, arraySync)', async () => {
    const t1 = fresh(1);
    const t2 = fresh(2);
    const t3 = fresh(3);
    const v1 = t1.dataSync();
    const v2 = await t2.data();
    const v3 = t3.arraySync() as number[];
    const c1 = v1.slice();
    const c2 = v2.slice();
    tf.dispose([t1, t2, t3]);
    const live = Array.from({ length: 8 }, (_, i) => tf.tidy(() => tf.mul(tf.tensor(rand(N, 10 + i)), -3)));
    expect(live.some((t) => (backend().f32(t) as unknown) === v1 || (backend().f32(t) as unknown) === v2)).toBe(false);
    expect(Array.from(v1)).toEqual(Array.from(c1));
    expect(Array.from(v2)).toEqual(Array.from(c2));
    expect(v3[5]).toBeCloseTo(rand(N, 3)[5] + 1, 6);
    tf.dispose(live);
  });

  it('keeps storage shared by reshape alive until its last view is disposed', () => {
    const t = fresh(4);
    const r = tf.reshape(t, [128, N / 128]);
    const expected = rand(N, 4).map((v) => Math.fround(v + 1));
    t.dispose();
    const others = Array.from({ length: 4 }, (_, i) => fresh(20 + i));
    expect(Array.from(r.dataSync())).toEqual(Array.from(expected));
    tf.dispose([r, ...others]);
  });

  it('does not recycle storage that an inherited cpu kernel may view (slice returns a subarray)', () => {
    const t = fresh(5);
    const s = tf.slice(t, [0], [N / 2]); // cpu kernel; a view of t's storage
    const expected = rand(N, 5).slice(0, N / 2).map((v) => Math.fround(v + 1));
    t.dispose();
    const others = Array.from({ length: 4 }, (_, i) => fresh(30 + i));
    expect(Array.from(s.dataSync())).toEqual(Array.from(expected));
    tf.dispose([s, ...others]);
  });

  it('keeps numTensors flat and RSS bounded over 1000 KD training steps', () => {
    const model = buildMlp({ inputSize: 64, hidden: [256, 256], classes: 10 });
    const optimizer = tf.train.adam(1e-3);
    const loss = hinton({ temperature: 4, alpha: 0.9 });
    const B = 64;
    const x = tf.tensor(rand(B * 64, 7), [B, 64]);
    const teacherLogits = tf.tensor(rand(B * 10, 8, 4), [B, 10]) as tf.Tensor2D;
    const labels = tf.tensor1d(Array.from({ length: B }, (_, i) => i % 10), 'int32');
    const step = (): number => {
      const cost = optimizer.minimize(() => loss({ studentLogits: model.apply(x, { training: true }) as tf.Tensor2D, teacherLogits, labels }), true)!;
      const v = cost.dataSync()[0];
      cost.dispose();
      return v;
    };
    for (let i = 0; i < 50; i++) step();
    const tensors = tf.memory().numTensors;
    const misses = backend().stats.misses;
    const rss = process.memoryUsage().rss;
    let last = 0;
    for (let i = 0; i < 1000; i++) last = step();
    expect(Number.isFinite(last)).toBe(true);
    expect(tf.memory().numTensors).toBe(tensors);
    expect(backend().stats.misses - misses).toBe(0); // steady state: every buffer is a recycled one
    expect(backend().pooledBytes()).toBeLessThan(64 * 1024 * 1024);
    expect(process.memoryUsage().rss - rss).toBeLessThan(128 * 1024 * 1024);
    tf.dispose([x, teacherLogits, labels]);
    optimizer.dispose();
    model.layers.forEach((l) => l.dispose());
  }, 120_000);
});
