import * as tf from '@tensorflow/tfjs-core';
import { DistilleryError, fmtShape } from '../errors.js';
import { checkLogits } from './check.js';

/**
 * Hard-label cross-entropy: mean_b −log softmax(z)_{y_b}.
 *
 * @example crossEntropy(logits, tf.tensor1d([3, 1], 'int32'))
 */
export function crossEntropy(logits: tf.Tensor2D, labels: tf.Tensor1D): tf.Scalar {
  checkLogits('cross-entropy logits', logits);
  if (labels.rank !== 1 || labels.shape[0] !== logits.shape[0]) {
    throw new DistilleryError('SHAPE', `cross-entropy labels: expected [${logits.shape[0]}], got ${fmtShape(labels.shape)}`);
  }
  return tf.tidy(() => {
    const logP = tf.logSoftmax(logits); // [B, C]
    const onehot = tf.oneHot(tf.cast(labels, 'int32'), logits.shape[1]); // [B, C]
    return tf.neg(tf.mean(tf.sum(tf.mul(onehot, logP), 1))) as tf.Scalar;
  });
}
