/**
 * Llama models to train: random initialization, a student cut out of a teacher (DistilBERT's "one layer
 * out of two", and a prefix rule for narrower widths), trainable copies, and the llama2.c file writer.
 *
 * Student initialization from a teacher (`studentFromTeacher`):
 * - Depth: student layer i is a copy of teacher layer `layers[i]` (default: every other layer, starting
 *   at 0, as DistilBERT: 0, 2, 4 of 5 or 6).
 * - Width (optional, `dim`, `hiddenDim`): the head size stays the teacher's (so RoPE is unchanged); a
 *   student with dim D' keeps the first D' coordinates of the residual stream, hence the first D'/Hs query
 *   heads and the first matching key/value heads (the query-to-kv grouping is kept), and the first F'
 *   units of each feed-forward block. Every matrix is the top-left block of the teacher's ([out, in]
 *   rows and columns cut to the kept indices); embeddings keep their first D' columns, RMSNorm weights
 *   their first D' entries. The kept block is a starting point, not a pruned model of equal quality.
 */
import * as tf from '@tensorflow/tfjs-core';
import fs from 'node:fs';
import path from 'node:path';
import { Rng } from '../../engine/seed.js';
import { DistilleryError } from '../../errors.js';
import { writeFileAtomic } from '../../fsutil.js';
import type { LlamaConfig } from './checkpoint.js';
import { llamaCheckpointBytes } from './checkpoint.js';
import type { LlamaModel } from './model.js';

type LayerKey = 'rmsAtt' | 'wq' | 'wk' | 'wv' | 'wo' | 'rmsFfn' | 'w1' | 'w2' | 'w3';
const LAYER_KEYS: LayerKey[] = ['rmsAtt', 'wq', 'wk', 'wv', 'wo', 'rmsFfn', 'w1', 'w2', 'w3'];

export interface ParamCount {
  total: number;
  /** Token embedding (and a separate classifier, when not tied). */
  embedding: number;
  /** Everything else: attention, feed-forward, norms. */
  nonEmbedding: number;
}

/** Parameter counts of a configuration. */
export function llamaParams(c: LlamaConfig): ParamCount {
  const kv = (c.dim * c.nKvHeads) / c.nHeads;
  const perLayer = 2 * c.dim + 2 * c.dim * c.dim + 2 * kv * c.dim + 3 * c.hiddenDim * c.dim;
  const embedding = c.vocabSize * c.dim * (c.sharedClassifier ? 1 : 2);
  const nonEmbedding = c.nLayers * perLayer + c.dim;
  return { total: embedding + nonEmbedding, embedding, nonEmbedding };
}

function checkConfig(c: LlamaConfig, what: string): void {
  const ints = [c.dim, c.hiddenDim, c.nLayers, c.nHeads, c.nKvHeads, c.vocabSize, c.seqLen];
  const ok = ints.every((v) => Number.isInteger(v) && v > 0) && c.dim % c.nHeads === 0 && c.nHeads % c.nKvHeads === 0 && (c.dim / c.nHeads) % 2 === 0;
  if (!ok) {
    throw new DistilleryError(
      'CONFIG',
      `${what}: expected positive sizes with dim divisible by n_heads into an even head size and n_heads by n_kv_heads, got ` +
        `dim ${c.dim}, hidden_dim ${c.hiddenDim}, n_layers ${c.nLayers}, n_heads ${c.nHeads}, n_kv_heads ${c.nKvHeads}`,
    );
  }
}

/** Standard normal draws from a seeded generator (Box–Muller). */
function normals(n: number, std: number, rng: Rng): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i += 2) {
    const u = 1 - rng.next();
    const r = Math.sqrt(-2 * Math.log(u)) * std;
    const a = 2 * Math.PI * rng.next();
    out[i] = r * Math.cos(a);
    if (i + 1 < n) out[i + 1] = r * Math.sin(a);
  }
  return out;
}

/**
 * A randomly initialized Llama, as llama2.c's train.py: weights N(0, 0.02), output projections (wo, w2)
 * N(0, 0.02/√(2L)), RMSNorm weights 1, classifier tied to the embedding. Repeatable for a seed.
 *
 * @example const m = createLlama({ dim: 32, hiddenDim: 86, nLayers: 2, nHeads: 4, nKvHeads: 2, vocabSize: 512, seqLen: 256, sharedClassifier: true }, 1)
 */
