import type * as tf from '@tensorflow/tfjs-core';
import { checkAbove, checkLogits } from './check.js';
import { kd } from './kd.js';

export interface ReverseKlOptions {
  /** Softmax temperature T > 0. */
  temperature: number;
  /** Multiply by T², as `kd` does (default true). */
  scaleByT2?: boolean;
}

/**
 * Reverse KL, the mode-seeking direction (used for LLM distillation, e.g. MiniLLM, Gu et al. 2024):
 *
 *   L = T² · mean_b KL(p_s ‖ p_t) = T² · mean_b Σ_c p_s (log p_s − log p_t),
 *   p_s = softmax(z_s / T),  p_t = softmax(z_t / T)
 *
 * `kd` is the other direction, KL(p_t ‖ p_s). The student is pushed to put mass only where the teacher does,
 * rather than to cover all of the teacher's mass.
 *
 * @example reverseKl(studentLogits, teacherLogits, { temperature: 2 })
 */
export function reverseKl(studentLogits: tf.Tensor2D, teacherLogits: tf.Tensor2D, opts: ReverseKlOptions): tf.Scalar {
  checkLogits('reverseKl student logits', studentLogits);
  checkLogits('reverseKl teacher logits', teacherLogits, studentLogits);
  const t = opts.temperature;
  checkAbove('reverseKl temperature', t);
  // KL(p_s ‖ p_t) is kd with the roles swapped; gradients flow through both of kd's arguments.
  return kd(teacherLogits, studentLogits, { temperature: t, scaleByT2: opts.scaleByT2 });
}
