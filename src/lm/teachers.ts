/**
 * LM teachers: what distillation needs from a teacher language model, whatever runs it.
 *
 * - `llama2c`: a llama2.c checkpoint run by our TF.js Llama. Logits, hidden states, weights (a student
 *   can be initialized from its layers), KV-cache sampling.
 * - `onnx`: a Hugging Face-style ONNX export (inputs input_ids, attention_mask, position_ids,
 *   past_key_values.N.key/value) run by onnxruntime-node. Logits and KV-cache sampling; no hidden states.
 * - `transformers`: the same kind of folder (config.json + onnx/model.onnx) loaded by
 *   @huggingface/transformers with remote models disabled. Logits, and sampling by re-running the prefix.
 *
 * All three share the llama2.c tokenizer given in the config, so token ids mean the same thing.
 */
import * as tf from '@tensorflow/tfjs-core';
import fs from 'node:fs';
import path from 'node:path';
import { DistilleryError } from '../errors.js';
import { readLlamaCheckpoint } from '../models/llama/checkpoint.js';
import { type LlamaModel, disposeLlama, llamaForwardBatch, llamaFromCheckpoint } from '../models/llama/model.js';
import { type DecodeSession, type SamplableLm, samplableLlama } from './data.js';

export interface LmTeacher {
  id: string;
  kind: 'llama2c' | 'onnx' | 'transformers';
  vocabSize: number;
  seqLen: number;
  nLayers: number;
  dim: number;
  /** Whether `forward` can return hidden states (needed by hiddenCosine). */
  hasHidden: boolean;
  /** The weights, when the teacher is a TF.js Llama (needed to initialize a student from it). */
  llama?: LlamaModel;
  /** Logits [B, T, V] for B right-padded rows of T ids, and each layer's output [B, T, D] when asked. */
  forward(inputs: number[][], hidden: boolean): Promise<{ logits: tf.Tensor3D; hidden: tf.Tensor3D[] }>;
  sampler: SamplableLm;
  dispose(): void;
}

/** A TF.js Llama as a teacher. */
export function llamaTeacher(model: LlamaModel, id = 'llama'): LmTeacher {
  const c = model.config;
  return {
    id,
    kind: 'llama2c',
    vocabSize: c.vocabSize,
    seqLen: c.seqLen,
    nLayers: c.nLayers,
    dim: c.dim,
    hasHidden: true,
    llama: model,
    forward: async (inputs, hidden) => llamaForwardBatch(model, inputs, { hidden }),
    sampler: samplableLlama(model, id),
    dispose: () => disposeLlama(model),
  };
}

interface HfConfig {
  vocab_size: number;
  hidden_size: number;
  num_hidden_layers: number;
  num_attention_heads: number;
  num_key_value_heads?: number;
  max_position_embeddings: number;
}

function readHfConfig(dir: string): HfConfig {
  const file = path.join(dir, 'config.json');
  if (!fs.existsSync(file)) throw new DistilleryError('DATA_MISSING', `${file}: expected the model folder's config.json (Hugging Face layout), not found`);
  const c = JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<HfConfig>;
  for (const k of ['vocab_size', 'hidden_size', 'num_hidden_layers', 'num_attention_heads', 'max_position_embeddings'] as const) {
    if (!Number.isInteger(c[k])) throw new DistilleryError('MODEL', `${file}: expected an integer ${k}, got ${JSON.stringify(c[k])}`);
  }
  return c as HfConfig;
}

/** The ONNX file of a Hugging Face-style folder (onnx/model.onnx), or the file itself. */
function onnxFile(spec: string): { file: string; dir: string } {
  if (spec.endsWith('.onnx')) return { file: spec, dir: path.dirname(path.dirname(path.resolve(spec))) };
  return { file: path.join(spec, 'onnx', 'model.onnx'), dir: spec };
}

/**
 * An ONNX causal LM run by onnxruntime-node. `spec` is the model folder (config.json, onnx/model.onnx)
 * or the .onnx file inside such a folder.
 *
 * @example const t = await onnxLmTeacher('models/stories260K/hf')
 */
