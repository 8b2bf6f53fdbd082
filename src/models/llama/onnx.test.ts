import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../engine/backend.js';
import { readLlamaCheckpoint } from './checkpoint.js';
import { type LlamaModel, disposeLlama, llamaForward, llamaFromCheckpoint } from './model.js';
import { encode, readLlamaTokenizer } from './tokenizer.js';

let model: LlamaModel;
beforeAll(async () => {
  await selectBackend('cpu');
  model = llamaFromCheckpoint(readLlamaCheckpoint('models/stories260K/stories260K.bin'));
});
afterAll(() => disposeLlama(model));

/** Logits [T * V] of the Hugging Face-style ONNX export of the same model, run by onnxruntime-node. */
async function onnxLogits(tokens: number[]): Promise<Float32Array> {
  const session = await ort.InferenceSession.create('models/stories260K/onnx/model.onnx', { logSeverityLevel: 3 });
  const T = tokens.length;
  const i64 = (v: number[]) => new ort.Tensor('int64', BigInt64Array.from(v.map(BigInt)), [1, T]);
  const feeds: Record<string, ort.Tensor> = {
    input_ids: i64(tokens),
    attention_mask: i64(tokens.map(() => 1)),
    position_ids: i64(tokens.map((_, i) => i)),
  };
  for (let l = 0; l < 5; l++) {
    for (const kv of ['key', 'value']) feeds[`past_key_values.${l}.${kv}`] = new ort.Tensor('float32', new Float32Array(0), [1, 4, 0, 8]);
  }
  const out = await session.run(feeds);
  await session.release();
  return out.logits.data as Float32Array;
}

describe('stories260K: TF.js against the ONNX export', () => {
  it('gives the same logits as onnxruntime on the same tokens (max abs difference < 1e-4)', async () => {
    const tok = readLlamaTokenizer('models/stories260K/tok512.bin');
    const tokens = encode(tok, 'Once upon a time, there was a little dog named Max. He liked to run', { bos: true });
    const ours = llamaForward(model, tokens); // [T, V]
    const theirs = await onnxLogits(tokens);
    const a = ours.dataSync();
    ours.dispose();
    expect(theirs.length).toBe(a.length);
    let max = 0;
    let scale = 0;
    for (let i = 0; i < a.length; i++) {
      max = Math.max(max, Math.abs(a[i] - theirs[i]));
      scale = Math.max(scale, Math.abs(theirs[i]));
    }
    console.log(`stories260K TF.js vs ONNX: ${tokens.length} tokens, max |Δlogit| = ${max.toExponential(2)} (logits up to ${scale.toFixed(1)})`);
    expect(scale).toBeGreaterThan(1);
    expect(max).toBeLessThan(1e-4);
  });
});
