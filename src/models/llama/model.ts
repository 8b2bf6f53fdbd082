import * as tf from '@tensorflow/tfjs-core';
import { DistilleryError } from '../../errors.js';
import type { LlamaCheckpoint, LlamaConfig } from './checkpoint.js';

interface LlamaLayer {
  rmsAtt: tf.Tensor1D; // [D]
  wq: tf.Tensor2D; // [D, D]
  wk: tf.Tensor2D; // [KV, D]
  wv: tf.Tensor2D; // [KV, D]
  wo: tf.Tensor2D; // [D, D]
  rmsFfn: tf.Tensor1D; // [D]
  w1: tf.Tensor2D; // [F, D]
  w2: tf.Tensor2D; // [D, F]
  w3: tf.Tensor2D; // [F, D]
}

/** A Llama-2 model's weights as tensors (matrices [out, in], as llama2.c stores them). */
export interface LlamaModel {
  config: LlamaConfig;
  tokenEmbedding: tf.Tensor2D; // [V, D]
  layers: LlamaLayer[];
  rmsFinal: tf.Tensor1D; // [D]
  classifier: tf.Tensor2D; // [V, D]
}

/** Keys and values of the positions seen so far, per layer: [B·KVH, S, Hs] each (B sequences decoded together, kv heads apart). */
export interface KvCache {
  k: tf.Tensor3D[];
  v: tf.Tensor3D[];
  /** Number of positions cached. */
  length: number;
  /** Sequences in the batch. */
  batch: number;
}

const EPS = 1e-5;

/**
 * Moves a checkpoint's weights into tensors on the current backend. Dispose with `disposeLlama`.
 *
 * @example
 * const model = llamaFromCheckpoint(readLlamaCheckpoint('models/stories260K/stories260K.bin'));
 * const logits = llamaForward(model, [1, 403]); // [2, 512]
 */
export function llamaFromCheckpoint({ config: c, weights: w }: LlamaCheckpoint): LlamaModel {
  const kv = (c.dim * c.nKvHeads) / c.nHeads;
  const D = c.dim;
  const F = c.hiddenDim;
  const slice = (a: Float32Array, l: number, rows: number, cols: number) => tf.tensor2d(a.subarray(l * rows * cols, (l + 1) * rows * cols), [rows, cols]);
  const vec = (a: Float32Array, l: number) => tf.tensor1d(a.subarray(l * D, (l + 1) * D));
  const layers = Array.from({ length: c.nLayers }, (_, l) => ({
    rmsAtt: vec(w.rmsAtt, l),
    wq: slice(w.wq, l, D, D),
    wk: slice(w.wk, l, kv, D),
    wv: slice(w.wv, l, kv, D),
    wo: slice(w.wo, l, D, D),
    rmsFfn: vec(w.rmsFfn, l),
    w1: slice(w.w1, l, F, D),
    w2: slice(w.w2, l, D, F),
    w3: slice(w.w3, l, F, D),
  }));
  const tokenEmbedding = tf.tensor2d(w.tokenEmbedding, [c.vocabSize, D]);
  const classifier = w.classifier === w.tokenEmbedding ? tokenEmbedding : tf.tensor2d(w.classifier, [c.vocabSize, D]);
  return { config: c, tokenEmbedding, layers, rmsFinal: tf.tensor1d(w.rmsFinal), classifier };
}

/** Frees every tensor of the model. */
export function disposeLlama(model: LlamaModel): void {
  for (const layer of model.layers) tf.dispose(Object.values(layer));
  tf.dispose([model.tokenEmbedding, model.rmsFinal]);
  if (model.classifier !== model.tokenEmbedding) model.classifier.dispose();
}

/** An empty cache for `llamaStep`/`llamaForward` (batch 1) or `llamaForwardBatch` (batch B). */
export function emptyKvCache(model: LlamaModel, batch = 1): KvCache {
  const { dim, nHeads, nKvHeads } = model.config;
  const empty = () => tf.zeros([batch * nKvHeads, 0, dim / nHeads]) as tf.Tensor3D;
  return { k: model.layers.map(empty), v: model.layers.map(empty), length: 0, batch };
}

/** Frees a cache's tensors. */
export function disposeKvCache(cache: KvCache): void {
  tf.dispose([...cache.k, ...cache.v]);
}

/** x / sqrt(mean(x²) + eps) * weight, over the last axis. */
function rmsNorm(x: tf.Tensor2D, weight: tf.Tensor1D): tf.Tensor2D {
  const ms = tf.mean(tf.square(x), -1, true); // [T, 1]
  return tf.mul(tf.mul(x, tf.rsqrt(tf.add(ms, EPS))), weight);
}

