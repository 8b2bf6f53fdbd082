import fs from 'node:fs';
import { DistilleryError } from '../../errors.js';

/** The seven int32s at the start of a llama2.c checkpoint. */
export interface LlamaConfig {
  dim: number;
  hiddenDim: number;
  nLayers: number;
  nHeads: number;
  nKvHeads: number;
  vocabSize: number;
  seqLen: number;
  /** False when the header's vocab_size was negative: the file ends with its own classifier. */
  sharedClassifier: boolean;
}

/** Float32 weights in llama2.c's layout; every matrix is [out, in], row-major, layers stacked first. */
export interface LlamaWeights {
  tokenEmbedding: Float32Array; // [V, D]
  rmsAtt: Float32Array; // [L, D]
  wq: Float32Array; // [L, D, D]
  wk: Float32Array; // [L, KV, D]
  wv: Float32Array; // [L, KV, D]
  wo: Float32Array; // [L, D, D]
  rmsFfn: Float32Array; // [L, D]
  w1: Float32Array; // [L, F, D]
  w2: Float32Array; // [L, D, F]
  w3: Float32Array; // [L, F, D]
  rmsFinal: Float32Array; // [D]
  classifier: Float32Array; // [V, D]; the token embedding itself when shared
}

export interface LlamaCheckpoint {
  config: LlamaConfig;
  weights: LlamaWeights;
}

const HEADER_BYTES = 7 * 4;

/** The float counts of each tensor in file order, freq_cis tables included (they are skipped on read). */
function layout(c: LlamaConfig): [keyof LlamaWeights | 'skip', number][] {
  const { dim: D, hiddenDim: F, nLayers: L, vocabSize: V } = c;
  const headSize = D / c.nHeads;
  const kv = (D * c.nKvHeads) / c.nHeads;
  const out: [keyof LlamaWeights | 'skip', number][] = [
    ['tokenEmbedding', V * D],
    ['rmsAtt', L * D],
    ['wq', L * D * D],
    ['wk', L * kv * D],
    ['wv', L * kv * D],
    ['wo', L * D * D],
    ['rmsFfn', L * D],
    ['w1', L * F * D],
    ['w2', L * D * F],
    ['w3', L * F * D],
    ['rmsFinal', D],
    ['skip', c.seqLen * headSize], // freq_cis_real and freq_cis_imag, seq_len * head_size / 2 each
  ];
  if (!c.sharedClassifier) out.push(['classifier', V * D]);
  return out;
}

/** Parses the header; throws a one-line CHECKPOINT error naming `file` when it makes no sense. */
export function parseLlamaHeader(buf: Uint8Array, file: string): LlamaConfig {
  if (buf.byteLength < HEADER_BYTES) {
    throw new DistilleryError('CHECKPOINT', `${file}: expected at least ${HEADER_BYTES} bytes of header, got ${buf.byteLength}`);
  }
  const h = new DataView(buf.buffer, buf.byteOffset, HEADER_BYTES);
  const [dim, hiddenDim, nLayers, nHeads, nKvHeads, vocab, seqLen] = Array.from({ length: 7 }, (_, i) => h.getInt32(i * 4, true));
  const config: LlamaConfig = { dim, hiddenDim, nLayers, nHeads, nKvHeads, vocabSize: Math.abs(vocab), seqLen, sharedClassifier: vocab > 0 };
  const ok =
    dim > 0 && hiddenDim > 0 && nLayers > 0 && nHeads > 0 && nKvHeads > 0 && seqLen > 0 && vocab !== 0 &&
    dim % nHeads === 0 && nHeads % nKvHeads === 0 && (dim / nHeads) % 2 === 0;
  if (!ok) {
    throw new DistilleryError(
      'CHECKPOINT',
      `${file}: expected a llama2.c header (positive sizes, dim divisible by n_heads, n_heads by n_kv_heads), got ` +
        `dim ${dim}, hidden_dim ${hiddenDim}, n_layers ${nLayers}, n_heads ${nHeads}, n_kv_heads ${nKvHeads}, vocab_size ${vocab}, seq_len ${seqLen}`,
    );
  }
  return config;
}

/** The exact byte size a checkpoint with this header must have. */
export function llamaCheckpointBytes(config: LlamaConfig): number {
  return HEADER_BYTES + 4 * layout(config).reduce((s, [, n]) => s + n, 0);
}

/**
 * Reads a llama2.c checkpoint (`model.bin` from karpathy/llama2.c's export): header, then fp32 weights.
 * A file of the wrong size is an error naming the file with the expected and actual byte counts.
 *
 * @example
 * const { config, weights } = readLlamaCheckpoint('models/stories260K/stories260K.bin');
 * config.dim; // 64
 */
export function readLlamaCheckpoint(file: string): LlamaCheckpoint {
  let buf: Buffer;
  try {
    buf = fs.readFileSync(file);
  } catch (e) {
    throw new DistilleryError('DATA_MISSING', `${file}: cannot read checkpoint (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  const config = parseLlamaHeader(buf, file);
  const expected = llamaCheckpointBytes(config);
  if (buf.byteLength !== expected) {
    throw new DistilleryError('CHECKPOINT', `${file}: expected ${expected} bytes for this llama2.c header, got ${buf.byteLength}`);
  }
  // Copy once into an aligned buffer so every tensor is a zero-copy Float32Array view.
  const floats = new Float32Array(buf.buffer.slice(buf.byteOffset + HEADER_BYTES, buf.byteOffset + expected));
  const weights: Partial<LlamaWeights> = {};
  let at = 0;
  for (const [name, n] of layout(config)) {
    if (name !== 'skip') weights[name] = floats.subarray(at, at + n);
    at += n;
  }
  weights.classifier ??= weights.tokenEmbedding;
  return { config, weights: weights as LlamaWeights };
}
