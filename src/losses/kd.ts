import * as tf from '@tensorflow/tfjs-core';
import { checkLogits } from './check.js';

export interface KdOptions {
  /** Softmax temperature T > 0. */
  temperature: number;
  /** Multiply by T² so gradient magnitudes stay comparable across temperatures (default true). */
  scaleByT2?: boolean;
}

/**
 * Soft-target distillation loss (Hinton, Vinyals & Dean 2015):
 *
 *   L = T² · mean_b KL(p_t ‖ p_s),  p_t = softmax(z_t / T),  p_s = softmax(z_s / T)
 *
 * with KL(p ‖ q) = Σ_c p_c (log p_c − log q_c). Its gradient w.r.t. z_s is T·(p_s − p_t) per example
 * (divided by B for the mean); without the T² factor it is (p_s − p_t)/T.
 *
 * @example kd(studentLogits, teacherLogits, { temperature: 20 })
 */
export function kd(studentLogits: tf.Tensor2D, teacherLogits: tf.Tensor2D, opts: KdOptions): tf.Scalar {
  checkLogits('kd student logits', studentLogits);
  checkLogits('kd teacher logits', teacherLogits, studentLogits);
  const t = opts.temperature;
  return tf.tidy(() => {
    const logPs = tf.logSoftmax(tf.div(studentLogits, t)); // [B, C]
    const logPt = tf.logSoftmax(tf.div(teacherLogits, t)); // [B, C]
    const pt = tf.exp(logPt); // [B, C]
    const kl = tf.sum(tf.mul(pt, tf.sub(logPt, logPs)), 1); // [B]
    const scale = opts.scaleByT2 === false ? 1 : t * t;
    return tf.mul(tf.mean(kl), scale) as tf.Scalar;
  });
}
