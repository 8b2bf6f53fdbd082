/**
 * Batched Llama forward pass and sampling: B sequences at the same positions go through the model as one
 * set of ops. At the sizes this project trains, per-op overhead dominates, so B samples of one prompt (or
 * B prompts of one token length) cost about as much time as one. The forward pass is made of plain
 * differentiable TF.js ops, so it also serves teacher-forced training when the weights are tf.Variables.
 */
import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '../../engine/seed.js';
import { DistilleryError } from '../../errors.js';
import { sampleToken } from './generate.js';
import type { LlamaModel } from './model.js';
import { BOS, type LlamaTokenizer, pieceBytes } from './tokenizer.js';

/** Keys and values per layer for B sequences, head-major: [B·KVH, S, Hs] each. */
export interface DecodeCache {
  k: tf.Tensor3D[];
  v: tf.Tensor3D[];
  /** Positions cached. */
  length: number;
}

const EPS = 1e-5;

function rmsNorm(x: tf.Tensor2D, weight: tf.Tensor1D): tf.Tensor2D {
  return tf.mul(tf.mul(x, tf.rsqrt(tf.add(tf.mean(tf.square(x), -1, true), EPS))), weight);
}

const linear = (x: tf.Tensor2D, w: tf.Tensor2D): tf.Tensor2D => tf.matMul(x, w, false, true);

/** cos and sin tables for positions start..start+T-1: [T, 1, Hs], each angle repeated for its pair. */
function ropeTables(start: number, T: number, headSize: number): [tf.Tensor3D, tf.Tensor3D] {
  const cos = new Float32Array(T * headSize);
  const sin = new Float32Array(T * headSize);
  for (let t = 0; t < T; t++) {
    for (let i = 0; i < headSize; i += 2) {
      const angle = (start + t) / Math.pow(10000, i / headSize);
      cos[t * headSize + i] = cos[t * headSize + i + 1] = Math.cos(angle);
      sin[t * headSize + i] = sin[t * headSize + i + 1] = Math.sin(angle);
    }
  }
  return [tf.tensor3d(cos, [T, 1, headSize]), tf.tensor3d(sin, [T, 1, headSize])];
}

/** x @ R maps each pair (x₀, x₁) of the last axis to (−x₁, x₀). [Hs, Hs] */
function pairRotation(headSize: number): tf.Tensor2D {
  const r = new Float32Array(headSize * headSize);
  for (let i = 0; i < headSize; i += 2) {
    r[(i + 1) * headSize + i] = -1;
    r[i * headSize + i + 1] = 1;
  }
  return tf.tensor2d(r, [headSize, headSize]);
}

/** RoPE on [B, T, H, Hs] with tables [T, 1, Hs]. */
function rope(x: tf.Tensor4D, cos: tf.Tensor3D, sin: tf.Tensor3D, rot: tf.Tensor2D): tf.Tensor4D {
  const [B, T, H, Hs] = x.shape;
  const rotated = tf.reshape(tf.matMul(tf.reshape(x, [B * T * H, Hs]), rot), [B, T, H, Hs]);
  return tf.add(tf.mul(x, cos), tf.mul(rotated, sin));
}

function causalMask(start: number, T: number, S: number): tf.Tensor2D {
  const m = new Float32Array(T * S);
  for (let t = 0; t < T; t++) for (let s = start + t + 1; s < S; s++) m[t * S + s] = -1e9;
  return tf.tensor2d(m, [T, S]);
}

/** An empty cache for `llamaForwardCached`. */
export function emptyDecodeCache(model: LlamaModel, batch: number): DecodeCache {
  const { dim, nHeads, nKvHeads } = model.config;
  const empty = () => tf.zeros([batch * nKvHeads, 0, dim / nHeads]) as tf.Tensor3D;
  return { k: model.layers.map(empty), v: model.layers.map(empty), length: 0 };
}

export function disposeDecodeCache(cache: DecodeCache): void {
  tf.dispose([...cache.k, ...cache.v]);
}

/**
 * Runs B sequences of T tokens (at positions cache.length onwards) through the model: logits [B, T, V].
 * With a cache, keys and values are appended to it (old tensors disposed); without one the sequences start
 * at position 0. Differentiable in the weights (used by teacher-forced training).
 *
 * @example
 * const logits = llamaForwardCached(model, [[1, 403, 407], [1, 403, 410]]); // [2, 3, 512]
 */