export function createLlama(config: LlamaConfig, seed: number): LlamaModel {
  const c = { ...config, sharedClassifier: true };
  checkConfig(c, 'llama config');
  const rng = new Rng(seed);
  const D = c.dim;
  const F = c.hiddenDim;
  const kv = (D * c.nKvHeads) / c.nHeads;
  const std = 0.02;
  const proj = 0.02 / Math.sqrt(2 * c.nLayers);
  const mat = (rows: number, cols: number, s: number) => tf.tensor2d(normals(rows * cols, s, rng), [rows, cols]);
  const tokenEmbedding = mat(c.vocabSize, D, std);
  const layers = Array.from({ length: c.nLayers }, () => ({
    rmsAtt: tf.ones([D]) as tf.Tensor1D,
    wq: mat(D, D, std),
    wk: mat(kv, D, std),
    wv: mat(kv, D, std),
    wo: mat(D, D, proj),
    rmsFfn: tf.ones([D]) as tf.Tensor1D,
    w1: mat(F, D, std),
    w2: mat(D, F, proj),
    w3: mat(F, D, std),
  }));
  return { config: c, tokenEmbedding, classifier: tokenEmbedding, layers, rmsFinal: tf.ones([D]) as tf.Tensor1D };
}

export interface StudentShape {
  /** Teacher layers to copy, in order (default: 0, 2, 4, …). */
  layers?: number[];
  /** Residual width (default: the teacher's). */
  dim?: number;
  /** Feed-forward width (default: the teacher's, or scaled with dim when dim is narrower). */
  hiddenDim?: number;
}

/** The student configuration `studentFromTeacher` builds for a shape. */
export function studentConfig(teacher: LlamaConfig, shape: StudentShape): { config: LlamaConfig; layers: number[] } {
  const layers = shape.layers ?? Array.from({ length: Math.ceil(teacher.nLayers / 2) }, (_, i) => 2 * i);
  if (layers.length === 0) throw new DistilleryError('CONFIG', 'student.layers: expected at least one teacher layer, got []');
  const badLayer = layers.find((l) => !Number.isInteger(l) || l < 0 || l >= teacher.nLayers);
  if (badLayer !== undefined) throw new DistilleryError('CONFIG', `student.layers: expected teacher layer indices 0..${teacher.nLayers - 1}, got ${badLayer}`);
  const Hs = teacher.dim / teacher.nHeads;
  const group = teacher.nHeads / teacher.nKvHeads;
  const dim = shape.dim ?? teacher.dim;
  if (!Number.isInteger(dim) || dim <= 0 || dim > teacher.dim || dim % (Hs * group) !== 0) {
    throw new DistilleryError('CONFIG', `student.dim: expected a multiple of ${Hs * group} (head size ${Hs} × ${group} query heads per kv head) up to ${teacher.dim}, got ${dim}`);
  }
  const hiddenDim = shape.hiddenDim ?? Math.round((teacher.hiddenDim * dim) / teacher.dim);
  if (!Number.isInteger(hiddenDim) || hiddenDim <= 0 || hiddenDim > teacher.hiddenDim) {
    throw new DistilleryError('CONFIG', `student.hiddenDim: expected an integer in 1..${teacher.hiddenDim}, got ${hiddenDim}`);
  }
  const nHeads = dim / Hs;
  return { config: { ...teacher, dim, hiddenDim, nLayers: layers.length, nHeads, nKvHeads: nHeads / group, sharedClassifier: true }, layers };
}

/** Top-left block [rows, cols] of a [R, C] matrix. */
const block = (w: tf.Tensor2D, rows: number, cols: number): tf.Tensor2D => tf.slice(w, [0, 0], [rows, cols]);

/**
 * A student cut out of a teacher by the rule in this module's header: copies of the chosen layers, cut
 * to the student's widths. The teacher is left untouched; the student owns new tensors.
 *
 * @example const student = studentFromTeacher(teacher, { layers: [0, 2] }) // 2 of 5 layers, full width
 */
export function studentFromTeacher(teacher: LlamaModel, shape: StudentShape = {}): LlamaModel {
  const { config, layers: picked } = studentConfig(teacher.config, shape);
  const D = config.dim;
  const F = config.hiddenDim;
  const kv = (D * config.nKvHeads) / config.nHeads;
  // tf.slice can return a view of the teacher's buffer (and tf.clone shares it): copy the values, so
  // training the student (the native Adam updates in place) can never write into the teacher.
  const own = <T extends tf.Tensor>(f: () => T): T => {
    const view = f();
    const copy = tf.tensor(Float32Array.from(view.dataSync()), view.shape) as T;
    view.dispose();
    return copy;
  };
  const tokenEmbedding = own(() => block(teacher.tokenEmbedding, config.vocabSize, D));
  const layers = picked.map((l) => {
    const t = teacher.layers[l];
    return {
      rmsAtt: own(() => tf.slice(t.rmsAtt, [0], [D])),
      wq: own(() => block(t.wq, D, D)),
      wk: own(() => block(t.wk, kv, D)),
      wv: own(() => block(t.wv, kv, D)),
      wo: own(() => block(t.wo, D, D)),
      rmsFfn: own(() => tf.slice(t.rmsFfn, [0], [D])),
      w1: own(() => block(t.w1, F, D)),
      w2: own(() => block(t.w2, D, F)),
      w3: own(() => block(t.w3, F, D)),
    };
  });
  const rmsFinal = own(() => tf.slice(teacher.rmsFinal, [0], [D]));
  return { config, tokenEmbedding, classifier: tokenEmbedding, layers, rmsFinal };
}

