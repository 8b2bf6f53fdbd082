import * as tf from '@tensorflow/tfjs-core';
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { tmpDir, writeMiniMnist } from '../../test/helpers.js';
import { head, loadMnist, type Split } from '../data/mnist.js';
import { selectBackend } from '../engine/backend.js';
import { Rng, setSeed } from '../engine/seed.js';
import { hinton } from '../losses/hinton.js';
import { hiddenCosine } from '../losses/cosine.js';
import { weightedSum } from '../losses/weighted-sum.js';
import { featureModel } from '../models/features.js';
import { buildMlp } from '../models/mlp.js';
import { distill } from './loop.js';

let train: Split;
beforeAll(async () => {
  await selectBackend('cpu');
  train = head(loadMnist({ dir: writeMiniMnist(tmpDir(), { train: 256, test: 10 }) }).train, 256);
});

const teacherFn = (x: tf.Tensor2D) => tf.matMul(x, tf.mul(tf.ones([784, 10]), 0.01)) as tf.Tensor2D; // fixed logits [B, 10]

describe('distill loop', () => {
  it('leaks no tensors: numTensors is the same after every epoch', async () => {
    setSeed(0);
    const student = buildMlp({ inputSize: 784, hidden: [16], classes: 10, dropout: 0.2 });
    const teacher = buildMlp({ inputSize: 784, hidden: [8], classes: 10 });
    const counts: number[] = [];
    const result = await distill({
      teacher,
      student,
      data: train,
      loss: hinton({ temperature: 4, alpha: 0.7 }),
      epochs: 4,
      batchSize: 50,
      jitter: 2, // teacher called per batch on the jittered inputs
      callbacks: { onEpochEnd: () => void counts.push(tf.memory().numTensors) },
    });
    expect(result.history).toHaveLength(4);
    expect(new Set(counts).size).toBe(1);
  });

  it('gradients reach only the student: teacher weights are unchanged', async () => {
    setSeed(1);
    const student = buildMlp({ inputSize: 784, hidden: [16], classes: 10 });
    const teacher = buildMlp({ inputSize: 784, hidden: [8], classes: 10, dropout: 0.5 });
    const before = teacher.getWeights().map((w) => Array.from(w.dataSync()));
    const sBefore = student.getWeights()[0].dataSync().slice();
    const res = await distill({ teacher, student, data: train, loss: hinton({ temperature: 2, alpha: 1 }), epochs: 3, batchSize: 64, jitter: 1 });
    teacher.getWeights().forEach((w, i) => expect(Array.from(w.dataSync())).toEqual(before[i]));
    expect(Array.from(student.getWeights()[0].dataSync())).not.toEqual(Array.from(sBefore));
    expect(res.history[2].loss).toBeLessThan(res.history[0].loss);
  });

  it('a killed run resumes from its last checkpoint and ends where an uninterrupted run ends', async () => {
    const run = async (epochs: number, dir: string) => {
      setSeed(7);
      const student = buildMlp({ inputSize: 784, hidden: [12], classes: 10, dropout: 0.3 });
      const r = await distill({
        teacher: teacherFn,
        student,
        data: train,
        loss: hinton({ temperature: 3, alpha: 0.5 }),
        epochs,
        batchSize: 64,
        rng: new Rng(99),
        checkpointDir: dir,
      });
      return { r, weights: student.getWeights().map((w) => Array.from(w.dataSync())) };
    };
    const full = await run(4, path.join(tmpDir(), 'ck'));
    const dir = path.join(tmpDir(), 'ck');
    const first = await run(2, dir); // "killed" after epoch 2
    expect(first.r.epochsRun).toBe(2);
    expect(JSON.parse(fs.readFileSync(path.join(dir, 'latest.json'), 'utf8'))).toEqual({ epoch: 2 });
    const resumed = await run(4, dir);
    expect(resumed.r.resumedFrom).toBe(2);
    expect(resumed.r.epochsRun).toBe(2);
    expect(resumed.r.history.map((h) => h.loss)).toEqual(full.r.history.map((h) => h.loss));
    resumed.weights.forEach((w, i) => w.forEach((v, k) => expect(v).toBeCloseTo(full.weights[i][k], 6)));
    expect(fs.readdirSync(dir).sort()).toEqual(['epoch-4', 'latest.json']);
  });

  it('rejects a student whose input width does not match the data', async () => {
    const student = buildMlp({ inputSize: 100, hidden: [4], classes: 10 });
    await expect(distill({ student, data: train, loss: hinton({ temperature: 1, alpha: 0 }), epochs: 1, batchSize: 8 })).rejects.toThrow(
      'student input: expected [-1, 784] for 784-feature data, got [-1, 100]',
    );
  });

  it('feature losses see named activations: hidden-state cosine pulls the student hidden layer towards the teacher', async () => {
    setSeed(4);
    const teacher = buildMlp({ inputSize: 784, hidden: [16], classes: 10 });
    const student = buildMlp({ inputSize: 784, hidden: [16], classes: 10 });
    const x = tf.tensor2d(train.images.subarray(0, 784 * 64), [64, 784]);
    const cosineGap = () =>
      tf.tidy(() => {
        const [, hs] = featureModel(student, ['hidden-1']).predict(x) as tf.Tensor[];
        const [, ht] = featureModel(teacher, ['hidden-1']).predict(x) as tf.Tensor[];
        return hiddenCosine(hs, ht).dataSync()[0];
      });
    const before = cosineGap();
    const loss = weightedSum([
      { loss: hinton({ temperature: 4, alpha: 1 }), weight: 1 },
      { loss: (i) => hiddenCosine(i.studentFeatures!['hidden-1'], i.teacherFeatures!['hidden-1']), weight: 1 },
    ]);
    await distill({ teacher, student, data: train, loss, epochs: 4, batchSize: 32, studentFeatures: ['hidden-1'], teacherFeatures: ['hidden-1'] });
    const after = cosineGap();
    expect(after).toBeLessThan(before / 2);
    await expect(
      distill({ teacher: (z: tf.Tensor2D) => z as tf.Tensor2D, student, data: train, loss, epochs: 1, batchSize: 32, teacherFeatures: ['hidden-1'] }),
    ).rejects.toThrow('teacher features: expected a TF.js layers-model teacher, got another kind of teacher (an ensemble or a function)');
    expect(() => featureModel(student, ['hidden-3'], 'student')).toThrow('student features: unknown activation "hidden-3", expected one of hidden-1');
  });
});
