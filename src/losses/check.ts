import type * as tf from '@tensorflow/tfjs-core';
import { DistilleryError, fmtShape } from '../errors.js';

/** Asserts a [B, C] logits tensor, and (when given) that it matches `like`. */
export function checkLogits(name: string, t: tf.Tensor, like?: tf.Tensor): void {
  if (t.rank !== 2) {
    throw new DistilleryError('SHAPE', `${name}: expected logits [B, C], got ${fmtShape(t.shape)}`);
  }
  if (like && (t.shape[0] !== like.shape[0] || t.shape[1] !== like.shape[1])) {
    throw new DistilleryError('SHAPE', `${name}: expected logits ${fmtShape(like.shape)}, got ${fmtShape(t.shape)}`);
  }
}