/** Numbers the trainable models of a process, so their variable names never clash. */
let modelCount = 0;

/**
 * Replaces every weight of `model` by a tf.Variable holding its own copy of the values (the originals are
 * disposed), so an optimizer can train it without touching anything they shared storage with; a tied
 * classifier stays tied. Returns the model and its variables.
 */
export function makeTrainable(model: LlamaModel): { model: LlamaModel; variables: tf.Variable[] } {
  const variables: tf.Variable[] = [];
  modelCount++;
  const v = <T extends tf.Tensor>(t: T, name: string): T => {
    // A fresh buffer: the tensor may view storage shared with others (a checkpoint file, a teacher).
    const fresh = tf.tensor(Float32Array.from(t.dataSync()), t.shape);
    const out = tf.variable(fresh, true, `llama${modelCount}.${name}`);
    fresh.dispose();
    variables.push(out);
    t.dispose();
    return out as unknown as T;
  };
  const tied = model.classifier === model.tokenEmbedding;
  const tokenEmbedding = v(model.tokenEmbedding, 'tok_embeddings');
  const classifier = tied ? tokenEmbedding : v(model.classifier, 'output');
  const layers = model.layers.map((layer, l) => Object.fromEntries(LAYER_KEYS.map((k) => [k, v(layer[k], `layers.${l}.${k}`)])) as unknown as LlamaModel['layers'][number]);
  const rmsFinal = v(model.rmsFinal, 'norm');
  return { model: { config: model.config, tokenEmbedding, classifier, layers, rmsFinal }, variables };
}

/** Every weight tensor of the model in llama2.c file order (a tied classifier once). */
export function llamaTensors(model: LlamaModel): tf.Tensor[] {
  const L = model.layers;
  const out: tf.Tensor[] = [model.tokenEmbedding];
  for (const k of LAYER_KEYS) for (const layer of L) out.push(layer[k]);
  out.push(model.rmsFinal);
  if (model.classifier !== model.tokenEmbedding) out.push(model.classifier);
  return out;
}

/**
 * Writes the model as a llama2.c checkpoint (legacy format: 7-int header, fp32 weights, RoPE tables),
 * readable by `readLlamaCheckpoint`, `distillery generate` and llama2.c's run.c. Written atomically.
 *
 * @example writeLlamaCheckpoint(student, 'out/student.bin')
 */
export function writeLlamaCheckpoint(model: LlamaModel, file: string): void {
  const c = model.config;
  const header = new Int32Array([c.dim, c.hiddenDim, c.nLayers, c.nHeads, c.nKvHeads, model.classifier === model.tokenEmbedding ? c.vocabSize : -c.vocabSize, c.seqLen]);
  const parts: Float32Array[] = [];
  const tensors = llamaTensors(model);
  const tied = model.classifier === model.tokenEmbedding;
  const beforeRope = tied ? tensors : tensors.slice(0, -1);
  for (const t of beforeRope) parts.push(t.dataSync() as Float32Array);
  // freq_cis_real and freq_cis_imag [seq_len, head_size / 2] each, as llama2.c's legacy export writes them.
  const Hs = c.dim / c.nHeads;
  const re = new Float32Array((c.seqLen * Hs) / 2);
  const im = new Float32Array((c.seqLen * Hs) / 2);
  for (let p = 0; p < c.seqLen; p++) {
    for (let i = 0; i < Hs / 2; i++) {
      const angle = p / Math.pow(10000, (2 * i) / Hs);
      re[p * (Hs / 2) + i] = Math.cos(angle);
      im[p * (Hs / 2) + i] = Math.sin(angle);
    }
  }
  parts.push(re, im);
  if (!tied) parts.push(model.classifier.dataSync() as Float32Array);
  const bytes = Buffer.concat([Buffer.from(header.buffer), ...parts.map((p) => Buffer.from(p.buffer, p.byteOffset, p.byteLength))]);
  const expected = llamaCheckpointBytes({ ...c, sharedClassifier: tied });
  if (bytes.byteLength !== expected) throw new DistilleryError('CHECKPOINT', `${file}: expected to write ${expected} bytes, got ${bytes.byteLength}`);
  fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  writeFileAtomic(file, bytes);
}
