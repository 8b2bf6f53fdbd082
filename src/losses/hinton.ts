import * as tf from '@tensorflow/tfjs-core';
import { DistilleryError } from '../errors.js';
import { crossEntropy } from './ce.js';
import { kd } from './kd.js';
import type { LossFn } from './types.js';

export interface HintonOptions {
  /** Softmax temperature T of the soft term. */
  temperature: number;
  /** Weight α of the soft term; the hard-label term gets 1 − α. */
  alpha: number;
}

/**
 * Hinton KD: L = α · T² · KL(softmax(z_t/T) ‖ softmax(z_s/T)) + (1 − α) · CE(y, z_s).
 * α = 1 is pure soft-target training (labels unused); α = 0 is plain hard-label training (teacher unused).
 *
 * @example const loss = hinton({ temperature: 20, alpha: 0.9 }); loss({ studentLogits, teacherLogits, labels })
 */
export function hinton(opts: HintonOptions): LossFn {
  const { temperature, alpha } = opts;
  return ({ studentLogits, teacherLogits, labels }) =>
    tf.tidy(() => {
      let total: tf.Scalar | undefined;
      if (alpha > 0) {
        if (!teacherLogits) throw new DistilleryError('USAGE', 'hinton loss: alpha > 0 needs teacher logits, got none');
        total = tf.mul(kd(studentLogits, teacherLogits, { temperature }), alpha) as tf.Scalar;
      }
      if (alpha < 1) {
        if (!labels) throw new DistilleryError('USAGE', 'hinton loss: alpha < 1 needs labels, got none');
        const hard = tf.mul(crossEntropy(studentLogits, labels), 1 - alpha) as tf.Scalar;
        total = total ? (tf.add(total, hard) as tf.Scalar) : hard;
      }
      return total!;
    });
}
