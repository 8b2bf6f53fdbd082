import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { ExperimentConfigSchema, LossTermSchema } from '../config/experiment.js';
import { parseWith } from '../config/format.js';
import '../engine/setup.js';
import { crossEntropy } from '../losses/ce.js';
import { kd } from '../losses/kd.js';
import { lossFromTerms } from './experiment.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const zs = () => tf.tensor2d([[1, 2, 0.5], [0, -1, 3]]);
const zt = () => tf.tensor2d([[2, 0, 1], [1, 1, 0]]);
const y = () => tf.tensor1d([1, 2], 'int32');
const val = (t: tf.Scalar) => t.dataSync()[0];

describe('loss terms from config', () => {
  it('a weighted sum of registry losses equals the sum computed by hand', () => {
    const terms = [{ name: 'kd', temperature: 4, weight: 0.7 }, { name: 'ce', weight: 0.3 }].map((t) => parseWith(LossTermSchema, t));
    const got = val(lossFromTerms(terms)({ studentLogits: zs(), teacherLogits: zt(), labels: y(), epoch: 1 }));
    expect(got).toBeCloseTo(0.7 * val(kd(zs(), zt(), { temperature: 4 })) + 0.3 * val(crossEntropy(zs(), y())), 5);
  });

  it('a temperature given as { from, to, epochs } is annealed linearly over epochs', () => {
    const loss = lossFromTerms([parseWith(LossTermSchema, { name: 'kd', temperature: { from: 8, to: 2, epochs: 4 } })]);
    for (const [epoch, T] of [[1, 8], [2, 6], [3, 4], [4, 2], [9, 2]]) {
      expect(val(loss({ studentLogits: zs(), teacherLogits: zt(), epoch }))).toBeCloseTo(val(kd(zs(), zt(), { temperature: T })), 5);
    }
  });

  it('a scheduled weight turns the hard-label term off over epochs', () => {
    const loss = lossFromTerms([
      parseWith(LossTermSchema, { name: 'kd', temperature: 2 }),
      parseWith(LossTermSchema, { name: 'ce', weight: { from: 1, to: 0, epochs: 3 } }),
    ]);
    const soft = val(kd(zs(), zt(), { temperature: 2 }));
    const hard = val(crossEntropy(zs(), y()));
    expect(val(loss({ studentLogits: zs(), teacherLogits: zt(), labels: y(), epoch: 1 }))).toBeCloseTo(soft + hard, 5);
    expect(val(loss({ studentLogits: zs(), teacherLogits: zt(), labels: y(), epoch: 2 }))).toBeCloseTo(soft + 0.5 * hard, 5);
    expect(val(loss({ studentLogits: zs(), teacherLogits: zt(), epoch: 3 }))).toBeCloseTo(soft, 5);
  });

  it('schedule ends are range-checked like the plain option', () => {
    const base = { teachers: [{ name: 't', hidden: [4], epochs: 1 }], students: [{ name: 's', hidden: [4], epochs: 1, loss: [{ name: 'kd', temperature: -1 }] }] };
    expect(() => parseWith(ExperimentConfigSchema, base)).toThrow(/config\.students\.0\.loss\.0\.temperature/);
  });
});
