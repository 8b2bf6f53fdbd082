import type * as tf from '@tensorflow/tfjs-core';
import { asTeacher, type Teacher } from './teacher.js';

/**
 * A teacher from a plain function of the inputs (run inside tf.tidy), optionally with a function that
 * returns named intermediate activations for feature losses.
 *
 * @example functionTeacher((x) => tf.matMul(x, w) as tf.Tensor2D)
 */
export function functionTeacher(
  logits: (x: tf.Tensor2D) => tf.Tensor2D,
  features?: (x: tf.Tensor2D) => Record<string, tf.Tensor>,
): Teacher {
  const t = asTeacher(logits);
  return features ? { logits: t.logits, features } : t;
}
