import * as tf from '@tensorflow/tfjs-core';
import { DistilleryError, fmtShape } from '../errors.js';
import { checkAbove, checkLogits } from './check.js';

export interface DkdOptions {
  /** Weight α of TCKD, the target-class term (paper: 1). */
  alpha: number;
  /** Weight β of NCKD, the non-target term (paper: 8 on CIFAR-100, 0.5 on ImageNet). */
  beta: number;
  /** Softmax temperature T > 0 (paper: 4 on CIFAR-100, 1 on ImageNet). */
  temperature: number;
}

/** Per-example parts of DKD, unscaled (no T², no α/β): each [B]. */
export interface DkdParts {
  tckd: tf.Tensor1D;
  nckd: tf.Tensor1D;
  /** p_t^target: the teacher's softened probability of the labelled class. */
  teacherTarget: tf.Tensor1D;
}

// Pushes the target logit out of the non-target softmax; finite so that 0 · (masked log-prob) stays 0.
const MASKED = 1e9;

/** log p[target] and log(1 − p[target]) of softmax(zT) with the target's one-hot `mask`, each [B]. */
function binaryLogProbs(zT: tf.Tensor2D, mask: tf.Tensor2D): [tf.Tensor1D, tf.Tensor1D] {
  const lse = tf.logSumExp(zT, 1); // [B]
  const target = tf.sub(tf.sum(tf.mul(zT, mask), 1), lse) as tf.Tensor1D; // [B]
  // Summing the other classes' mass in log space keeps 1 − p_target exact when p_target ≈ 1.
  const other = tf.sub(tf.logSumExp(tf.sub(zT, tf.mul(mask, MASKED)), 1), lse) as tf.Tensor1D; // [B]
  return [target, other];
}

/**
 * TCKD, NCKD and p_t^target per example. They recombine to KD exactly (the DKD paper's reformulation of KD, §3.1):
 *
 *   KL(p_t ‖ p_s) = TCKD + (1 − p_t^target) · NCKD
 *
 * @example const { tckd, nckd, teacherTarget } = dkdParts(zs, zt, labels, 4)
 */
export function dkdParts(studentLogits: tf.Tensor2D, teacherLogits: tf.Tensor2D, labels: tf.Tensor1D, temperature: number): DkdParts {
  checkLogits('dkd student logits', studentLogits);
  checkLogits('dkd teacher logits', teacherLogits, studentLogits);
  if (labels.rank !== 1 || labels.shape[0] !== studentLogits.shape[0]) {
    throw new DistilleryError('SHAPE', `dkd labels: expected [${studentLogits.shape[0]}], got ${fmtShape(labels.shape)}`);
  }
  checkAbove('dkd temperature', temperature);
  return tf.tidy(() => {
    const C = studentLogits.shape[1];
    const mask = tf.cast(tf.oneHot(tf.cast(labels, 'int32'), C), 'float32') as tf.Tensor2D; // [B, C]
    const zs = tf.div(studentLogits, temperature) as tf.Tensor2D; // [B, C]
    const zt = tf.div(teacherLogits, temperature) as tf.Tensor2D; // [B, C]
    const [sTarget, sOther] = binaryLogProbs(zs, mask); // [B], [B]
    const [tTarget, tOther] = binaryLogProbs(zt, mask); // [B], [B]
    const teacherTarget = tf.exp(tTarget) as tf.Tensor1D; // [B]
    // TCKD = KL([p_t^y, 1 − p_t^y] ‖ [p_s^y, 1 − p_s^y])
    const tckd = tf.add(
      tf.mul(teacherTarget, tf.sub(tTarget, sTarget)),
      tf.mul(tf.exp(tOther), tf.sub(tOther, sOther)),
    ) as tf.Tensor1D; // [B]
    // NCKD = KL(p̂_t ‖ p̂_s) over the non-target classes, each renormalized to sum to 1.
    const logQs = tf.logSoftmax(tf.sub(zs, tf.mul(mask, MASKED))); // [B, C]
    const logQt = tf.logSoftmax(tf.sub(zt, tf.mul(mask, MASKED))); // [B, C]
    const nckd = tf.sum(tf.mul(tf.exp(logQt), tf.sub(logQt, logQs)), 1) as tf.Tensor1D; // [B]
    return { tckd, nckd, teacherTarget };
  });
}

/**
 * Decoupled Knowledge Distillation (Zhao, Cui, Song, Qiu & Liang, CVPR 2022):
 *
 *   L = T² · mean_b (α · TCKD + β · NCKD)
 *
 * TCKD is the KL between the binary distributions [p^target, 1 − p^target] of teacher and student; NCKD the KL
 * between their softmaxes over the non-target classes alone. Classical KD couples NCKD to the weight
 * (1 − p_t^target), which shrinks it exactly when the teacher is confident; DKD gives it its own weight β.
 *
 * @example dkd(studentLogits, teacherLogits, labels, { alpha: 1, beta: 8, temperature: 4 })
 */
export function dkd(studentLogits: tf.Tensor2D, teacherLogits: tf.Tensor2D, labels: tf.Tensor1D, opts: DkdOptions): tf.Scalar {
  const { alpha, beta, temperature: t } = opts;
  return tf.tidy(() => {
    const { tckd, nckd } = dkdParts(studentLogits, teacherLogits, labels, t);
    const perExample = tf.add(tf.mul(tckd, alpha), tf.mul(nckd, beta)); // [B]
    return tf.mul(tf.mean(perExample), t * t) as tf.Scalar;
  });
}
