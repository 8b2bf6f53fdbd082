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

/** Asserts a loss option is a finite number strictly above `min` (default 0), e.g. a temperature. */
export function checkAbove(name: string, v: number, min = 0): void {
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= min) {
    throw new DistilleryError('CONFIG', `${name}: expected number > ${min}, got ${v}`);
  }
}

/** Asserts a loss option lies in [lo, hi], e.g. a mixing weight β ∈ [0, 1]. */
export function checkRange(name: string, v: number, lo: number, hi: number): void {
  if (typeof v !== 'number' || !(v >= lo && v <= hi)) {
    throw new DistilleryError('CONFIG', `${name}: expected number in [${lo}, ${hi}], got ${v}`);
  }
}

/** Asserts a tensor has exactly `shape` (a loss that compares two tensors element-wise). */
export function checkSameShape(name: string, t: tf.Tensor, shape: readonly number[]): void {
  if (t.rank !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
    throw new DistilleryError('SHAPE', `${name}: expected ${fmtShape(shape)}, got ${fmtShape(t.shape)}`);
  }
}