export function llamaForwardCached(model: LlamaModel, tokens: readonly (readonly number[])[] | tf.Tensor2D, cache?: DecodeCache): tf.Tensor3D {
  const c = model.config;
  const isTensor = tokens instanceof tf.Tensor;
  const [B, T] = isTensor ? (tokens as tf.Tensor2D).shape : [tokens.length, (tokens as number[][])[0]?.length ?? 0];
  const start = cache?.length ?? 0;
  if (B === 0 || T === 0) throw new DistilleryError('USAGE', `llama batch forward: expected tokens [B, T] with B, T ≥ 1, got [${B}, ${T}]`);
  if (start + T > c.seqLen) throw new DistilleryError('USAGE', `llama batch forward: expected at most ${c.seqLen} positions, got ${start + T}`);
  if (!isTensor) {
    for (const row of tokens as number[][]) {
      if (row.length !== T) throw new DistilleryError('USAGE', `llama batch forward: expected every row to have ${T} tokens, got ${row.length}`);
      const bad = row.find((t) => !Number.isInteger(t) || t < 0 || t >= c.vocabSize);
      if (bad !== undefined) throw new DistilleryError('USAGE', `llama batch forward: expected token ids 0..${c.vocabSize - 1}, got ${bad}`);
    }
  }
  const H = c.nHeads;
  const KVH = c.nKvHeads;
  const Hs = c.dim / H;
  const S = start + T;
  const newK: tf.Tensor3D[] = [];
  const newV: tf.Tensor3D[] = [];
  const logits = tf.tidy(() => {
    const [cos, sin] = ropeTables(start, T, Hs);
    const rot = pairRotation(Hs);
    const mask = causalMask(start, T, S);
    const ids = isTensor ? tf.reshape(tokens as tf.Tensor2D, [B * T]) : tf.tensor1d((tokens as number[][]).flat(), 'int32');
    // A one-hot matmul rather than a gather: the same rows, but its gradient is a matmul, where the gather's
    // (UnsortedSegmentSum) takes seconds per training step on the cpu and native backends.
    let x = tf.matMul(tf.oneHot(ids, c.vocabSize), model.tokenEmbedding) as tf.Tensor2D; // [BT, D]
    // Query heads that share a kv head are stacked along the time axis: [B·KVH, G·T, Hs] against keys [B·KVH, S, Hs].
    const G = H / KVH;
    const groupMask = G > 1 ? tf.reshape(tf.tile(tf.reshape(mask, [1, T, S]), [G, 1, 1]), [G * T, S]) : mask;
    const toHeads = (t: tf.Tensor, len: number) => tf.reshape(tf.transpose(tf.reshape(t, [B, len, KVH, Hs]), [0, 2, 1, 3]), [B * KVH, len, Hs]) as tf.Tensor3D;
    model.layers.forEach((layer, l) => {
      const h = rmsNorm(x, layer.rmsAtt);
      const q = rope(tf.reshape(linear(h, layer.wq), [B, T, H, Hs]), cos, sin, rot);
      const kNew = toHeads(rope(tf.reshape(linear(h, layer.wk), [B, T, KVH, Hs]), cos, sin, rot), T);
      const vNew = toHeads(linear(h, layer.wv), T);
      const kAll = cache && start > 0 ? tf.concat([cache.k[l], kNew], 1) : kNew; // [B·KVH, S, Hs]
      const vAll = cache && start > 0 ? tf.concat([cache.v[l], vNew], 1) : vNew;
      if (cache) {
        newK.push(tf.keep(kAll));
        newV.push(tf.keep(vAll));
      }
      // [B, T, KVH, G, Hs] → [B·KVH, G·T, Hs]
      const qg = tf.reshape(tf.transpose(tf.reshape(q, [B, T, KVH, G, Hs]), [0, 2, 3, 1, 4]), [B * KVH, G * T, Hs]);
      const scores = tf.add(tf.div(tf.matMul(qg, kAll, false, true), Math.sqrt(Hs)), groupMask); // [B·KVH, G·T, S]
      const att = tf.matMul(tf.softmax(scores), vAll); // [B·KVH, G·T, Hs]
      const merged = tf.reshape(tf.transpose(tf.reshape(att, [B, KVH, G, T, Hs]), [0, 3, 1, 2, 4]), [B * T, c.dim]) as tf.Tensor2D;
      x = tf.add(x, linear(merged, layer.wo));
      const g = rmsNorm(x, layer.rmsFfn);
      const gate = linear(g, layer.w1);
      x = tf.add(x, linear(tf.mul(tf.mul(gate, tf.sigmoid(gate)), linear(g, layer.w3)) as tf.Tensor2D, layer.w2));
    });
    return tf.reshape(linear(rmsNorm(x, model.rmsFinal), model.classifier), [B, T, c.vocabSize]) as tf.Tensor3D;
  });
  if (cache) {
    disposeDecodeCache(cache);
    cache.k = newK;
    cache.v = newV;
    cache.length = S;
  }
  return logits;
}

export interface SampledToken {
  id: number;
  /** log p(id) under the model (temperature 1, no nucleus). */
  logprob: number;
  /** The most likely tokens with their log-probabilities, best first (when asked for). */
  top?: { id: number; logprob: number }[];
}

export interface BatchSample {
  /** Generated ids (the prompt, the final BOS and a stop string's tokens excluded). */
  ids: number[];
  /** Generated text, cut before a stop string. */
  text: string;
  /** One entry per generated id. */
  tokens: SampledToken[];
  /** `stop`: BOS or a stop string; `length`: max tokens or the model's seq_len. */
  finishReason: 'stop' | 'length';
}

