import * as tf from '@tensorflow/tfjs-core';
import fs from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { tmpDir, writeMiniMnist } from '../../test/helpers.js';
import { head, loadMnist, type Split } from '../data/mnist.js';
import { distill } from '../distill/loop.js';
import { selectBackend } from '../engine/backend.js';
import { Rng, setSeed } from '../engine/seed.js';
import { hinton } from '../losses/hinton.js';
import { buildMlp } from '../models/mlp.js';
import { buildTeacherCache, hashModel } from './cache.js';
import type { Teacher } from './teacher.js';

let train: Split;
beforeAll(async () => {
  await selectBackend('cpu');
  train = head(loadMnist({ dir: writeMiniMnist(tmpDir(), { train: 300, test: 10 }) }).train, 300);
});

/** A teacher that counts how many examples it has seen. */
function countingTeacher(classes = 10): Teacher & { calls: number } {
  setSeed(5);
  const w = tf.keep(tf.randomNormal([784, classes], 0, 0.5));
  const t = {
    calls: 0,
    logits(x: tf.Tensor2D) {
      t.calls += x.shape[0];
      return tf.matMul(x, w) as tf.Tensor2D;
    },
  };
  return t;
}

const logSoftmaxRow = (z: Float32Array) => {
  const m = Math.max(...z);
  const lse = m + Math.log(z.reduce((s, v) => s + Math.exp(v - m), 0));
  return Array.from(z, (v) => v - lse);
};

describe('offline teacher cache', () => {
  it('a second run makes zero teacher calls and gives identical losses', async () => {
    const dir = tmpDir();
    const teacher = countingTeacher();
    const trainWith = async (cache?: ReturnType<typeof buildTeacherCache>['cache']) => {
      setSeed(3);
      const student = buildMlp({ inputSize: 784, hidden: [16], classes: 10 });
      const r = await distill({ teacher, student, teacherCache: cache, data: train, loss: hinton({ temperature: 4, alpha: 0.8 }), epochs: 2, batchSize: 50, rng: new Rng(1) });
      return r.history.map((h) => h.loss);
    };
    const first = buildTeacherCache({ dir, teacher, teacherId: 'counting-v1', split: train });
    expect(first.computed).toBe(true);
    expect(teacher.calls).toBe(300);
    const lossesA = await trainWith(first.cache);
    expect(teacher.calls).toBe(300); // training read the cache, not the teacher
    first.cache.close();

    const second = buildTeacherCache({ dir, teacher, teacherId: 'counting-v1', split: train });
    expect(second.computed).toBe(false);
    const lossesB = await trainWith(second.cache);
    expect(teacher.calls).toBe(300);
    expect(lossesB).toEqual(lossesA);
    // Dense storage is exact: the same losses as soft targets computed in memory.
    const inMemory = await trainWith(undefined);
    expect(inMemory).toEqual(lossesA);
    // Another teacher or other data gets another cache entry.
    expect(buildTeacherCache({ dir, teacher, teacherId: 'counting-v2', split: train }).computed).toBe(true);
    expect(buildTeacherCache({ dir, teacher, teacherId: 'counting-v1', split: head(train, 299) }).computed).toBe(true);
  });

  it('top-k rows keep the k largest log-probabilities and the remaining mass; k=4 on MNIST is ≤ 50% of dense', () => {
    const dir = tmpDir();
    const teacher = countingTeacher();
    const dense = buildTeacherCache({ dir, teacher, teacherId: 't', split: train });
    const topk = buildTeacherCache({ dir, teacher, teacherId: 't', split: train, store: { format: 'topk', k: 4 } });
    const ratio = fs.statSync(topk.cache.file).size / fs.statSync(dense.cache.file).size;
    expect(ratio).toBeLessThanOrEqual(0.5);
    expect(ratio).toBeCloseTo(14 / 40, 6);
    const rows = [0, 17, 299];
    const exact = dense.cache.read(rows);
    const approx = topk.cache.read(rows);
    rows.forEach((_, i) => {
      const lp = logSoftmaxRow(exact.subarray(i * 10, (i + 1) * 10));
      const order = lp.map((v, c) => [v, c]).sort((a, b) => b[0] - a[0]);
      const got = approx.subarray(i * 10, (i + 1) * 10);
      for (const [v, c] of order.slice(0, 4)) expect(Math.abs(got[c] - v)).toBeLessThan(2e-3 * Math.max(1, Math.abs(v)));
      // The other six share the remaining mass evenly; total probability stays ≈ 1.
      const rest = order.slice(4).reduce((s, [v]) => s + Math.exp(v), 0);
      for (const [, c] of order.slice(4)) expect(Math.exp(got[c]) * 6).toBeCloseTo(Math.max(rest, Math.exp(-60)), 3);
      expect(Array.from(got).reduce((s, v) => s + Math.exp(v), 0)).toBeCloseTo(1, 2);
    });
  });

  it('a 512-class teacher with k=16 is ≤ 5% of dense', () => {
    const dir = tmpDir();
    const teacher = countingTeacher(512);
    const dense = buildTeacherCache({ dir, teacher, teacherId: 'big', split: head(train, 64) });
    const topk = buildTeacherCache({ dir, teacher, teacherId: 'big', split: head(train, 64), store: { format: 'topk', k: 16 } });
    const ratio = fs.statSync(topk.cache.file).size / fs.statSync(dense.cache.file).size;
    expect(ratio).toBeLessThanOrEqual(0.05);
    expect(topk.cache.classes).toBe(512);
    // Class ids above 255 survive (two-byte ids).
    const row = topk.cache.read([3]);
    const exact = logSoftmaxRow(dense.cache.read([3]));
    const best = exact.indexOf(Math.max(...exact));
    expect(Math.abs(row[best] - exact[best])).toBeLessThan(1e-2);
  });

  it('a corrupt cache file is detected by checksum, reported and recomputed', () => {
    const dir = tmpDir();
    const teacher = countingTeacher();
    const { cache } = buildTeacherCache({ dir, teacher, teacherId: 't', split: train });
    const good = cache.read([5]);
    cache.close();
    const bytes = fs.readFileSync(cache.file);
    bytes[5 * 40 + 3] ^= 0xff;
    fs.writeFileSync(cache.file, bytes);
    const warnings: string[] = [];
    const again = buildTeacherCache({ dir, teacher, teacherId: 't', split: train, onWarning: (m) => warnings.push(m) });
    expect(again.computed).toBe(true);
    expect(warnings).toEqual([`${cache.file}: teacher cache failed its checksum; recomputing`]);
    expect(Array.from(again.cache.read([5]))).toEqual(Array.from(good));
    expect(fs.readdirSync(dir).filter((f) => f.includes('.tmp-'))).toEqual([]);
  });

  it('hashModel changes when a weight changes', () => {
    setSeed(1);
    const m = buildMlp({ inputSize: 4, hidden: [3], classes: 2 });
    const a = hashModel(m);
    expect(hashModel(m)).toBe(a);
    const w = m.getWeights();
    m.setWeights([tf.add(w[0], 1e-3), ...w.slice(1)]);
    expect(hashModel(m)).not.toBe(a);
  });
});
