/**
 * Language-model training and distillation: teacher-forced next-token training of a Llama student with
 * any weighted mix of
 *
 * - `hardCe`: cross-entropy against the next token of the text (with teacher samples as the text, this
 *   is sequence-level KD, Kim & Rush 2016);
 * - `softCe`: token-level soft targets, T² · KL(p_t ‖ p_s) at temperature T over the vocabulary (the soft
 *   cross-entropy −Σ p_t log p_s minus the teacher's entropy: the same gradients, 0 at a perfect match),
 *   from the dense teacher distribution or its top-k (the rest of the mass spread evenly, as the top-k
 *   teacher cache stores it);
 * - `jsd`: generalized Jensen–Shannon divergence of GKD at β and T;
 * - `hiddenCosine`: DistilBERT's cosine loss between student and teacher hidden states of aligned layers.
 *
 * Batches are random examples (a random window when longer than seqLen), right-padded; losses count only
 * real next-token positions at or after each example's `lossFrom`. Adam with warmup + cosine decay and
 * global-norm gradient clipping. With `checkpointDir`, state is saved every `checkpointEvery` steps
 * (`step-N/` + `latest.json` written last) and a rerun resumes from it with the same batches.
 */
import * as tf from '@tensorflow/tfjs-core';
import fs from 'node:fs';
import path from 'node:path';
import { loadOptimizerState, saveOptimizerState } from '../distill/checkpoint.js';
import { Rng } from '../engine/seed.js';
import { DistilleryError } from '../errors.js';
import { readJson, writeJsonAtomic } from '../fsutil.js';
import { crossEntropy } from '../losses/ce.js';
import { hiddenCosine } from '../losses/cosine.js';
import { jsd } from '../losses/jsd.js';
import { kd } from '../losses/kd.js';
import { readLlamaCheckpoint } from '../models/llama/checkpoint.js';
import { type LlamaModel, llamaForwardBatch } from '../models/llama/model.js';
import { llamaTensors, writeLlamaCheckpoint } from '../models/llama/trainable.js';
import { type LmTeacher, llamaTeacher } from './teachers.js';

/** One training sequence: token ids (BOS first); the loss counts predictions of tokens at index ≥ lossFrom. */
export interface LmExample {
  tokens: number[];
  lossFrom?: number;
}

export interface LmLossConfig {
  hardCe?: number;
  softCe?: { weight: number; temperature: number; topK?: number };
  jsd?: { weight: number; beta: number; temperature: number };
  /** pairs: [student layer, teacher layer]; default: student layer i ↔ teacher layer ⌈(i+1)·Lt/Ls⌉ − 1. */
  hiddenCosine?: { weight: number; pairs?: [number, number][] };
}

export interface LmTrainOptions {
  steps: number;
  batchSize: number;
  seqLen: number;
  /** Peak learning rate (Adam). */
  lr: number;
  /** Learning rate at the end of the cosine decay (default lr / 10). */
  minLr?: number;
  warmupSteps?: number;
  /** Global-norm gradient clip (default 1; 0 = off). */
  gradClip?: number;
  seed: number;
  loss: LmLossConfig;
  /** Needed by softCe, jsd and hiddenCosine (hidden states: a TF.js Llama teacher). Never changed. */
  teacher?: LlamaModel | LmTeacher;
  checkpointDir?: string;
  checkpointEvery?: number;
  onStep?: (s: LmStepInfo) => void;
}

export interface LmStepInfo {
  step: number;
  steps: number;
  loss: number;
  /** Unweighted value of each loss term. */
  parts: Record<string, number>;
  lr: number;
  /** Next-token positions the loss counted in this step. */
  tokens: number;
}

export interface LmTrainResult {
  /** Loss per step (all steps, resumed ones included). */
  losses: number[];
  /** Step the run started from (0 unless resumed). */
  resumedFrom: number;
  seconds: number;
  /** Loss-counted tokens per second of this run. */
  tokensPerSecond: number;
}

interface Batch {
  inputs: number[][];
  /** Flat positions (row·T + t) whose next token counts. */
  positions: number[];
  /** The next token at each counted position. */
  targets: number[];
}

