import { Rng } from '../../engine/seed.js';
import { DistilleryError } from '../../errors.js';
import { type LlamaModel, disposeKvCache, emptyKvCache, llamaStep } from './model.js';
import { BOS, type LlamaTokenizer, encode, pieceBytes } from './tokenizer.js';

export interface GenerateOptions {
  /** Text to continue; empty starts from BOS alone. */
  prompt?: string;
  /** Tokens to produce after the prompt (capped by the model's seq_len). */
  maxTokens?: number;
  /** 0 means greedy (argmax). */
  temperature?: number;
  /** Nucleus sampling: keep the smallest set of tokens whose probability reaches topP (1 = all). */
  topP?: number;
  seed?: number;
  /** Called with each new token's bytes as it is produced (e.g. to stream to stdout). */
  onPiece?: (bytes: Uint8Array) => void;
}

export interface Generation {
  /** Prompt ids (BOS first) followed by the generated ids. */
  tokens: number[];
  /** The generated text only, decoded as llama2.c prints it. */
  text: string;
}

/** Index of the largest value. */
const argmax = (a: Float32Array): number => a.reduce((best, v, i) => (v > a[best] ? i : best), 0);

/** Draws a token from logits at `temperature`, restricted to the top-p nucleus. */
export function sampleToken(logits: Float32Array, temperature: number, topP: number, rng: Rng): number {
  if (temperature === 0) return argmax(logits);
  const max = logits.reduce((m, v) => Math.max(m, v), -Infinity);
  const p = Array.from(logits, (v) => Math.exp((v - max) / temperature));
  const sum = p.reduce((s, v) => s + v, 0);
  const order = p.map((_, i) => i).sort((a, b) => p[b] - p[a]);
  let keep = order.length;
  if (topP < 1) {
    let acc = 0;
    keep = order.findIndex((i) => (acc += p[i] / sum) >= topP) + 1 || order.length;
  }
  const total = order.slice(0, keep).reduce((s, i) => s + p[i], 0);
  let r = rng.next() * total;
  for (let k = 0; k < keep; k++) {
    r -= p[order[k]];
    if (r <= 0) return order[k];
  }
  return order[keep - 1];
}

/**
 * Autoregressive generation with a KV cache, as llama2.c's `generate`: the prompt is fed token by
 * token, then each sampled token is fed back until maxTokens, seq_len, or a BOS (the model's end of story).
 *
 * @example
 * const { text } = generate(model, tok, { maxTokens: 60, temperature: 0 });
 * // 'Once upon a time, there was a little girl named Lily. ...'
 */
export function generate(model: LlamaModel, tok: LlamaTokenizer, opts: GenerateOptions = {}): Generation {
  const { prompt = '', maxTokens = 256, temperature = 1, topP = 0.9, seed = 0 } = opts;
  if (!(temperature >= 0)) throw new DistilleryError('USAGE', `temperature: expected number ≥ 0, got ${temperature}`);
  if (!(topP > 0 && topP <= 1)) throw new DistilleryError('USAGE', `top-p: expected number in (0, 1], got ${topP}`);
  const tokens = encode(tok, prompt, { bos: true });
  const limit = Math.min(model.config.seqLen, tokens.length + maxTokens);
  if (tokens.length > model.config.seqLen) {
    throw new DistilleryError('USAGE', `prompt: expected at most ${model.config.seqLen} tokens, got ${tokens.length}`);
  }
  const rng = new Rng(seed);
  const cache = emptyKvCache(model);
  const out: Uint8Array[] = [];
  try {
    for (let pos = 0; pos + 1 < limit; pos++) {
      const row = llamaStep(model, cache, tokens[pos]);
      const logits = row.dataSync() as Float32Array;
      row.dispose();
      if (pos + 1 < tokens.length) continue; // still reading the prompt
      const next = sampleToken(logits, temperature, topP, rng);
      if (next === BOS) break;
      const bytes = pieceBytes(tok, tokens[pos], next);
      tokens.push(next);
      out.push(bytes);
      opts.onPiece?.(bytes);
    }
  } finally {
    disposeKvCache(cache);
  }
  return { tokens, text: Buffer.concat(out).toString('utf8') };
}

