import * as tf from '@tensorflow/tfjs-core';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../engine/backend.js';
import { readLlamaCheckpoint } from './checkpoint.js';
import { type LlamaModel, disposeLlama, llamaForward, llamaFromCheckpoint } from './model.js';
import { createLlama, llamaParams, llamaTensors, makeTrainable, studentConfig, studentFromTeacher, writeLlamaCheckpoint } from './trainable.js';

const FILE = 'models/stories260K/stories260K.bin';
let teacher: LlamaModel;
let tmp: string;
beforeAll(async () => {
  await selectBackend('cpu');
  teacher = llamaFromCheckpoint(readLlamaCheckpoint(FILE));
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'llama-train-'));
});
afterAll(() => {
  disposeLlama(teacher);
  fs.rmSync(tmp, { recursive: true, force: true });
});

const arr = (t: tf.Tensor) => Array.from(t.dataSync());
/** Rows [0, r) and columns [0, c) of a [R, C] tensor, as a flat array. */
const topLeft = (t: tf.Tensor, r: number, c: number) => {
  const [, C] = t.shape;
  const v = t.dataSync();
  const out: number[] = [];
  for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) out.push(v[i * C + j]);
  return out;
};

describe('student initialization from the teacher', () => {
  it('default depth is every other teacher layer (0, 2, 4 of 5), copied exactly, classifier tied', () => {
    const s = studentFromTeacher(teacher);
    expect(s.config.nLayers).toBe(3);
    const picked = [0, 2, 4];
    s.layers.forEach((layer, i) => {
      for (const k of ['rmsAtt', 'wq', 'wk', 'wv', 'wo', 'rmsFfn', 'w1', 'w2', 'w3'] as const) {
        expect(arr(layer[k])).toEqual(arr(teacher.layers[picked[i]][k]));
      }
    });
    expect(arr(s.tokenEmbedding)).toEqual(arr(teacher.tokenEmbedding));
    expect(arr(s.rmsFinal)).toEqual(arr(teacher.rmsFinal));
    expect(s.classifier).toBe(s.tokenEmbedding);
    disposeLlama(s);
  });

  it('an explicit layer list picks those layers; the teacher is left untouched', () => {
    const before = arr(teacher.layers[3].wq);
    const s = studentFromTeacher(teacher, { layers: [3, 1] });
    expect(arr(s.layers[0].wq)).toEqual(before);
    expect(arr(s.layers[1].w2)).toEqual(arr(teacher.layers[1].w2));
    disposeLlama(s);
    expect(arr(teacher.layers[3].wq)).toEqual(before); // disposing the student freed none of the teacher's storage
  });

  it('a narrower student keeps the documented top-left blocks: first D\' dims, first heads, first F\' units', () => {
    const s = studentFromTeacher(teacher, { layers: [1, 4], dim: 32 });
    // head size 8 kept: 4 query heads, 2 kv heads (2 query heads per kv head, as the teacher); F' = round(172·32/64) = 86
    expect(s.config).toMatchObject({ dim: 32, nHeads: 4, nKvHeads: 2, hiddenDim: 86, nLayers: 2, vocabSize: 512 });
    const t = teacher.layers[4];
    const l = s.layers[1];
    expect(arr(l.wq)).toEqual(topLeft(t.wq, 32, 32));
    expect(arr(l.wk)).toEqual(topLeft(t.wk, 16, 32));
    expect(arr(l.wv)).toEqual(topLeft(t.wv, 16, 32));
    expect(arr(l.wo)).toEqual(topLeft(t.wo, 32, 32));
    expect(arr(l.w1)).toEqual(topLeft(t.w1, 86, 32));
    expect(arr(l.w2)).toEqual(topLeft(t.w2, 32, 86));
    expect(arr(l.w3)).toEqual(topLeft(t.w3, 86, 32));
    expect(arr(l.rmsAtt)).toEqual(arr(t.rmsAtt).slice(0, 32));
    expect(arr(s.tokenEmbedding)).toEqual(topLeft(teacher.tokenEmbedding, 512, 32));
    const logits = llamaForward(s, [1, 403, 407]);
    expect(logits.shape).toEqual([3, 512]);
    tf.dispose(logits);
    disposeLlama(s);
  });

  it('rejects layers and widths the rule cannot build, in one line', () => {
    expect(() => studentConfig(teacher.config, { layers: [5] })).toThrow('student.layers: expected teacher layer indices 0..4, got 5');
    expect(() => studentConfig(teacher.config, { layers: [] })).toThrow('expected at least one teacher layer');
    expect(() => studentConfig(teacher.config, { dim: 24 })).toThrow('student.dim: expected a multiple of 16 (head size 8 × 2 query heads per kv head) up to 64, got 24');
    expect(() => studentConfig(teacher.config, { hiddenDim: 200 })).toThrow('student.hiddenDim: expected an integer in 1..172, got 200');
  });
});