/** Builds one batch from examples[idx]: windows of at most seqLen + 1 tokens, right-padded with 0. */
function makeBatch(examples: LmExample[], idx: number[], seqLen: number, rng: Rng): Batch {
  const rows = idx.map((i) => {
    const { tokens, lossFrom = 1 } = examples[i];
    const start = tokens.length > seqLen + 1 ? rng.int(tokens.length - seqLen) : 0;
    return { tokens: tokens.slice(start, start + seqLen + 1), lossFrom: lossFrom - start };
  });
  const T = Math.max(1, ...rows.map((r) => r.tokens.length - 1));
  const inputs: number[][] = [];
  const positions: number[] = [];
  const targets: number[] = [];
  rows.forEach((r, b) => {
    const row = r.tokens.slice(0, -1);
    for (let t = 0; t + 1 < r.tokens.length; t++) {
      if (t + 1 >= r.lossFrom) {
        positions.push(b * T + t);
        targets.push(r.tokens[t + 1]);
      }
    }
    while (row.length < T) row.push(0);
    inputs.push(row);
  });
  return { inputs, positions, targets };
}

/** Teacher log-probabilities keeping the k largest, the remaining mass spread evenly over the other classes. */
export function topKLogProbs(logits: tf.Tensor2D, k: number): tf.Tensor2D {
  const [M, V] = logits.shape;
  if (!Number.isInteger(k) || k < 1 || k > V) throw new DistilleryError('CONFIG', `softCe.topK: expected an integer in 1..${V}, got ${k}`);
  const logP = tf.tidy(() => tf.logSoftmax(logits));
  const { values, indices } = tf.topk(logP, k);
  const vals = values.dataSync();
  const ids = indices.dataSync();
  tf.dispose([logP, values, indices]);
  const out = new Float32Array(M * V);
  for (let m = 0; m < M; m++) {
    let kept = 0;
    for (let j = 0; j < k; j++) kept += Math.exp(vals[m * k + j]);
    const rest = k < V ? Math.log(Math.max(1 - kept, 1e-12) / (V - k)) : -Infinity;
    out.fill(rest, m * V, (m + 1) * V);
    for (let j = 0; j < k; j++) out[m * V + ids[m * k + j]] = vals[m * k + j];
  }
  return tf.tensor2d(out, [M, V]);
}

/** Default hidden-state alignment: student layer i ↔ teacher layer ⌈(i+1)·Lt/Ls⌉ − 1 (last with last). */
export function defaultAlignment(studentLayers: number, teacherLayers: number): [number, number][] {
  return Array.from({ length: studentLayers }, (_, i) => [i, Math.ceil(((i + 1) * teacherLayers) / studentLayers) - 1]);
}

/** Learning rate at `step` (0-based): linear warmup, then cosine decay to minLr at the last step. */
export function lmLearningRate(step: number, o: Pick<LmTrainOptions, 'lr' | 'minLr' | 'warmupSteps' | 'steps'>): number {
  const warm = o.warmupSteps ?? 0;
  const minLr = o.minLr ?? o.lr / 10;
  if (step < warm) return (o.lr * (step + 1)) / warm;
  const span = Math.max(1, o.steps - warm);
  const progress = Math.min(1, (step - warm) / span);
  return minLr + 0.5 * (o.lr - minLr) * (1 + Math.cos(Math.PI * progress));
}

/** A teacher as an LmTeacher (a bare TF.js Llama is wrapped). */
export const asTeacher = (t: LlamaModel | LmTeacher | undefined): LmTeacher | undefined => (t && 'layers' in t ? llamaTeacher(t) : t);

