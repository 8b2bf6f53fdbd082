import * as tf from '@tensorflow/tfjs-core';
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../engine/backend.js';
import { readLlamaCheckpoint } from './checkpoint.js';
import { generate } from './generate.js';
import { type LlamaModel, disposeKvCache, disposeLlama, emptyKvCache, llamaForward, llamaFromCheckpoint, llamaStep } from './model.js';
import { type LlamaTokenizer, readLlamaTokenizer } from './tokenizer.js';

const REFERENCE =
  'Once upon a time, there was a little girl named Lily. She loved to play outside in the park. One day, she saw a big, red ball. She wanted to play with it, but it was too high.';

let model: LlamaModel;
let tok: LlamaTokenizer;
beforeAll(async () => {
  await selectBackend('cpu');
  model = llamaFromCheckpoint(readLlamaCheckpoint('models/stories260K/stories260K.bin'));
  tok = readLlamaTokenizer('models/stories260K/tok512.bin');
});
afterAll(() => disposeLlama(model));

const maxAbsDiff = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
};

describe('stories260K in TF.js', () => {
  it('greedy decoding from BOS reproduces llama2.c\'s reference story, leaking no tensors', () => {
    const before = tf.memory().numTensors;
    const { text, tokens } = generate(model, tok, { maxTokens: 70, temperature: 0 });
    expect(text.startsWith(REFERENCE)).toBe(true);
    expect(tokens[0]).toBe(1);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('matches the PyTorch float64 reference logits for a fixed prompt within 1e-4', () => {
    const ref = JSON.parse(fs.readFileSync('test/fixtures/llama-stories260K.json', 'utf8')) as { tokens: number[]; logits: number[][] };
    const logits = llamaForward(model, ref.tokens); // [T, V]
    expect(logits.shape).toEqual([ref.tokens.length, 512]);
    expect(maxAbsDiff(logits.dataSync(), ref.logits.flat())).toBeLessThan(1e-4);
    logits.dispose();
  });

  it('the full-sequence forward and KV-cache steps give the same logits', () => {
    const before = tf.memory().numTensors;
    const tokens = generate(model, tok, { prompt: 'Tom and his dog', maxTokens: 20, temperature: 0.8, seed: 5 }).tokens;
    const full = llamaForward(model, tokens); // [T, V]
    const cache = emptyKvCache(model);
    const steps = tokens.map((t) => llamaStep(model, cache, t)); // T × [V]
    const stacked = tf.stack(steps);
    expect(cache.length).toBe(tokens.length);
    expect(maxAbsDiff(full.dataSync(), stacked.dataSync())).toBeLessThan(1e-4);
    // A chunked prefill (two tokens, then the rest) agrees too.
    const cache2 = emptyKvCache(model);
    const a = llamaForward(model, tokens.slice(0, 2), cache2);
    const b = llamaForward(model, tokens.slice(2), cache2);
    const chunked = tf.concat([a, b]);
    expect(maxAbsDiff(full.dataSync(), chunked.dataSync())).toBeLessThan(1e-4);
    tf.dispose([full, stacked, chunked, ...steps, a, b]);
    disposeKvCache(cache);
    disposeKvCache(cache2);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('sampling is repeatable for a seed and differs across seeds', () => {
    const run = (seed: number) => generate(model, tok, { maxTokens: 30, temperature: 1, topP: 0.9, seed }).text;
    expect(run(1)).toBe(run(1));
    expect(new Set([run(1), run(2), run(3)]).size).toBeGreaterThan(1);
  });

  it('rejects out-of-range tokens and sequences longer than seq_len in one line', () => {
    expect(() => llamaForward(model, [512])).toThrow('llama forward: expected token ids 0..511, got 512');
    expect(() => llamaForward(model, new Array(513).fill(1))).toThrow('expected at most 512 positions, got 513');
  });
});
