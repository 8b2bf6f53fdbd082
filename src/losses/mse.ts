import * as tf from '@tensorflow/tfjs-core';
import { checkLogits } from './check.js';

/**
 * Logit matching (Ba & Caruana 2014, "Do Deep Nets Really Need to be Deep?"):
 *
 *   L = mean_{b,c} (z_s − z_t)²
 *
 * the mean over batch and classes, as PyTorch's `F.mse_loss`. For zero-mean logits, T²·KD → ½·L as
 * T → ∞ (Hinton et al. 2015, §2.1): KD at high temperature is logit matching.
 *
 * @example mseLogits(studentLogits, teacherLogits)
 */
export function mseLogits(studentLogits: tf.Tensor2D, teacherLogits: tf.Tensor2D): tf.Scalar {
  checkLogits('mseLogits student logits', studentLogits);
  checkLogits('mseLogits teacher logits', teacherLogits, studentLogits);
  return tf.tidy(() => tf.mean(tf.squaredDifference(studentLogits, teacherLogits)) as tf.Scalar); // [B, C] -> []
}
