import * as tf from '@tensorflow/tfjs-core';
import { DistilleryError, fmtShape } from '../errors.js';
import { asTeacher, type Teacher, type TeacherLike } from './teacher.js';

export type EnsembleCombine = 'mean-logits' | 'mean-probs';

export interface EnsembleOptions {
  /**
   * `mean-logits`: z = Σ_i w_i z_i (a geometric mean of the members' distributions, renormalized).
   * `mean-probs`:  z = log Σ_i w_i softmax(z_i), an arithmetic mean of their distributions, returned as
   * log-probabilities (valid logits: softmax(z) is the mixture).
   */
  combine: EnsembleCombine;
  /** One non-negative weight per member, normalized to sum to 1 (default: equal). */
  weights?: number[];
}

/**
 * Several teachers as one. Weight-0 members are not run. With a temperature T, KD softens the combined
 * logits: for `mean-probs` that is softmax(log(mixture) / T) ∝ mixture^(1/T), not the mixture of
 * tempered members.
 *
 * @example new EnsembleTeacher([teacherA, teacherB], { combine: 'mean-probs', weights: [2, 1] })
 */
export class EnsembleTeacher implements Teacher {
  readonly members: Teacher[];
  readonly combine: EnsembleCombine;
  /** Normalized weights, one per member. */
  readonly weights: number[];

  constructor(members: TeacherLike[], opts: EnsembleOptions) {
    if (members.length === 0) throw new DistilleryError('CONFIG', 'ensemble: expected at least one member, got none');
    if (opts.combine !== 'mean-logits' && opts.combine !== 'mean-probs') {
      throw new DistilleryError('CONFIG', `ensemble combine: expected mean-logits or mean-probs, got ${String(opts.combine)}`);
    }
    const w = opts.weights ?? members.map(() => 1);
    if (w.length !== members.length) {
      throw new DistilleryError('CONFIG', `ensemble weights: expected ${members.length} (one per member), got ${w.length}`);
    }
    w.forEach((v, i) => {
      if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new DistilleryError('CONFIG', `ensemble weights[${i}]: expected number ≥ 0, got ${v}`);
    });
    const sum = w.reduce((a, b) => a + b, 0);
    if (sum <= 0) throw new DistilleryError('CONFIG', `ensemble weights: expected a positive sum, got ${sum}`);
    this.members = members.map(asTeacher);
    this.combine = opts.combine;
    this.weights = w.map((v) => v / sum);
  }

  logits(x: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() => {
      const used = this.members.map((m, i) => [m, this.weights[i], i] as const).filter(([, w]) => w > 0);
      let first: readonly number[] | undefined;
      const parts = used.map(([m, w, i]) => {
        const z = m.logits(x); // [B, C]
        first ??= z.shape;
        if (z.rank !== 2 || z.shape[0] !== first[0] || z.shape[1] !== first[1]) {
          throw new DistilleryError('SHAPE', `ensemble member ${i}: expected logits ${fmtShape(first)} like member ${used[0][2]}, got ${fmtShape(z.shape)}`);
        }
        // mean-probs sums w_i·p_i in log space: log w_i + log softmax(z_i)
        return this.combine === 'mean-logits' ? tf.mul(z, w) : tf.add(tf.logSoftmax(z), Math.log(w)); // [B, C]
      });
      if (this.combine === 'mean-logits') return tf.addN(parts) as tf.Tensor2D; // [B, C]
      return tf.logSumExp(tf.stack(parts), 0) as tf.Tensor2D; // [M, B, C] -> [B, C]
    });
  }
}

/**
 * Combines teachers into one: by averaging logits or probabilities, optionally weighted.
 *
 * @example ensembleTeacher([modelA, modelB, (x) => modelC(x)], { combine: 'mean-probs' })
 */
export function ensembleTeacher(members: TeacherLike[], opts: EnsembleOptions): EnsembleTeacher {
  return new EnsembleTeacher(members, opts);
}