describe('llama2.c files and parameter counts', () => {
  it('counts stories260K as the file holds it: every float but the RoPE tables', () => {
    const p = llamaParams(teacher.config);
    const floats = (fs.statSync(FILE).size - 28) / 4 - 512 * 8;
    expect(p.total).toBe(floats);
    expect(p.embedding).toBe(512 * 64);
    expect(p.nonEmbedding).toBe(5 * 45440 + 64);
    // 2 of 5 layers is 40.02% of the non-embedding parameters (the final norm is not per layer);
    // with the feed-forward cut to its first 168 of 172 units it is under 40%.
    expect(llamaParams({ ...teacher.config, nLayers: 2 }).nonEmbedding / p.nonEmbedding).toBeCloseTo(0.40017, 5);
    expect(llamaParams(studentConfig(teacher.config, { layers: [2, 4], hiddenDim: 168 }).config).nonEmbedding / p.nonEmbedding).toBeLessThanOrEqual(0.4);
  });

  it('writes stories260K back byte for byte in its weights; RoPE tables within float rounding', () => {
    const out = path.join(tmp, 'copy.bin');
    writeLlamaCheckpoint(teacher, out);
    const a = fs.readFileSync(FILE);
    const b = fs.readFileSync(out);
    expect(b.length).toBe(a.length);
    const ropeStart = 28 + 4 * llamaParams(teacher.config).total;
    expect(b.subarray(0, ropeStart).equals(a.subarray(0, ropeStart))).toBe(true);
    const fa = new Float32Array(a.buffer.slice(a.byteOffset + ropeStart, a.byteOffset + a.length));
    const fb = new Float32Array(b.buffer.slice(b.byteOffset + ropeStart, b.byteOffset + b.length));
    let max = 0;
    for (let i = 0; i < fa.length; i++) max = Math.max(max, Math.abs(fa[i] - fb[i]));
    expect(max).toBeLessThan(1e-4);
  });

  it('a random model is repeatable for a seed, trainable (variables, tied classifier kept), and round-trips through the file', () => {
    const c = { dim: 16, hiddenDim: 24, nLayers: 2, nHeads: 2, nKvHeads: 1, vocabSize: 512, seqLen: 32, sharedClassifier: true };
    const a = createLlama(c, 7);
    const b = createLlama(c, 7);
    expect(arr(a.layers[1].w2)).toEqual(arr(b.layers[1].w2));
    expect(arr(createLlama(c, 8).layers[1].w2)).not.toEqual(arr(a.layers[1].w2));
    disposeLlama(b);
    const { model, variables } = makeTrainable(a);
    expect(variables.length).toBe(1 + 9 * 2 + 1);
    expect(model.classifier).toBe(model.tokenEmbedding);
    expect(llamaTensors(model).every((t) => t instanceof tf.Variable)).toBe(true);
    const file = path.join(tmp, 'rand.bin');
    writeLlamaCheckpoint(model, file);
    const back = llamaFromCheckpoint(readLlamaCheckpoint(file));
    const x = llamaForward(model, [1, 5, 9]);
    const y = llamaForward(back, [1, 5, 9]);
    expect(arr(x)).toEqual(arr(y));
    tf.dispose([x, y]);
    disposeLlama(back);
    disposeLlama(model);
  });
});
