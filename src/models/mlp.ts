import * as tf from '@tensorflow/tfjs-layers';
import { DistilleryError } from '../errors.js';

export interface MlpSpec {
  /** Input features, e.g. 784 for 28×28 images. */
  inputSize: number;
  /** Hidden layer widths, e.g. [1200, 1200]. */
  hidden: number[];
  /** Output classes; the model outputs logits (no softmax). */
  classes: number;
  /** Dropout after each hidden layer (0 = none). */
  dropout?: number;
  /** Dropout on the input (Hinton's teacher used 0.2). */
  inputDropout?: number;
  /** Max-norm constraint on each unit's incoming weights (0 or absent = none). */
  maxNorm?: number;
  name?: string;
}

/**
 * A ReLU multilayer perceptron that outputs logits.
 *
 * @example buildMlp({ inputSize: 784, hidden: [800, 800], classes: 10 })
 */
export function buildMlp(spec: MlpSpec): tf.Sequential {
  const { inputSize, hidden, classes, dropout = 0, inputDropout = 0, maxNorm = 0 } = spec;
  for (const [k, v] of [['inputSize', inputSize], ['classes', classes], ...hidden.map((h, i) => [`hidden[${i}]`, h])] as const) {
    if (!Number.isInteger(v) || (v as number) < 1) {
      throw new DistilleryError('CONFIG', `mlp.${k}: expected integer ≥ 1, got ${v}`);
    }
  }
  const constraint = maxNorm > 0 ? tf.constraints.maxNorm({ maxValue: maxNorm, axis: 0 }) : undefined;
  const model = tf.sequential({ name: spec.name });
  model.add(tf.layers.inputLayer({ inputShape: [inputSize] }));
  if (inputDropout > 0) model.add(tf.layers.dropout({ rate: inputDropout }));
  for (const units of hidden) {
    model.add(tf.layers.dense({ units, activation: 'relu', kernelConstraint: constraint }));
    if (dropout > 0) model.add(tf.layers.dropout({ rate: dropout }));
  }
  model.add(tf.layers.dense({ units: classes, kernelConstraint: constraint }));
  return model;
}

/** Number of trainable scalars. */
export const countParams = (model: tf.LayersModel): number => model.countParams();
