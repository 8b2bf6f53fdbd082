import * as tf from '@tensorflow/tfjs-core';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../engine/backend.js';
import { readLlamaTokenizer } from '../models/llama/tokenizer.js';
import { sampleStories } from './data.js';
import { type LmTeacher, loadLmTeacher } from './teachers.js';

let llama: LmTeacher;
let tmp: string;
const inputs = [
  [1, 403, 407, 261, 378, 29, 1049 % 512, 300, 12],
  [1, 20, 30, 40, 50, 60, 70, 80, 90],
];
beforeAll(async () => {
  await selectBackend('cpu');
  llama = await loadLmTeacher({ checkpoint: 'models/stories260K/stories260K.bin' });
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'lm-teachers-'));
});
afterAll(() => {
  llama.dispose();
  fs.rmSync(tmp, { recursive: true, force: true });
});

const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
};

describe.each([
  ['onnx', { onnx: 'models/stories260K' }],
  ['transformers', { transformers: 'models/stories260K' }],
] as const)('the %s teacher adapter on the stories260K folder', (kind, spec) => {
  let other: LmTeacher;
  beforeAll(async () => {
    other = await loadLmTeacher(spec);
  });
  afterAll(() => other.dispose());

  it('gives the TF.js logits for a batch of two rows (max abs difference < 1e-4)', async () => {
    expect(other.kind).toBe(kind);
    expect(other).toMatchObject({ vocabSize: 512, nLayers: 5, dim: 64, seqLen: 512, hasHidden: false });
    const a = await llama.forward(inputs, false);
    const b = await other.forward(inputs, false);
    expect(b.logits.shape).toEqual([2, 9, 512]);
    expect(maxDiff(a.logits.dataSync(), b.logits.dataSync())).toBeLessThan(1e-4);
    tf.dispose([a.logits, b.logits]);
  });

  it('samples the same greedy story as the TF.js teacher', async () => {
    const tok = readLlamaTokenizer('models/stories260K/tok512.bin');
    const o = { count: 2, maxTokens: 20, temperature: 0, topP: 1, seed: 1, batch: 2 };
    const ours = await sampleStories(llama.sampler, tok, path.join(tmp, `${kind}-llama.jsonl`), o);
    const theirs = await sampleStories(other.sampler, tok, path.join(tmp, `${kind}.jsonl`), o);
    expect(theirs.stories).toEqual(ours.stories);
  });
});

describe('teacher loading errors', () => {
  it('name the missing file', async () => {
    await expect(loadLmTeacher({ onnx: path.join(tmp, 'nothing') })).rejects.toThrow(`${path.join(tmp, 'nothing', 'onnx', 'model.onnx')}: ONNX model not found`);
    fs.mkdirSync(path.join(tmp, 'noconfig', 'onnx'), { recursive: true });
    fs.copyFileSync('models/stories260K/onnx/model.onnx', path.join(tmp, 'noconfig', 'onnx', 'model.onnx'));
    await expect(loadLmTeacher({ transformers: path.join(tmp, 'noconfig') })).rejects.toThrow(`${path.join(tmp, 'noconfig', 'config.json')}: expected the model folder's config.json`);
    await expect(loadLmTeacher({ checkpoint: path.join(tmp, 'x.bin') })).rejects.toThrow(`${path.join(tmp, 'x.bin')}: cannot read checkpoint (ENOENT)`);
  });
});
