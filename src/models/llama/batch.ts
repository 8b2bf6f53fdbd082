/**
 * Batched sampling: B sequences at the same positions go through `llamaForwardBatch` with one KV cache. At
 * the sizes this project trains, per-op overhead dominates, so B samples of one prompt (or B prompts of one
 * token length) cost about as much time as one.
 */
import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '../../engine/seed.js';
import { DistilleryError } from '../../errors.js';
import { sampleToken } from './generate.js';
import { type LlamaModel, disposeKvCache, emptyKvCache, llamaForwardBatch } from './model.js';
import { BOS, type LlamaTokenizer, pieceBytes } from './tokenizer.js';

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
  const cache = emptyKvCache(model, B);
  try {
    let feed: number[][] = prompts.map((p) => [...p]);
    for (let step = 0; step < steps && rows.some((r) => !r.done); step++) {
      const out = llamaForwardBatch(model, feed, { cache }).logits; // [B, T, V]
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
    disposeKvCache(cache);
  }
  return rows.map((r) => ({
    ids: r.ids,
    text: r.text ?? Buffer.concat(r.bytes).toString('utf8'),
    tokens: r.tokens,
    finishReason: r.finishReason,
  }));
}