/** x @ wᵀ for a weight stored [out, in]. */
const linear = (x: tf.Tensor2D, w: tf.Tensor2D): tf.Tensor2D => tf.matMul(x, w, false, true);

/** cos and sin of position·θᵢ for positions start..start+T-1, each repeated for the pair it rotates: [T, 1, Hs]. */
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

/** R with (x₀, x₁, …) · R = (−x₁, x₀, −x₃, x₂, …): pairs rotated by 90°, as one small matmul. */
function pairSwap(headSize: number): tf.Tensor2D {
  const r = new Float32Array(headSize * headSize);
  for (let i = 0; i < headSize; i += 2) {
    r[(i + 1) * headSize + i] = -1;
    r[i * headSize + i + 1] = 1;
  }
  return tf.tensor2d(r, [headSize, headSize]);
}

/** Rotates adjacent pairs (x₀, x₁) of the last axis of x [B, T, H, Hs] by the angles in the tables, as llama2.c does. */
function rope(x: tf.Tensor4D, cos: tf.Tensor3D, sin: tf.Tensor3D, swap: tf.Tensor2D): tf.Tensor4D {
  const Hs = x.shape[3];
  const rotated = tf.reshape(tf.matMul(tf.reshape(x, [-1, Hs]), swap), x.shape); // (−x₁, x₀)
  return tf.add(tf.mul(x, cos), tf.mul(rotated, sin));
}

/**
 * Permutes the axes of x; a permutation that only moves axes of size 1 is a reshape (no copy), which is
 * what every transpose is while decoding one token at a time.
 */
function permute(x: tf.Tensor, perm: number[]): tf.Tensor {
  const moved = perm.filter((p, i) => p !== i);
  const kept = perm.filter((p) => x.shape[p] !== 1);
  const inOrder = kept.every((p, i) => i === 0 || p > kept[i - 1]);
  if (moved.length === 0 || inOrder) return tf.reshape(x, perm.map((p) => x.shape[p]));
  return tf.transpose(x, perm);
}

/** Additive causal mask, repeated for G query heads: row g·T + t (position start+t) sees keys 0..start+t. [G·T, S] */
function causalMask(start: number, T: number, S: number, G: number): tf.Tensor2D {
  const m = new Float32Array(G * T * S);
  for (let g = 0; g < G; g++) for (let t = 0; t < T; t++) for (let s = start + t + 1; s < S; s++) m[(g * T + t) * S + s] = -1e9;
  return tf.tensor2d(m, [G * T, S]);
}

export interface BatchForward {
  /** [B, T, V] */
  logits: tf.Tensor3D;
  /** With `hidden: true`: the residual stream after each layer, [B, T, D] per layer (index 0 = first layer). */
  hidden: tf.Tensor3D[];
}

/**
 * Runs B token sequences of equal length T ([B, T] ids, row-major) through the model at positions
 * cache.length onwards, appending their keys and values to `cache` (old cache tensors are disposed).
 * Differentiable with respect to the model's weights (used for training). Rows are independent; with
 * right padding, the logits of real tokens do not depend on the padding after them.
 *
 * @example
 * const { logits } = llamaForwardBatch(model, [[1, 403], [1, 407]]); // logits [2, 2, 512]
 */