function checkOptions(student: LlamaModel, examples: LmExample[], o: LmTrainOptions, teacher: LmTeacher | undefined): [number, number][] {
  const posInt = (v: number, name: string) => {
    if (!Number.isInteger(v) || v < 1) throw new DistilleryError('CONFIG', `${name}: expected a positive integer, got ${v}`);
  };
  posInt(o.steps, 'train.steps');
  posInt(o.batchSize, 'train.batchSize');
  posInt(o.seqLen, 'train.seqLen');
  if (o.seqLen > student.config.seqLen) throw new DistilleryError('CONFIG', `train.seqLen: expected at most the student's seq_len ${student.config.seqLen}, got ${o.seqLen}`);
  if (!(o.lr > 0)) throw new DistilleryError('CONFIG', `train.lr: expected a number > 0, got ${o.lr}`);
  const usable = examples.filter((e) => e.tokens.length >= 2);
  if (usable.length === 0) throw new DistilleryError('DATA_FORMAT', `training data: expected at least one sequence of 2 or more tokens, got ${examples.length} sequences`);
  const bad = examples.find((e) => e.tokens.some((t) => !Number.isInteger(t) || t < 0 || t >= student.config.vocabSize));
  if (bad) throw new DistilleryError('DATA_FORMAT', `training data: expected token ids 0..${student.config.vocabSize - 1}, got ${bad.tokens.find((t) => !(t >= 0 && t < student.config.vocabSize))}`);
  const { loss } = o;
  const weights = [loss.hardCe ?? 0, loss.softCe?.weight ?? 0, loss.jsd?.weight ?? 0, loss.hiddenCosine?.weight ?? 0];
  if (weights.every((w) => w === 0)) throw new DistilleryError('CONFIG', 'loss: expected at least one of hardCe, softCe, jsd, hiddenCosine with a weight > 0, got none');
  const needsTeacher = (loss.softCe?.weight ?? 0) > 0 || (loss.jsd?.weight ?? 0) > 0 || (loss.hiddenCosine?.weight ?? 0) > 0;
  if (needsTeacher && !teacher) throw new DistilleryError('CONFIG', 'loss: softCe, jsd and hiddenCosine need a teacher, got none');
  if (teacher && teacher.vocabSize !== student.config.vocabSize) {
    throw new DistilleryError('CONFIG', `teacher: expected the student's vocabulary size ${student.config.vocabSize}, got ${teacher.vocabSize}`);
  }
  if (!((loss.hiddenCosine?.weight ?? 0) > 0) || !teacher) return [];
  if (!teacher.hasHidden) throw new DistilleryError('CONFIG', `loss.hiddenCosine: expected a teacher with hidden states (a llama2.c checkpoint), got a ${teacher.kind} teacher`);
  const pairs = loss.hiddenCosine!.pairs ?? defaultAlignment(student.config.nLayers, teacher.nLayers);
  for (const [s, t] of pairs) {
    if (!(s >= 0 && s < student.config.nLayers && t >= 0 && t < teacher.nLayers && Number.isInteger(s) && Number.isInteger(t))) {
      throw new DistilleryError('CONFIG', `loss.hiddenCosine.pairs: expected [student layer 0..${student.config.nLayers - 1}, teacher layer 0..${teacher.nLayers - 1}], got [${s}, ${t}]`);
    }
  }
  if (student.config.dim !== teacher.dim) {
    throw new DistilleryError('CONFIG', `loss.hiddenCosine: expected student dim = teacher dim ${teacher.dim} (hidden states compared directly), got ${student.config.dim}`);
  }
  return pairs;
}

interface LmCheckpointState {
  step: number;
  rngState: number;
  losses: number[];
}

function latestStep(dir: string): number | undefined {
  const f = path.join(dir, 'latest.json');
  return fs.existsSync(f) ? readJson<{ step: number }>(f).step : undefined;
}

async function saveLmCheckpoint(dir: string, student: LlamaModel, opt: tf.Optimizer, state: LmCheckpointState): Promise<void> {
  const stepDir = path.join(dir, `step-${state.step}`);
  fs.rmSync(stepDir, { recursive: true, force: true });
  fs.mkdirSync(stepDir, { recursive: true });
  writeLlamaCheckpoint(student, path.join(stepDir, 'student.bin'));
  await saveOptimizerState(stepDir, opt);
  writeJsonAtomic(path.join(stepDir, 'state.json'), state);
  const prev = latestStep(dir);
  writeJsonAtomic(path.join(dir, 'latest.json'), { step: state.step });
  if (prev !== undefined && prev !== state.step) fs.rmSync(path.join(dir, `step-${prev}`), { recursive: true, force: true });
}

