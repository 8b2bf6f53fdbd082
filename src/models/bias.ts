import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { DistilleryError } from '../errors.js';

/**
 * Adds `delta[c]` to the output bias of class c, in place. Hinton et al.: a student distilled from a transfer
 * set without any 3s still learns most of what a 3 is, and raising the 3's bias by 3.5 recovers 98.6% of the
 * test 3s.
 *
 * @example adjustClassBias(student, { 3: 3.5 })
 */
export function adjustClassBias(model: tfl.LayersModel, delta: Record<number, number>): void {
  const last = model.layers[model.layers.length - 1];
  const weights = last.getWeights();
  if (weights.length < 2) throw new DistilleryError('MODEL', `${last.name}: expected an output layer with a bias, got ${weights.length} weight tensor(s)`);
  const bias = weights[1];
  const classes = bias.shape[0];
  const values = bias.dataSync().slice();
  for (const [k, d] of Object.entries(delta)) {
    const c = Number(k);
    if (!Number.isInteger(c) || c < 0 || c >= classes) throw new DistilleryError('CONFIG', `bias adjustment: expected class ids in [0, ${classes - 1}], got ${k}`);
    values[c] += d;
  }
  const next = tf.tensor1d(values);
  last.setWeights([weights[0], next, ...weights.slice(2)]);
  next.dispose();
}
