import * as tf from '@tensorflow/tfjs-core';
import { DistilleryError } from '../errors.js';
import type { Schedule } from './schedule.js';
import type { LossFn } from './types.js';

export interface WeightedLoss {
  loss: LossFn;
  /** A fixed weight, or a schedule read at `inputs.epoch`. */
  weight: number | Schedule;
}

/**
 * Σ_i w_i · L_i. A term whose weight is 0 at this call is not evaluated, so it needs none of its inputs
 * (as `hinton` with α = 1 needs no labels).
 *
 * @example
 * weightedSum([
 *   { loss: losses.kd({ temperature: 4 }), weight: schedule.linear(1, 0.5, 10) },
 *   { loss: losses.ce(), weight: 0.5 },
 * ])
 */
export function weightedSum(terms: WeightedLoss[]): LossFn {
  if (terms.length === 0) throw new DistilleryError('CONFIG', 'weightedSum: expected at least one { loss, weight } term, got none');
  terms.forEach(({ weight }, i) => {
    if (typeof weight === 'number' && !Number.isFinite(weight)) {
      throw new DistilleryError('CONFIG', `weightedSum terms[${i}].weight: expected a finite number or a schedule, got ${weight}`);
    }
  });
  return (inputs) =>
    tf.tidy(() => {
      let total: tf.Scalar = tf.scalar(0);
      terms.forEach(({ loss, weight }, i) => {
        let w = weight as number;
        if (typeof weight === 'function') {
          if (inputs.epoch === undefined) {
            throw new DistilleryError('USAGE', `weightedSum terms[${i}].weight: a schedule needs inputs.epoch, got none`);
          }
          w = weight(inputs.epoch);
        }
        if (w !== 0) total = tf.add(total, tf.mul(loss(inputs), w));
      });
      return total;
    });
}