async function loadLmCheckpoint(dir: string, student: LlamaModel, opt: tf.Optimizer): Promise<LmCheckpointState | undefined> {
  const step = latestStep(dir);
  if (step === undefined) return undefined;
  const stepDir = path.join(dir, `step-${step}`);
  const saved = readLlamaCheckpoint(path.join(stepDir, 'student.bin'));
  const c = saved.config;
  const s = student.config;
  if (c.dim !== s.dim || c.nLayers !== s.nLayers || c.hiddenDim !== s.hiddenDim || c.vocabSize !== s.vocabSize || c.nHeads !== s.nHeads || c.nKvHeads !== s.nKvHeads) {
    throw new DistilleryError('CHECKPOINT', `${stepDir}/student.bin: expected a student of dim ${s.dim}, ${s.nLayers} layers, hidden ${s.hiddenDim}; got dim ${c.dim}, ${c.nLayers} layers, hidden ${c.hiddenDim} (delete ${dir} to start over)`);
  }
  const w = saved.weights;
  const flat: Float32Array[] = [w.tokenEmbedding, w.rmsAtt, w.wq, w.wk, w.wv, w.wo, w.rmsFfn, w.w1, w.w2, w.w3, w.rmsFinal];
  const tensors = llamaTensors(student);
  // llamaTensors lists per-layer tensors key by key, layer by layer: the same order as the file.
  const joined = new Float32Array(flat.reduce((n, a) => n + a.length, 0));
  let off = 0;
  for (const a of flat) joined.set(a, off), (off += a.length);
  off = 0;
  for (const t of tensors) {
    (t as tf.Variable).assign(tf.tensor(joined.subarray(off, off + t.size), t.shape));
    off += t.size;
  }
  await loadOptimizerState(stepDir, opt);
  return readJson<LmCheckpointState>(path.join(stepDir, 'state.json'));
}

/**
 * Trains `student` (weights must be tf.Variables: see `makeTrainable`) on `examples`.
 *
 * @example
 * const { model: student } = makeTrainable(studentFromTeacher(teacher, { layers: [2, 4] }));
 * await trainLm(student, examples, { steps: 300, batchSize: 8, seqLen: 256, lr: 2e-3, seed: 1, teacher,
 *   loss: { softCe: { weight: 1, temperature: 2 }, hardCe: 0.5, hiddenCosine: { weight: 1 } } });
 */
