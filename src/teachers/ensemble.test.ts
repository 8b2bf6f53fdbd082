import * as tf from '@tensorflow/tfjs-core';
import '../engine/setup.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { logSoftmax, randomLogits, softmax } from '../../test/loss-reference.js';
import { ensembleTeacher } from './ensemble.js';
import { functionTeacher } from './function.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const x = tf.tensor2d(randomLogits(4, 3, 1, 9)); // [B, D] = [4, 3]
/** A member whose logits are fixed rows, whatever the input. */
const fixed = (rows: number[][]) => functionTeacher(() => tf.tensor2d(rows));
const Z = [randomLogits(4, 5, 3, 1), randomLogits(4, 5, 3, 2), randomLogits(4, 5, 3, 3)];
const closeRows = (got: number[][], want: number[][]) => got.forEach((r, b) => r.forEach((v, c) => expect(v).toBeCloseTo(want[b][c], 4)));

describe('ensembleTeacher', () => {
  it('mean-logits is the weighted mean of the logits', () => {
    const w = [2, 1, 1];
    const got = ensembleTeacher(Z.map(fixed), { combine: 'mean-logits', weights: w }).logits(x).arraySync();
    closeRows(got, Z[0].map((r, b) => r.map((_, c) => (2 * Z[0][b][c] + Z[1][b][c] + Z[2][b][c]) / 4)));
  });

  it('mean-probs returns the log of the weighted mean probabilities, against a scalar reference', () => {
    const w = [0.5, 0.3, 0.2];
    const got = ensembleTeacher(Z.map(fixed), { combine: 'mean-probs', weights: w }).logits(x);
    const want = Z[0].map((_, b) => {
      const ps = Z.map((z) => softmax(z[b]));
      return ps[0].map((_, c) => Math.log(ps.reduce((s, p, i) => s + w[i] * p[c], 0)));
    });
    closeRows(got.arraySync(), want);
    const sums = tf.sum(tf.exp(got), 1).arraySync() as number[];
    sums.forEach((s) => expect(s).toBeCloseTo(1, 5)); // already normalized log-probabilities
  });

  it('one member, or equal members, give that member back (as log-probabilities for mean-probs)', () => {
    closeRows(ensembleTeacher([fixed(Z[0])], { combine: 'mean-logits' }).logits(x).arraySync(), Z[0]);
    closeRows(ensembleTeacher([fixed(Z[1]), fixed(Z[1])], { combine: 'mean-probs' }).logits(x).arraySync(), Z[1].map((r) => logSoftmax(r)));
  });

  it('zero-weight members are not run', () => {
    let calls = 0;
    const counted = functionTeacher(() => (calls++, tf.tensor2d(Z[2])));
    ensembleTeacher([fixed(Z[0]), counted], { combine: 'mean-probs', weights: [1, 0] }).logits(x);
    expect(calls).toBe(0);
  });

  it('members with different class counts fail with both shapes', () => {
    const e = ensembleTeacher([fixed(Z[0]), fixed(randomLogits(4, 7, 1, 4))], { combine: 'mean-probs' });
    expect(() => e.logits(x)).toThrow('ensemble member 1: expected logits [4, 5] like member 0, got [4, 7]');
  });

  it('bad weights name what was expected', () => {
    const m = [fixed(Z[0]), fixed(Z[1])];
    expect(() => ensembleTeacher(m, { combine: 'mean-probs', weights: [1] })).toThrow('ensemble weights: expected 2 (one per member), got 1');
    expect(() => ensembleTeacher(m, { combine: 'mean-probs', weights: [1, -1] })).toThrow('ensemble weights[1]: expected number ≥ 0, got -1');
    expect(() => ensembleTeacher(m, { combine: 'mean-probs', weights: [0, 0] })).toThrow('ensemble weights: expected a positive sum, got 0');
    expect(() => ensembleTeacher([], { combine: 'mean-probs' })).toThrow('ensemble: expected at least one member, got none');
    expect(() => ensembleTeacher(m, { combine: 'median' as never })).toThrow('ensemble combine: expected mean-logits or mean-probs, got median');
  });
});