export interface BatchSampleOptions {
  maxTokens: number;
  /** 0 = greedy. */
  temperature: number;
  topP?: number;
  /** Random source for the draws (rows draw in order, so a seeded one makes the batch repeatable). */
  rng?: Rng;
  /** One random source per row instead: a row's draws then do not depend on the other rows. */
  rngs?: Rng[];
  /** Generation of a row ends when its text contains one of these (the text is cut before it). */
  stop?: string[];
  /** Top alternatives to record per token (0 = none). */
  topLogprobs?: number;
}

function logSoftmaxRow(logits: Float32Array, at: number, V: number): Float64Array {
  let max = -Infinity;
  for (let i = 0; i < V; i++) max = Math.max(max, logits[at + i]);
  let sum = 0;
  for (let i = 0; i < V; i++) sum += Math.exp(logits[at + i] - max);
  const logZ = max + Math.log(sum);
  return Float64Array.from({ length: V }, (_, i) => logits[at + i] - logZ);
}

/**
 * Samples a continuation for each prompt; all prompts must have the same token length (they share
 * positions). A row ends at BOS (the end-of-text token of llama2.c models), at a stop string, at maxTokens or
 * at seq_len. Rows that ended keep being fed (the batch keeps its shape) but draw nothing.
 *
 * @example
 * const ids = encode(tok, '12+34=', { bos: true });
 * const [a, b] = sampleBatch(model, tok, [ids, ids], { maxTokens: 40, temperature: 0.8, rng: new Rng(1) });
 */
export function sampleBatch(model: LlamaModel, tok: LlamaTokenizer, prompts: readonly (readonly number[])[], opts: BatchSampleOptions): BatchSample[] {
  const B = prompts.length;
  if (B === 0) return [];
  const P = prompts[0].length;
  if (prompts.some((p) => p.length !== P)) throw new DistilleryError('USAGE', `sample batch: expected prompts of one token length (${P}), got lengths ${[...new Set(prompts.map((p) => p.length))].join(', ')}`);
  if (P > model.config.seqLen) throw new DistilleryError('USAGE', `prompt: expected at most ${model.config.seqLen} tokens, got ${P}`);
  const V = model.config.vocabSize;
  const { temperature, topP = 1, stop = [], topLogprobs = 0 } = opts;
  const shared = opts.rng ?? new Rng(0);
  if (opts.rngs && opts.rngs.length !== B) throw new DistilleryError('USAGE', `sample batch: expected ${B} random sources (one per row), got ${opts.rngs.length}`);
  const steps = Math.min(opts.maxTokens, model.config.seqLen - P);
  const rows = prompts.map(() => ({ ids: [] as number[], tokens: [] as SampledToken[], bytes: [] as Uint8Array[], done: false, finishReason: 'length' as 'stop' | 'length', text: undefined as string | undefined }));
  const cache = emptyDecodeCache(model, B);
  try {
    let feed: number[][] = prompts.map((p) => [...p]);
    for (let step = 0; step < steps && rows.some((r) => !r.done); step++) {
      const out = llamaForwardCached(model, feed, cache); // [B, T, V]
      const T = out.shape[1];
      const last = tf.tidy(() => tf.reshape(tf.slice(out, [0, T - 1, 0], [B, 1, V]), [B * V]));
      out.dispose();
      const logits = last.dataSync() as Float32Array;
      last.dispose();
      feed = rows.map((r, b) => {
        if (r.done) return [BOS];
        const row = logits.subarray(b * V, (b + 1) * V);
        const next = sampleToken(row, temperature, topP, opts.rngs?.[b] ?? shared);
        if (next === BOS) {
          r.done = true;
          r.finishReason = 'stop';
          return [BOS];
        }
        const lp = logSoftmaxRow(logits, b * V, V);
        const entry: SampledToken = { id: next, logprob: lp[next] };
        if (topLogprobs > 0) {
          entry.top = Array.from(lp.keys())
            .sort((i, j) => lp[j] - lp[i])
            .slice(0, topLogprobs)
            .map((id) => ({ id, logprob: lp[id] }));
        }
        const prev = r.ids.length > 0 ? r.ids[r.ids.length - 1] : prompts[b][P - 1];
        r.ids.push(next);
        r.tokens.push(entry);
        r.bytes.push(pieceBytes(tok, prev, next));
        if (stop.length > 0) {
          const text = Buffer.concat(r.bytes).toString('utf8');
          const at = Math.min(...stop.map((s) => text.indexOf(s)).filter((i) => i >= 0));
          if (Number.isFinite(at)) {
            // Drop the tokens that reach into the stop string.
            let kept = 0;
            let len = 0;
            while (kept < r.bytes.length && len + r.bytes[kept].length <= Buffer.byteLength(text.slice(0, at))) len += r.bytes[kept++].length;
            r.ids.length = r.tokens.length = r.bytes.length = kept;
            r.text = text.slice(0, at);
            r.done = true;
            r.finishReason = 'stop';
          }
        }
        return [next];
      });
    }
  } finally {
    disposeDecodeCache(cache);
  }
  return rows.map((r) => ({
    ids: r.ids,
    text: r.text ?? Buffer.concat(r.bytes).toString('utf8'),
    tokens: r.tokens,
    finishReason: r.finishReason,
  }));
}