export async function trainLm(student: LlamaModel, examples: LmExample[], o: LmTrainOptions): Promise<LmTrainResult> {
  const teacher = asTeacher(o.teacher);
  const pairs = checkOptions(student, examples, o, teacher);
  const usable = examples.map((e, i) => (e.tokens.length >= 2 ? i : -1)).filter((i) => i >= 0);
  const variables = llamaTensors(student) as tf.Variable[];
  if (variables.some((v) => !(v instanceof tf.Variable))) throw new DistilleryError('USAGE', 'trainLm: expected a student whose weights are tf.Variables (use makeTrainable)');
  const opt = tf.train.adam(o.lr);
  const rng = new Rng(o.seed);
  let losses: number[] = [];
  let step = 0;
  if (o.checkpointDir) {
    const state = await loadLmCheckpoint(o.checkpointDir, student, opt);
    if (state) {
      step = state.step;
      rng.state = state.rngState;
      losses = state.losses;
    }
  }
  const resumedFrom = step;
  const { loss } = o;
  const t0 = performance.now();
  let counted = 0;
  const clip = o.gradClip ?? 1;
  while (step < o.steps) {
    const idx = Array.from({ length: o.batchSize }, () => usable[rng.int(usable.length)]);
    const batch = makeBatch(examples, idx, o.seqLen, rng);
    const M = batch.positions.length;
    if (M === 0) {
      step++;
      losses.push(NaN);
      continue;
    }
    const positions = tf.tensor1d(batch.positions, 'int32');
    const targets = tf.tensor1d(batch.targets, 'int32');
    // Teacher outputs at the counted positions, computed outside the gradient tape.
    let teacherLogits: tf.Tensor2D | undefined;
    let teacherHidden: tf.Tensor2D[] = [];
    if (teacher && (loss.softCe?.weight || loss.jsd?.weight || pairs.length)) {
      const out = await teacher.forward(batch.inputs, pairs.length > 0);
      const V = teacher.vocabSize;
      teacherLogits = tf.tidy(() => tf.gather(tf.reshape(out.logits, [-1, V]), positions) as tf.Tensor2D);
      teacherHidden = pairs.map(([, t]) => tf.tidy(() => tf.gather(tf.reshape(out.hidden[t], [-1, teacher.dim]), positions) as tf.Tensor2D));
      tf.dispose([out.logits, ...out.hidden]);
    }
    const softTargets = teacherLogits && loss.softCe?.topK ? topKLogProbs(teacherLogits, loss.softCe.topK) : teacherLogits;
    const parts: Record<string, tf.Scalar> = {};
    const lr = lmLearningRate(step, o);
    (opt as unknown as { learningRate: number }).learningRate = lr;
    const { value, grads } = tf.variableGrads(() => {
      const { logits, hidden } = llamaForwardBatch(student, batch.inputs, { hidden: pairs.length > 0 });
      const V = student.config.vocabSize;
      const sel = tf.gather(tf.reshape(logits, [-1, V]), positions) as tf.Tensor2D; // [M, V]
      const terms: tf.Scalar[] = [];
      const add = (name: string, weight: number | undefined, f: () => tf.Scalar) => {
        if (!weight) return;
        const v = f();
        parts[name] = tf.keep(v);
        terms.push(tf.mul(v, weight) as tf.Scalar);
      };
      add('hardCe', loss.hardCe, () => crossEntropy(sel, targets));
      add('softCe', loss.softCe?.weight, () => kd(sel, softTargets!, { temperature: loss.softCe!.temperature }));
      add('jsd', loss.jsd?.weight, () => jsd(sel, teacherLogits!, { beta: loss.jsd!.beta, temperature: loss.jsd!.temperature }));
      add('hiddenCosine', pairs.length ? loss.hiddenCosine?.weight : 0, () =>
        tf.div(tf.addN(pairs.map(([s], i) => hiddenCosine(tf.gather(tf.reshape(hidden[s], [-1, student.config.dim]), positions), teacherHidden[i]))), pairs.length) as tf.Scalar,
      );
      return tf.addN(terms) as tf.Scalar;
    }, variables);
    const clipped = clip > 0 ? clipByGlobalNorm(grads, clip) : grads;
    opt.applyGradients(clipped as unknown as Record<string, tf.Variable>);
    const lossValue = (await value.data())[0];
    const partValues = Object.fromEntries(Object.entries(parts).map(([k, v]) => [k, v.dataSync()[0]]));
    tf.dispose([value, positions, targets, ...Object.values(grads), ...Object.values(clipped), ...Object.values(parts), ...teacherHidden]);
    if (softTargets !== teacherLogits) softTargets?.dispose();
    teacherLogits?.dispose();
    if (!Number.isFinite(lossValue)) throw new DistilleryError('USAGE', `training diverged at step ${step + 1}: loss ${lossValue} (try a lower train.lr than ${o.lr})`);
    losses.push(lossValue);
    counted += M;
    step++;
    o.onStep?.({ step, steps: o.steps, loss: lossValue, parts: partValues, lr, tokens: M });
    if (o.checkpointDir && (step % (o.checkpointEvery ?? 100) === 0 || step === o.steps)) {
      await saveLmCheckpoint(o.checkpointDir, student, opt, { step, rngState: rng.state, losses });
    }
  }
  opt.dispose();
  const seconds = (performance.now() - t0) / 1000;
  return { losses, resumedFrom, seconds, tokensPerSecond: counted / Math.max(seconds, 1e-9) };
}

/** Scales all gradients by min(1, maxNorm / ‖g‖₂) over every gradient together. */
function clipByGlobalNorm(grads: tf.NamedTensorMap, maxNorm: number): tf.NamedTensorMap {
  return tf.tidy(() => {
    const names = Object.keys(grads);
    const norm = tf.sqrt(tf.addN(names.map((n) => tf.sum(tf.square(grads[n])))));
    const scale = tf.minimum(1, tf.div(maxNorm, tf.maximum(norm, 1e-12)));
    return Object.fromEntries(names.map((n) => [n, tf.mul(grads[n], scale)]));
  });
}
