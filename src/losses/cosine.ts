import * as tf from '@tensorflow/tfjs-core';
import { DistilleryError, fmtShape } from '../errors.js';
import { checkSameShape } from './check.js';

export interface HiddenCosineOptions {
  /** 1 for rows that count, 0 for padding: [B] for [B, D] inputs, [B, T] for [B, T, D] inputs. */
  mask?: tf.Tensor;
}

const EPS = 1e-8;

/**
 * DistilBERT's cosine embedding loss (Sanh et al. 2019) aligning the student's hidden states with the
 * teacher's, direction only:
 *
 *   L = mean_rows (1 − cos(h_s, h_t)),  cos(a, b) = a·b / (max(‖a‖, ε) · max(‖b‖, ε)),  ε = 1e-8
 *
 * over rows of [B, D] or [B, T, D] inputs (every token of every sequence is a row); with a mask only the
 * rows marked 1 count, as DistilBERT skips padding. 0 for identical inputs, 2 for opposite ones.
 *
 * @example hiddenCosine(studentHidden, teacherHidden, { mask: attentionMask })
 */
export function hiddenCosine(studentHidden: tf.Tensor, teacherHidden: tf.Tensor, opts: HiddenCosineOptions = {}): tf.Scalar {
  if (teacherHidden.rank !== 2 && teacherHidden.rank !== 3) {
    throw new DistilleryError('SHAPE', `hiddenCosine teacher hidden: expected [B, D] or [B, T, D], got ${fmtShape(teacherHidden.shape)}`);
  }
  checkSameShape('hiddenCosine student hidden', studentHidden, teacherHidden.shape);
  const { mask } = opts;
  if (mask) checkSameShape('hiddenCosine mask', mask, teacherHidden.shape.slice(0, -1));
  return tf.tidy(() => {
    const D = teacherHidden.shape[teacherHidden.rank - 1];
    const s = tf.reshape(studentHidden, [-1, D]); // [N, D]
    const t = tf.reshape(teacherHidden, [-1, D]); // [N, D]
    const norms = tf.mul(tf.maximum(tf.norm(s, 'euclidean', 1), EPS), tf.maximum(tf.norm(t, 'euclidean', 1), EPS)); // [N]
    const loss = tf.sub(1, tf.div(tf.sum(tf.mul(s, t), 1), norms)); // [N]
    if (!mask) return tf.mean(loss) as tf.Scalar;
    const m = tf.cast(tf.reshape(mask, [-1]), 'float32'); // [N]
    return tf.div(tf.sum(tf.mul(loss, m)), tf.maximum(tf.sum(m), 1)) as tf.Scalar;
  });
}