export async function onnxLmTeacher(spec: string): Promise<LmTeacher> {
  const { file, dir } = onnxFile(spec);
  if (!fs.existsSync(file)) throw new DistilleryError('DATA_MISSING', `${file}: ONNX model not found`);
  const c = readHfConfig(dir);
  const ort = await import('onnxruntime-node');
  const session = await ort.InferenceSession.create(file, { logSeverityLevel: 3 });
  const L = c.num_hidden_layers;
  const KVH = c.num_key_value_heads ?? c.num_attention_heads;
  const Hs = c.hidden_size / c.num_attention_heads;
  const i64 = (rows: number[][]) => new ort.Tensor('int64', BigInt64Array.from(rows.flat().map(BigInt)), [rows.length, rows[0].length]);
  type Past = Record<string, InstanceType<typeof ort.Tensor>>;
  const emptyPast = (B: number): Past => {
    const p: Past = {};
    for (let l = 0; l < L; l++) for (const kv of ['key', 'value']) p[`past_key_values.${l}.${kv}`] = new ort.Tensor('float32', new Float32Array(0), [B, KVH, 0, Hs]);
    return p;
  };
  const run = async (inputs: number[][], start: number, past: Past) => {
    const B = inputs.length;
    const T = inputs[0].length;
    const out = await session.run({
      input_ids: i64(inputs),
      attention_mask: i64(Array.from({ length: B }, () => new Array(start + T).fill(1))),
      position_ids: i64(Array.from({ length: B }, () => Array.from({ length: T }, (_, t) => start + t))),
      ...past,
    });
    const next: Past = {};
    for (let l = 0; l < L; l++) for (const kv of ['key', 'value']) next[`past_key_values.${l}.${kv}`] = out[`present.${l}.${kv}`];
    return { logits: out.logits.data as Float32Array, next };
  };
  const id = path.basename(path.resolve(dir));
  const sampler: SamplableLm = {
    id: `onnx:${id}`,
    vocabSize: c.vocab_size,
    seqLen: c.max_position_embeddings,
    startDecode(batch): DecodeSession {
      let past = emptyPast(batch);
      let pos = 0;
      return {
        async step(tokens) {
          const { logits, next } = await run(tokens.map((t) => [t]), pos, past);
          past = next;
          pos++;
          return logits;
        },
        dispose() {},
      };
    },
  };
  return {
    id: `onnx:${id}`,
    kind: 'onnx',
    vocabSize: c.vocab_size,
    seqLen: c.max_position_embeddings,
    nLayers: L,
    dim: c.hidden_size,
    hasHidden: false,
    async forward(inputs) {
      const { logits } = await run(inputs, 0, emptyPast(inputs.length));
      return { logits: tf.tensor3d(logits, [inputs.length, inputs[0].length, c.vocab_size]), hidden: [] };
    },
    sampler,
    dispose: () => void session.release(),
  };
}

/**
 * A causal LM folder loaded by @huggingface/transformers from local files only (env.allowRemoteModels =
 * false). Sampling re-runs the whole prefix each step (no cache), so it is slower than the others.
 *
 * @example const t = await transformersLmTeacher('models/stories260K/hf')
 */
export async function transformersLmTeacher(dir: string): Promise<LmTeacher> {
  const c = readHfConfig(dir);
  const { file } = onnxFile(dir);
  if (!fs.existsSync(file)) throw new DistilleryError('DATA_MISSING', `${file}: ONNX model not found (transformers.js loads onnx/model.onnx)`);
  const hf = await import('@huggingface/transformers');
  hf.env.allowRemoteModels = false;
  hf.env.allowLocalModels = true;
  hf.env.localModelPath = path.dirname(path.resolve(dir)) + path.sep;
  const name = path.basename(path.resolve(dir));
  let model: Awaited<ReturnType<typeof hf.AutoModelForCausalLM.from_pretrained>>;
  try {
    model = await hf.AutoModelForCausalLM.from_pretrained(name, { dtype: 'fp32', local_files_only: true });
  } catch (e) {
    throw new DistilleryError('MODEL', `${dir}: transformers.js cannot load the model (${(e as Error).message.split('\n')[0]})`);
  }
  const run = async (inputs: number[][]): Promise<Float32Array> => {
    const B = inputs.length;
    const T = inputs[0].length;
    const ids = new hf.Tensor('int64', BigInt64Array.from(inputs.flat().map(BigInt)), [B, T]);
    const mask = new hf.Tensor('int64', new BigInt64Array(B * T).fill(1n), [B, T]);
    const out = (await model({ input_ids: ids, attention_mask: mask })) as { logits: { data: Float32Array } };
    return out.logits.data;
  };
  const V = c.vocab_size;
  const sampler: SamplableLm = {
    id: `transformers:${name}`,
    vocabSize: V,
    seqLen: c.max_position_embeddings,
    startDecode(batch): DecodeSession {
      const rows: number[][] = Array.from({ length: batch }, () => []);
      return {
        async step(tokens) {
          tokens.forEach((t, b) => rows[b].push(t));
          const logits = await run(rows);
          const T = rows[0].length;
          const last = new Float32Array(batch * V);
          for (let b = 0; b < batch; b++) last.set(logits.subarray((b * T + T - 1) * V, (b * T + T) * V), b * V);
          return last;
        },
        dispose() {},
      };
    },
  };
  return {
    id: `transformers:${name}`,
    kind: 'transformers',
    vocabSize: V,
    seqLen: c.max_position_embeddings,
    nLayers: c.num_hidden_layers,
    dim: c.hidden_size,
    hasHidden: false,
    async forward(inputs) {
      const logits = await run(inputs);
      return { logits: tf.tensor3d(logits, [inputs.length, inputs[0].length, V]), hidden: [] };
    },
    sampler,
    dispose: () => void model.dispose(),
  };
}

/** Loads the teacher a config names. */
export async function loadLmTeacher(spec: { checkpoint: string } | { onnx: string } | { transformers: string }): Promise<LmTeacher> {
  if ('checkpoint' in spec) return llamaTeacher(llamaFromCheckpoint(readLlamaCheckpoint(spec.checkpoint)), path.basename(spec.checkpoint).replace(/\.bin$/, ''));
  if ('onnx' in spec) return onnxLmTeacher(spec.onnx);
  return transformersLmTeacher(spec.transformers);
}
