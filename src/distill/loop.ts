/**
 * The distillation loop. Read it top to bottom:
 *
 *   1. the teacher's soft targets for the transfer set are computed once (or per batch when inputs are augmented);
 *   2. each epoch shuffles the data, and for every batch the student's logits and the teacher's logits go
 *      into the loss; gradients flow only into the student's trainable weights;
 *   3. at the end of every epoch a checkpoint is written, so a killed run resumes where it stopped.
 *
 * Hard-label training is the same loop without a teacher.
 */
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { gatherBatch, epochOrder } from '../data/batches.js';
import type { Split } from '../data/mnist.js';
import { rng as globalRng, type Rng } from '../engine/seed.js';
import { DistilleryError, fmtShape } from '../errors.js';
import type { LossFn } from '../losses/types.js';
import { featureModel } from '../models/features.js';
import type { TeacherCache } from '../teachers/cache.js';
import { asTeacher, teacherLogitsFor, type TeacherLike } from '../teachers/teacher.js';
import { loadCheckpoint, saveCheckpoint } from './checkpoint.js';

export interface EpochLog {
  epoch: number; // 1-based
  loss: number; // mean training loss over the epoch's batches
  seconds: number;
  [metric: string]: number;
}

export interface BatchLog {
  epoch: number;
  batch: number; // 1-based
  batches: number;
  loss: number;
}

export interface DistillCallbacks {
  onBatchEnd?(log: BatchLog): void;
  /** May add metrics to the log (e.g. validation accuracy) before it is checkpointed. */
  onEpochEnd?(log: EpochLog): void | Promise<void>;
}

export interface DistillOptions {
  /** The model being trained. Its output must be logits [B, C]. */
  student: tfl.LayersModel;
  /** Frozen, in inference mode. Omit for hard-label training. */
  teacher?: TeacherLike;
  /** The transfer set. */
  data: Split;
  loss: LossFn;
  optimizer?: tf.Optimizer;
  epochs: number;
  batchSize: number;
  /** Random image shifts of up to ±jitter pixels (0 = none). The teacher then sees the same shifted batch. */
  jitter?: number;
  rng?: Rng;
  callbacks?: DistillCallbacks;
  /** Soft targets from an offline cache (see buildTeacherCache) instead of running the teacher. */
  teacherCache?: TeacherCache;
  /** Student activations the loss compares (`hidden-1` …), passed to it as `studentFeatures`. */
  studentFeatures?: string[];
  /** Teacher activations the loss compares, passed as `teacherFeatures`; the teacher must be a layers model. */
  teacherFeatures?: string[];
  /** Folder for per-epoch checkpoints; when it holds one, training resumes from it. */
  checkpointDir?: string;
}

export interface DistillResult {
  history: EpochLog[];
  /** Epochs run by this call (0 when the checkpoint was already complete). */
  epochsRun: number;
  resumedFrom: number;
}

/**
 * Trains `student` to match `teacher` (or the labels) with `loss`.
 *
 * @example
 * await distill({ teacher, student, data: mnist.train, loss: hinton({ temperature: 20, alpha: 0.9 }),
 *                 epochs: 10, batchSize: 128 })
 */
