import type * as tf from '@tensorflow/tfjs-core';

/** What a loss receives: tensors only, never a model. */
export interface LossInputs {
  studentLogits: tf.Tensor2D; // [B, C]
  teacherLogits?: tf.Tensor2D; // [B, C]
  labels?: tf.Tensor1D; // [B] int32 class ids
}

/** A loss returns a scalar: the mean over the batch. */
export type LossFn = (inputs: LossInputs) => tf.Scalar;
