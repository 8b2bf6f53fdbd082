import type * as tf from '@tensorflow/tfjs-core';

/** Named intermediate activations, e.g. `{ block2: [B, H, W, C], hidden: [B, D] }`. */
export type FeatureMap = Record<string, tf.Tensor>;

/** What a loss receives: tensors only, never a model. */
export interface LossInputs {
  studentLogits: tf.Tensor2D; // [B, C]
  teacherLogits?: tf.Tensor2D; // [B, C]
  labels?: tf.Tensor1D; // [B] int32 class ids
  /** Student activations for feature losses (hints, attention transfer, hidden-state cosine). */
  studentFeatures?: FeatureMap;
  /** Teacher activations under the names the feature losses ask for. */
  teacherFeatures?: FeatureMap;
  /** 1-based epoch (fractional within an epoch allowed); read by scheduled loss weights. */
  epoch?: number;
}

/** A loss returns a scalar: the mean over the batch. */
export type LossFn = (inputs: LossInputs) => tf.Scalar;
