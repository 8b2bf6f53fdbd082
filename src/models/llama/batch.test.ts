import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../engine/backend.js';
import { Rng } from '../../engine/seed.js';
import { sampleBatch } from './batch.js';
import { readLlamaCheckpoint } from './checkpoint.js';
import { generate } from './generate.js';
import { type LlamaModel, disposeKvCache, disposeLlama, emptyKvCache, llamaForward, llamaForwardBatch, llamaFromCheckpoint } from './model.js';
import { type LlamaTokenizer, encode, readLlamaTokenizer } from './tokenizer.js';

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

describe('batched llama forward and sampling (stories260K)', () => {
  it('gives each row the logits of the single-sequence forward pass, with and without a cache', () => {
    const a = encode(tok, 'Once upon a time', { bos: true });
    const b = encode(tok, 'The cat sat down', { bos: true }).slice(0, a.length);
    const batch = llamaForwardBatch(model, [a, b]).logits;
    expect(batch.shape).toEqual([2, a.length, 512]);
    const rows = tf.unstack(batch);
    for (const [row, ids] of [[rows[0], a], [rows[1], b]] as const) {
      const one = llamaForward(model, ids);
      expect(maxAbsDiff(row.dataSync(), one.dataSync())).toBeLessThan(1e-4);
      one.dispose();
    }
    // Prefix then one token at a time through the cache: the same last-position logits.
    const cache = emptyKvCache(model, 2);
    llamaForwardBatch(model, [a.slice(0, 3), b.slice(0, 3)], { cache }).logits.dispose();
    let last: tf.Tensor3D | undefined;
    for (let t = 3; t < a.length; t++) {
      last?.dispose();
      last = llamaForwardBatch(model, [[a[t]], [b[t]]], { cache }).logits;
    }
    expect(cache.length).toBe(a.length);
    const want = tf.slice(batch, [0, a.length - 1, 0], [2, 1, 512]);
    expect(maxAbsDiff(last!.dataSync(), want.dataSync())).toBeLessThan(1e-4);
    disposeKvCache(cache);
    tf.dispose([batch, ...rows, last!, want]);
  });

  it('greedy rows equal generate(); sampling is repeatable per seed, stops at a stop string, records logprobs; no tensor leaks', () => {
    const before = tf.memory().numTensors;
    const ids = encode(tok, 'Once upon a time', { bos: true });
    const ref = generate(model, tok, { prompt: 'Once upon a time', maxTokens: 30, temperature: 0 });
    const [g1, g2] = sampleBatch(model, tok, [ids, ids], { maxTokens: 30, temperature: 0 });
    expect(g1.text).toBe(ref.text);
    expect(g1.ids).toEqual(ref.tokens.slice(ids.length));
    expect(g2.text).toBe(g1.text);
    expect(g1.finishReason).toBe('length');

    const draw = (seed: number) => sampleBatch(model, tok, [ids, ids, ids], { maxTokens: 25, temperature: 1, rng: new Rng(seed), topLogprobs: 3 });
    const s = draw(7);
    expect(draw(7).map((r) => r.text)).toEqual(s.map((r) => r.text));
    expect(new Set(s.map((r) => r.text)).size).toBeGreaterThan(1);
    for (const r of s) {
      expect(r.tokens).toHaveLength(r.ids.length);
      for (const t of r.tokens) {
        expect(t.logprob).toBeLessThanOrEqual(0);
        expect(t.top).toHaveLength(3);
        expect(t.top![0].logprob).toBeGreaterThanOrEqual(t.logprob);
      }
    }
    const [cut] = sampleBatch(model, tok, [ids], { maxTokens: 60, temperature: 0, stop: ['.'] });
    expect(cut.finishReason).toBe('stop');
    expect(ref.text.startsWith(cut.text)).toBe(true);
    expect(cut.text).not.toContain('.');
    expect(tf.memory().numTensors).toBe(before);
  });
});
