import * as tf from '@tensorflow/tfjs-core';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../engine/backend.js';
import { readLlamaCheckpoint } from '../models/llama/checkpoint.js';
import { type LlamaModel, disposeLlama, llamaFromCheckpoint } from '../models/llama/model.js';
import { createLlama, llamaTensors, makeTrainable, studentFromTeacher } from '../models/llama/trainable.js';
import { evaluateLm } from './eval.js';
import { type LmExample, type LmStepInfo, defaultAlignment, lmLearningRate, topKLogProbs, trainLm } from './train.js';

let teacher: LlamaModel;
let tmp: string;
beforeAll(async () => {
  await selectBackend('native');
  teacher = llamaFromCheckpoint(readLlamaCheckpoint('models/stories260K/stories260K.bin'));
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'lm-train-'));
});
afterAll(() => {
  disposeLlama(teacher);
  fs.rmSync(tmp, { recursive: true, force: true });
});

/** Short pseudo-random token sequences (BOS first). */
const data = (n: number, len: number, seed = 1): LmExample[] => {
  let s = seed;
  const next = () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32);
  return Array.from({ length: n }, () => ({ tokens: [1, ...Array.from({ length: len - 1 }, () => 3 + Math.floor(next() * 500))] }));
};
const tiny = { dim: 16, hiddenDim: 24, nLayers: 1, nHeads: 2, nKvHeads: 1, vocabSize: 512, seqLen: 64, sharedClassifier: true };

describe('LM training', () => {
  it('a student identical to the teacher starts at zero soft-target, JSD and cosine loss', async () => {
    const { model } = makeTrainable(studentFromTeacher(teacher, { layers: [0, 1, 2, 3, 4] }));
    const steps: LmStepInfo[] = [];
    await trainLm(model, data(4, 20), {
      steps: 1, batchSize: 2, seqLen: 16, lr: 1e-9, seed: 1, teacher, onStep: (s) => steps.push(s),
      loss: { softCe: { weight: 1, temperature: 2 }, jsd: { weight: 1, beta: 0.5, temperature: 1 }, hiddenCosine: { weight: 1 }, hardCe: 1 },
    });
    expect(steps[0].parts.softCe).toBeLessThan(1e-5);
    expect(steps[0].parts.jsd).toBeLessThan(1e-5);
    expect(steps[0].parts.hiddenCosine).toBeLessThan(1e-5);
    expect(steps[0].parts.hardCe).toBeGreaterThan(3); // random tokens are surprising to the teacher
    expect(steps[0].tokens).toBe(2 * 16);
    // Training the copy (in-place Adam on the native backend) leaves the teacher's weights as they were.
    const before = llamaTensors(teacher).map((t) => Array.from(t.dataSync()));
    await trainLm(model, data(4, 20), { steps: 3, batchSize: 2, seqLen: 16, lr: 1e-2, seed: 1, loss: { hardCe: 1 } });
    expect(llamaTensors(model).map((t) => Array.from(t.dataSync()))).not.toEqual(before);
    expect(llamaTensors(teacher).map((t) => Array.from(t.dataSync()))).toEqual(before);
    disposeLlama(model);
  });

  it('hard-label training learns a repeated pattern; the loss counts only positions from lossFrom on', async () => {
    const pattern = [1, 10, 20, 30, 40, 50, 60, 70, 80];
    const examples = Array.from({ length: 8 }, () => ({ tokens: pattern, lossFrom: 5 }));
    const { model } = makeTrainable(createLlama(tiny, 2));
    const seen: number[] = [];
    const r = await trainLm(model, examples, { steps: 80, batchSize: 4, seqLen: 16, lr: 3e-2, warmupSteps: 2, seed: 1, loss: { hardCe: 1 }, onStep: (s) => seen.push(s.tokens) });
    expect(seen.every((n) => n === 4 * 4)).toBe(true); // predictions of tokens 5..8 in each of 4 rows
    expect(r.losses[0]).toBeGreaterThan(5);
    expect(r.losses.at(-1)!).toBeLessThan(0.1);
    const ev = await evaluateLm(model, [{ tokens: pattern }], { seqLen: 16 });
    expect(ev.tokens).toBe(8);
    disposeLlama(model);
  });

  it('an interrupted run resumes from its checkpoint and ends with the same weights as an uninterrupted one', async () => {
    const examples = data(12, 30, 3);
    const opts = { steps: 6, batchSize: 3, seqLen: 12, lr: 3e-3, seed: 4, teacher, loss: { softCe: { weight: 1, temperature: 2 }, hardCe: 0.5 }, checkpointEvery: 3 };
    const a = makeTrainable(createLlama(tiny, 5)).model;
    const ra = await trainLm(a, examples, { ...opts, checkpointDir: path.join(tmp, 'a') });
    const b = makeTrainable(createLlama(tiny, 5)).model;
    const dir = path.join(tmp, 'b');
    await expect(
      trainLm(b, examples, { ...opts, checkpointDir: dir, onStep: (s) => { if (s.step === 5) throw new Error('killed'); } }),
    ).rejects.toThrow('killed');
    disposeLlama(b);
    const c = makeTrainable(createLlama(tiny, 99)).model; // different init: everything must come from the checkpoint
    const rc = await trainLm(c, examples, { ...opts, checkpointDir: dir });
    expect(rc.resumedFrom).toBe(3);
    expect(rc.losses).toEqual(ra.losses);
    const wa = llamaTensors(a).map((t) => Array.from(t.dataSync()));
    const wc = llamaTensors(c).map((t) => Array.from(t.dataSync()));
    expect(wc).toEqual(wa);
    disposeLlama(a);
    disposeLlama(c);
  });

  it('does not leak tensors per step', async () => {
    const { model } = makeTrainable(createLlama(tiny, 6));
    const counts: number[] = [];
    await trainLm(model, data(6, 20), {
      steps: 4, batchSize: 2, seqLen: 16, lr: 1e-3, seed: 1, teacher, loss: { softCe: { weight: 1, temperature: 2, topK: 8 }, hardCe: 1 },
      onStep: () => counts.push(tf.memory().numTensors),
    });
    expect(new Set(counts.slice(1)).size).toBe(1);
    disposeLlama(model);
  });

  it('rejects what it cannot train, in one line', async () => {
    const { model } = makeTrainable(createLlama(tiny, 7));
    const base = { steps: 1, batchSize: 1, seqLen: 8, lr: 1e-3, seed: 1 };
    await expect(trainLm(model, data(2, 10), { ...base, loss: { softCe: { weight: 1, temperature: 1 } } })).rejects.toThrow('loss: softCe, jsd and hiddenCosine need a teacher, got none');
    await expect(trainLm(model, data(2, 10), { ...base, loss: {} })).rejects.toThrow('loss: expected at least one of hardCe');
    await expect(trainLm(model, data(2, 10), { ...base, teacher, loss: { hiddenCosine: { weight: 1 } } })).rejects.toThrow('loss.hiddenCosine: expected student dim = teacher dim 64 (hidden states compared directly), got 16');
    await expect(trainLm(model, [{ tokens: [1, 600] }], { ...base, loss: { hardCe: 1 } })).rejects.toThrow('training data: expected token ids 0..511, got 600');
    await expect(trainLm(model, [{ tokens: [1] }], { ...base, loss: { hardCe: 1 } })).rejects.toThrow('expected at least one sequence of 2 or more tokens');
    await expect(trainLm(model, data(2, 10), { ...base, seqLen: 65, loss: { hardCe: 1 } })).rejects.toThrow("train.seqLen: expected at most the student's seq_len 64, got 65");
    disposeLlama(model);
  });
});

