import * as tf from '@tensorflow/tfjs-core';
import { checkAbove, checkLogits } from './check.js';

export interface TvdOptions {
  /** Softmax temperature T > 0. */
  temperature: number;
}

/**
 * Total variation distance between the softened distributions, one of the f-divergences studied for
 * distillation by Wen et al. 2023 ("f-Divergence Minimization for Sequence-Level Knowledge Distillation"):
 *
 *   L = mean_b ½ Σ_c |p_s − p_t|,  p = softmax(z / T)
 *
 * It lies in [0, 1]: 0 for identical distributions, 1 for disjoint supports. Unlike KL it is bounded,
 * so a confident wrong teacher cannot blow it up; it is not scaled by T².
 *
 * @example tvd(studentLogits, teacherLogits, { temperature: 1 })
 */
export function tvd(studentLogits: tf.Tensor2D, teacherLogits: tf.Tensor2D, opts: TvdOptions): tf.Scalar {
  checkLogits('tvd student logits', studentLogits);
  checkLogits('tvd teacher logits', teacherLogits, studentLogits);
  const t = opts.temperature;
  checkAbove('tvd temperature', t);
  return tf.tidy(() => {
    const ps = tf.softmax(tf.div(studentLogits, t)); // [B, C]
    const pt = tf.softmax(tf.div(teacherLogits, t)); // [B, C]
    return tf.mul(tf.mean(tf.sum(tf.abs(tf.sub(ps, pt)), 1)), 0.5) as tf.Scalar;
  });
}