export async function distill(opts: DistillOptions): Promise<DistillResult> {
  const { student, data, loss, epochs, batchSize, jitter = 0, callbacks = {} } = opts;
  const rng = opts.rng ?? globalRng();
  const optimizer = opts.optimizer ?? tf.train.adam(1e-3);
  const teacher = opts.teacher ? asTeacher(opts.teacher) : undefined;
  const vars = student.trainableWeights.map((w) => w.read() as tf.Variable);
  // Optimizers update variables directly, bypassing layer constraints (max-norm): re-apply them after each step.
  const constrained = student.trainableWeights.filter((w) => w.constraint != null);
  const D = data.features;

  const inShape = student.inputs[0].shape;
  if (inShape.length !== 2 || inShape[1] !== D) {
    throw new DistilleryError('SHAPE', `student input: expected ${fmtShape([-1, D])} for ${D}-feature data, got ${fmtShape(inShape.map((d) => d ?? -1))}`);
  }

  // Feature losses see named activations: models sharing the student's (and teacher's) layers output them.
  const sNames = opts.studentFeatures ?? [];
  const tNames = opts.teacherFeatures ?? [];
  const studentWithFeatures = sNames.length ? featureModel(student, sNames, 'student') : undefined;
  let teacherWithFeatures: tfl.LayersModel | undefined;
  if (tNames.length) {
    const t = opts.teacher;
    if (!t || typeof t !== 'object' || !('layers' in t)) {
      throw new DistilleryError('USAGE', 'teacher features: expected a TF.js layers-model teacher, got ' + (t ? 'another kind of teacher (an ensemble or a function)' : 'none'));
    }
    teacherWithFeatures = featureModel(t, tNames, 'teacher');
  }

  // 1. Soft targets: from an offline cache, or computed once when the transfer set is not augmented.
  let softTargets: ((rows: Int32Array) => { z: Float32Array; classes: number }) | undefined;
  if (opts.teacherCache) {
    const cache = opts.teacherCache;
    if (cache.count !== data.count) {
      throw new DistilleryError('SHAPE', `teacher cache ${cache.file}: expected ${data.count} rows (one per training example), got ${cache.count}`);
    }
    softTargets = (rows) => ({ z: cache.read(rows), classes: cache.classes });
  } else if (teacher && jitter === 0) {
    const all = teacherLogitsFor(teacher, data.images, data.count, D);
    const C = all.classes;
    softTargets = (rows) => {
      const z = new Float32Array(rows.length * C);
      for (let i = 0; i < rows.length; i++) z.set(all.data.subarray(rows[i] * C, (rows[i] + 1) * C), i * C);
      return { z, classes: C };
    };
  }

  let history: EpochLog[] = [];
  let start = 0;
  if (opts.checkpointDir) {
    const state = await loadCheckpoint<EpochLog>(opts.checkpointDir, student, optimizer);
    if (state) {
      start = state.epoch;
      history = state.history;
      rng.state = state.rngState;
      globalRng().state = state.globalRngState;
    }
  }

  const batches = Math.ceil(data.count / batchSize);
  for (let epoch = start + 1; epoch <= epochs; epoch++) {
    const t0 = performance.now();
    const order = epochOrder(data.count, rng);
    let lossSum = 0;
    for (let b = 0; b < batches; b++) {
      const batch = gatherBatch(data, order, b * batchSize, batchSize, jitter, rng);
      const cost = tf.tidy(() => {
        const x = tf.tensor2d(batch.x, [batch.size, D]); // [B, D]
        const labels = tf.tensor1d(batch.y, 'int32'); // [B]
        // 2. The teacher's logits are constants here: computed outside the gradient tape.
        let teacherLogits: tf.Tensor2D | undefined;
        let teacherFeatures: Record<string, tf.Tensor> | undefined;
        if (softTargets) {
          const { z, classes } = softTargets(batch.index);
          teacherLogits = tf.tensor2d(z, [batch.size, classes]); // [B, C]
        }
        if (teacherWithFeatures) {
          const [z, ...acts] = teacherWithFeatures.predict(x) as tf.Tensor[];
          teacherLogits ??= z as tf.Tensor2D; // [B, C]
          teacherFeatures = Object.fromEntries(tNames.map((n, i) => [n, acts[i]])); // each [B, H]
        } else if (teacher && !teacherLogits) {
          teacherLogits = teacher.logits(x); // [B, C]
        }
        return optimizer.minimize(
          () => {
            let studentLogits: tf.Tensor2D;
            let studentFeatures: Record<string, tf.Tensor> | undefined;
            if (studentWithFeatures) {
              const [z, ...acts] = studentWithFeatures.apply(x, { training: true }) as tf.Tensor[];
              studentLogits = z as tf.Tensor2D; // [B, C]
              studentFeatures = Object.fromEntries(sNames.map((n, i) => [n, acts[i]])); // each [B, H]
            } else {
              studentLogits = student.apply(x, { training: true }) as tf.Tensor2D; // [B, C]
            }
            // epoch (1-based) lets scheduled loss weights and temperatures change from epoch to epoch.
            return loss({ studentLogits, teacherLogits, labels, epoch, studentFeatures, teacherFeatures });
          },
          true,
          vars,
        )!;
      });
      for (const w of constrained) tf.tidy(() => (w.read() as tf.Variable).assign(w.constraint!.apply(w.read())));
      const value = (await cost.data())[0];
      cost.dispose();
      if (!Number.isFinite(value)) {
        throw new DistilleryError('MODEL', `training diverged: loss is ${value} at epoch ${epoch}, batch ${b + 1} (lower the learning rate)`);
      }
      lossSum += value;
      callbacks.onBatchEnd?.({ epoch, batch: b + 1, batches, loss: value });
    }
    const log: EpochLog = { epoch, loss: lossSum / batches, seconds: (performance.now() - t0) / 1000 };
    await callbacks.onEpochEnd?.(log);
    history.push(log);
    // 3. Checkpoint: weights, optimizer moments, the random generator, history.
    if (opts.checkpointDir) await saveCheckpoint(opts.checkpointDir, student, optimizer, { epoch, rngState: rng.state, globalRngState: globalRng().state, history });
  }
  return { history, epochsRun: Math.max(0, epochs - start), resumedFrom: start };
}