describe('LM training pieces', () => {
  it('top-k teacher log-probabilities keep the k largest exactly and spread the rest evenly', () => {
    const logits = tf.tensor2d([[3, 1, 0.5, -2, 0, 2]]);
    const full = tf.logSoftmax(logits).dataSync();
    const k6 = topKLogProbs(logits, 6).dataSync();
    full.forEach((v, i) => expect(k6[i]).toBeCloseTo(v, 6));
    const k2 = Array.from(topKLogProbs(logits, 2).dataSync());
    expect(k2[0]).toBeCloseTo(full[0], 6);
    expect(k2[5]).toBeCloseTo(full[5], 6);
    const rest = (1 - Math.exp(full[0]) - Math.exp(full[5])) / 4;
    for (const i of [1, 2, 3, 4]) expect(k2[i]).toBeCloseTo(Math.log(rest), 6);
    expect(k2.reduce((s, v) => s + Math.exp(v), 0)).toBeCloseTo(1, 6);
    expect(() => topKLogProbs(logits, 7)).toThrow('softCe.topK: expected an integer in 1..6, got 7');
    logits.dispose();
  });

  it('aligns the last student layer with the last teacher layer, the others proportionally', () => {
    expect(defaultAlignment(2, 5)).toEqual([[0, 2], [1, 4]]);
    expect(defaultAlignment(3, 6)).toEqual([[0, 1], [1, 3], [2, 5]]);
  });

  it('learning rate: linear warmup, then cosine decay to minLr at the last step', () => {
    const o = { lr: 1, minLr: 0.1, warmupSteps: 4, steps: 14 };
    expect(lmLearningRate(0, o)).toBeCloseTo(0.25);
    expect(lmLearningRate(3, o)).toBeCloseTo(1);
    expect(lmLearningRate(4, o)).toBeCloseTo(1);
    expect(lmLearningRate(9, o)).toBeCloseTo(0.55);
    expect(lmLearningRate(14, o)).toBeCloseTo(0.1);
  });
});
