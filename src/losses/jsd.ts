import * as tf from '@tensorflow/tfjs-core';
import { checkAbove, checkLogits, checkRange } from './check.js';
import { kd } from './kd.js';
import { reverseKl } from './reverse-kl.js';

export interface JsdOptions {
  /** Mixing weight β ∈ [0, 1] of the teacher in the mixture m (TRL's `beta`). */
  beta: number;
  /** Softmax temperature T > 0. */
  temperature: number;
  /** Multiply by T² like `kd` and `reverseKl` (default true). TRL does not: pass false to match its values. */
  scaleByT2?: boolean;
}

/** log(e^a + e^b) = max + log1p(e^−|a−b|): the log1p keeps a tiny second term exact in float32. */
const logAddExp = (a: tf.Tensor, b: tf.Tensor): tf.Tensor =>
  tf.add(tf.maximum(a, b), tf.log1p(tf.exp(tf.neg(tf.abs(tf.sub(a, b))))));

/**
 * Generalized Jensen–Shannon divergence of GKD (Agarwal et al. 2024, "On-Policy Distillation of Language
 * Models"), with the conventions of TRL's `GKDTrainer.generalized_jsd_loss`:
 *
 *   m = β·p_t + (1 − β)·p_s,   p = softmax(z / T)
 *   JSD_β = β·KL(p_t ‖ m) + (1 − β)·KL(p_s ‖ m)
 *   L = T² · mean_b JSD_β
 *
 * β = ½ is the symmetric JS divergence (≤ log 2). Near the ends JSD_β itself vanishes, at first order:
 *
 *   β → 0:  JSD_β = β · KL(p_t ‖ p_s) + O(β²)            so JSD_β / β       → KL(p_t ‖ p_s) (forward, `kd`)
 *   β → 1:  JSD_β = (1 − β) · KL(p_s ‖ p_t) + O((1−β)²)  so JSD_β / (1 − β) → KL(p_s ‖ p_t) (reverse, `reverseKl`)
 *
 * (with m = p_s + β(p_t − p_s), KL(p_s ‖ m) = β²/2 · χ²(p_t ‖ p_s) + O(β³) is second order while
 * KL(p_t ‖ m) → KL(p_t ‖ p_s); symmetrically at β → 1). Following TRL, the endpoints are *defined* as those
 * rescaled limits: β = 0 returns exactly `kd`, β = 1 exactly `reverseKl`. The loss therefore jumps at the
 * endpoints: jsd at β = 1e-6 is about 1e-6 × jsd at β = 0.
 *
 * log m − log p is computed as a log-add-exp with log1p, so the first-order behaviour holds in float32 even
 * at β = 1e-6.
 *
 * @example jsd(studentLogits, teacherLogits, { beta: 0.5, temperature: 1 })
 */
export function jsd(studentLogits: tf.Tensor2D, teacherLogits: tf.Tensor2D, opts: JsdOptions): tf.Scalar {
  checkLogits('jsd student logits', studentLogits);
  checkLogits('jsd teacher logits', teacherLogits, studentLogits);
  const { beta, temperature: t, scaleByT2 } = opts;
  checkRange('jsd beta', beta, 0, 1);
  checkAbove('jsd temperature', t);
  if (beta === 0) return kd(studentLogits, teacherLogits, { temperature: t, scaleByT2 });
  if (beta === 1) return reverseKl(studentLogits, teacherLogits, { temperature: t, scaleByT2 });
  return tf.tidy(() => {
    const logPs = tf.logSoftmax(tf.div(studentLogits, t)); // [B, C]
    const logPt = tf.logSoftmax(tf.div(teacherLogits, t)); // [B, C]
    const d = tf.sub(logPt, logPs); // [B, C] log(p_t / p_s)
    const logB = tf.scalar(Math.log(beta));
    const log1mB = tf.scalar(Math.log1p(-beta));
    const mOverPs = logAddExp(log1mB, tf.add(logB, d)); // [B, C] log(m / p_s) = log((1−β) + β·p_t/p_s)
    const mOverPt = logAddExp(logB, tf.sub(log1mB, d)); // [B, C] log(m / p_t) = log(β + (1−β)·p_s/p_t)
    const klT = tf.neg(tf.sum(tf.mul(tf.exp(logPt), mOverPt), 1)); // [B] KL(p_t ‖ m)
    const klS = tf.neg(tf.sum(tf.mul(tf.exp(logPs), mOverPs), 1)); // [B] KL(p_s ‖ m)
    const js = tf.add(tf.mul(klT, beta), tf.mul(klS, 1 - beta)); // [B]
    return tf.mul(tf.mean(js), scaleByT2 === false ? 1 : t * t) as tf.Scalar;
  });
}