export function llamaForwardBatch(model: LlamaModel, tokens: readonly (readonly number[])[], opts: { cache?: KvCache; hidden?: boolean } = {}): BatchForward {
  const c = model.config;
  const { cache } = opts;
  const B = tokens.length;
  const T = tokens[0]?.length ?? 0;
  const start = cache?.length ?? 0;
  if (B === 0 || T === 0) throw new DistilleryError('USAGE', `llama forward: expected at least 1 token, got ${B} × ${T}`);
  if (tokens.some((row) => row.length !== T)) throw new DistilleryError('USAGE', `llama forward: expected ${B} rows of ${T} tokens, got lengths ${tokens.map((r) => r.length).join(', ')}`);
  if (cache && cache.batch !== B) throw new DistilleryError('USAGE', `llama forward: expected ${cache.batch} rows for this cache, got ${B}`);
  if (start + T > c.seqLen) throw new DistilleryError('USAGE', `llama forward: expected at most ${c.seqLen} positions, got ${start + T}`);
  const flat = tokens.flat();
  const bad = flat.find((t) => !Number.isInteger(t) || t < 0 || t >= c.vocabSize);
  if (bad !== undefined) throw new DistilleryError('USAGE', `llama forward: expected token ids 0..${c.vocabSize - 1}, got ${bad}`);
  const H = c.nHeads;
  const KVH = c.nKvHeads;
  const Hs = c.dim / H;
  const S = start + T;
  const N = B * T;
  const newK: tf.Tensor3D[] = [];
  const newV: tf.Tensor3D[] = [];
  const out = tf.tidy(() => {
    const [cos, sin] = ropeTables(start, T, Hs);
    const swap = pairSwap(Hs);
    const G = H / KVH; // query heads per kv head: query head h = kvh·G + g reads kv head kvh
    const mask = causalMask(start, T, S, G);
    const hidden: tf.Tensor3D[] = [];
    let x = tf.gather(model.tokenEmbedding, tf.tensor1d(flat, 'int32')) as tf.Tensor2D; // [N, D]
    model.layers.forEach((layer, l) => {
      const h = rmsNorm(x, layer.rmsAtt); // [N, D]
      const q = rope(tf.reshape(linear(h, layer.wq), [B, T, H, Hs]), cos, sin, swap); // [B, T, H, Hs]
      const qg = tf.reshape(permute(tf.reshape(q, [B, T, KVH, G, Hs]), [0, 2, 3, 1, 4]), [B * KVH, G * T, Hs]);
      const kNew = rope(tf.reshape(linear(h, layer.wk), [B, T, KVH, Hs]), cos, sin, swap); // [B, T, KVH, Hs]
      const kh = tf.reshape(permute(kNew, [0, 2, 1, 3]), [B * KVH, T, Hs]) as tf.Tensor3D;
      const vh = tf.reshape(permute(tf.reshape(linear(h, layer.wv), [B, T, KVH, Hs]), [0, 2, 1, 3]), [B * KVH, T, Hs]) as tf.Tensor3D;
      const k = cache ? tf.concat([cache.k[l], kh], 1) : kh; // [B·KVH, S, Hs]
      const v = cache ? tf.concat([cache.v[l], vh], 1) : vh; // [B·KVH, S, Hs]
      if (cache) {
        newK.push(tf.keep(k));
        newV.push(tf.keep(v));
      }
      const scores = tf.add(tf.matMul(tf.mul(qg, 1 / Math.sqrt(Hs)), k, false, true), mask); // [B·KVH, G·T, S]
      const att = tf.reshape(tf.matMul(tf.softmax(scores), v), [B, KVH, G, T, Hs]);
      const merged = tf.reshape(permute(att, [0, 3, 1, 2, 4]), [N, c.dim]) as tf.Tensor2D; // [N, D]
      x = tf.add(x, linear(merged, layer.wo));
      const g = rmsNorm(x, layer.rmsFfn); // [N, D]
      const gate = linear(g, layer.w1); // [N, F]
      const ffn = tf.mul(tf.mul(gate, tf.sigmoid(gate)), linear(g, layer.w3)) as tf.Tensor2D; // [N, F] silu(w1 g) · w3 g
      x = tf.add(x, linear(ffn, layer.w2));
      if (opts.hidden) hidden.push(tf.reshape(x, [B, T, c.dim]) as tf.Tensor3D);
    });
    const logits = tf.reshape(linear(rmsNorm(x, model.rmsFinal), model.classifier), [B, T, c.vocabSize]) as tf.Tensor3D;
    return { logits, hidden };
  });
  if (cache) {
    disposeKvCache(cache);
    cache.k = newK;
    cache.v = newV;
    cache.length = S;
  }
  return out;
}

/**
 * Runs `tokens` (at positions cache.length onwards) through the model, appending their keys and values
 * to `cache` (old cache tensors are disposed). Returns logits [T, V]. Without a cache the sequence
 * starts at position 0 and nothing is kept.
 *
 * @example
 * const logits = llamaForward(model, [1, 403, 407]); // [3, 512]
 */
export function llamaForward(model: LlamaModel, tokens: readonly number[], cache?: KvCache): tf.Tensor2D {
  const { logits } = llamaForwardBatch(model, [tokens], { cache });
  const out = tf.reshape(logits, [tokens.length, model.config.vocabSize]) as tf.Tensor2D;
  logits.dispose();
  return out;
}

/**
 * One generation step: feeds `token` at position cache.length, extends the cache, returns logits [V].
 *
 * @example
 * const cache = emptyKvCache(model);
 * const first = llamaStep(model, cache, 1); // [512]
 */
export function llamaStep(model: LlamaModel, cache: KvCache, token: number): tf.Tensor1D {
  const logits = llamaForward(model, [token], cache);
  const row = tf.reshape(logits, [model.config.vocabSize]) as tf.Tensor1D;
  logits.dispose();
  return row;
}
