import * as tf from '@tensorflow/tfjs-core';
import '../engine/setup.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { randomLogits } from '../../test/loss-reference.js';
import { DistilleryError } from '../errors.js';
import { attentionTransfer, crossEntropy, dkd, hiddenCosine, hintMse, jsd, kd, lossByName, losses, mseLogits, reverseKl, schedule, tvd, weightedSum } from './index.js';
import type { LossInputs } from './types.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const value = (t: tf.Tensor) => t.dataSync()[0];
const zs = tf.tensor2d(randomLogits(4, 6, 3, 1));
const zt = tf.tensor2d(randomLogits(4, 6, 3, 2));
const labels = tf.tensor1d([0, 5, 2, 3], 'int32');
const maps = (seed: number, c: number) => tf.randomNormal([4, 3, 3, c], 0, 1, 'float32', seed);
const inputs: LossInputs = {
  studentLogits: zs,
  teacherLogits: zt,
  labels,
  studentFeatures: { block: maps(1, 4), hidden: tf.randomNormal([4, 8], 0, 1, 'float32', 3) },
  teacherFeatures: { block: maps(2, 4), wide: maps(5, 16), hidden: tf.randomNormal([4, 8], 0, 1, 'float32', 4) },
};

describe('loss registry', () => {
  it('every factory builds a LossFn equal to the plain function on the same tensors', () => {
    const T = { temperature: 3 };
    const pairs: [number, number][] = [
      [value(losses.kd(T)(inputs)), value(kd(zs, zt, T))],
      [value(losses.ce()(inputs)), value(crossEntropy(zs, labels))],
      [value(losses.reverseKl(T)(inputs)), value(reverseKl(zs, zt, T))],
      [value(losses.jsd({ beta: 0.3, ...T })(inputs)), value(jsd(zs, zt, { beta: 0.3, ...T }))],
      [value(losses.tvd(T)(inputs)), value(tvd(zs, zt, T))],
      [value(losses.mseLogits()(inputs)), value(mseLogits(zs, zt))],
      [value(losses.dkd({ alpha: 1, beta: 8, ...T })(inputs)), value(dkd(zs, zt, labels, { alpha: 1, beta: 8, ...T }))],
      [value(losses.hintMse({ studentFeature: 'block' })(inputs)), value(hintMse(inputs.studentFeatures!.block, inputs.teacherFeatures!.block))],
      [
        value(losses.attentionTransfer({ studentFeature: 'block', teacherFeature: 'wide', p: 2 })(inputs)),
        value(attentionTransfer(inputs.studentFeatures!.block as tf.Tensor4D, inputs.teacherFeatures!.wide as tf.Tensor4D)),
      ],
      [value(losses.hiddenCosine({ studentFeature: 'hidden' })(inputs)), value(hiddenCosine(inputs.studentFeatures!.hidden, inputs.teacherFeatures!.hidden))],
    ];
    for (const [got, want] of pairs) expect(got).toBe(want);
    expect(Object.keys(losses).length).toBe(pairs.length + 1); // + hinton, tested in kd.test.ts
  });

  it('leaves no intermediate tensors behind (every loss runs in tf.tidy)', () => {
    const T = { temperature: 2 };
    const fns = [
      losses.kd(T), losses.ce(), losses.reverseKl(T), losses.jsd({ beta: 0.4, ...T }), losses.tvd(T), losses.mseLogits(),
      losses.dkd({ alpha: 1, beta: 8, ...T }), losses.hintMse({ studentFeature: 'block' }),
      losses.attentionTransfer({ studentFeature: 'block', teacherFeature: 'wide' }), losses.hiddenCosine({ studentFeature: 'hidden' }),
      weightedSum([{ loss: losses.kd(T), weight: 0.5 }, { loss: losses.ce(), weight: 0.5 }]),
    ];
    for (const f of fns) {
      const before = tf.memory().numTensors;
      f(inputs).dispose();
      expect(tf.memory().numTensors).toBe(before);
    }
  });

  it('an unknown name fails with the list of valid names', () => {
    expect(() => lossByName('foo')).toThrow(
      'loss: unknown name "foo", expected one of kd, hinton, ce, reverseKl, jsd, tvd, mseLogits, dkd, hintMse, attentionTransfer, hiddenCosine',
    );
    expect(() => lossByName('toString')).toThrow(DistilleryError); // inherited properties are not losses
    expect(lossByName('jsd')).toBe(losses.jsd);
  });

  it('missing inputs name what the loss needs and what it got', () => {
    expect(() => losses.kd({ temperature: 2 })({ studentLogits: zs })).toThrow('kd loss: needs teacher logits, got none');
    expect(() => losses.dkd({ alpha: 1, beta: 8, temperature: 2 })({ studentLogits: zs, teacherLogits: zt })).toThrow('dkd loss: needs labels, got none');
    expect(() => losses.hintMse({ studentFeature: 'block3' })(inputs)).toThrow('hintMse loss: needs studentFeatures "block3", got names block, hidden');
    expect(() => losses.hiddenCosine({ studentFeature: 'hidden' })({ studentLogits: zs, studentFeatures: inputs.studentFeatures })).toThrow(
      'hiddenCosine loss: needs teacherFeatures "hidden", got no teacherFeatures',
    );
  });

  it('mismatched teacher/student class counts show both shapes through the registry too', () => {
    const wide = tf.zeros([4, 10]) as tf.Tensor2D;
    for (const name of ['kd', 'reverseKl', 'tvd'] as const) {
      expect(() => losses[name]({ temperature: 2 })({ studentLogits: zs, teacherLogits: wide })).toThrow(`${name} teacher logits: expected logits [4, 6], got [4, 10]`);
    }
  });
});

describe('weightedSum', () => {
  it('is Σ w_i · L_i, with fixed weights and schedules read at inputs.epoch', () => {
    const soft = losses.kd({ temperature: 4 });
    const hard = losses.ce();
    const [a, b] = [value(soft(inputs)), value(hard(inputs))];
    expect(value(weightedSum([{ loss: soft, weight: 0.7 }, { loss: hard, weight: 0.3 }])(inputs))).toBeCloseTo(0.7 * a + 0.3 * b, 5);
    const ramp = weightedSum([{ loss: soft, weight: schedule.linear(1, 0, 3) }, { loss: hard, weight: schedule.constant(2) }]);
    expect(value(ramp({ ...inputs, epoch: 1 }))).toBeCloseTo(a + 2 * b, 5);
    expect(value(ramp({ ...inputs, epoch: 2 }))).toBeCloseTo(0.5 * a + 2 * b, 5);
    expect(value(ramp({ ...inputs, epoch: 3 }))).toBeCloseTo(2 * b, 5);
    expect(() => ramp(inputs)).toThrow('weightedSum terms[0].weight: a schedule needs inputs.epoch, got none');
  });

  it('skips terms whose weight is 0, so they need none of their inputs', () => {
    const loss = weightedSum([{ loss: losses.kd({ temperature: 2 }), weight: 0 }, { loss: losses.ce(), weight: 1 }]);
    expect(value(loss({ studentLogits: zs, labels }))).toBeCloseTo(value(crossEntropy(zs, labels)), 6);
  });

  it('rejects an empty list and non-finite weights', () => {
    expect(() => weightedSum([])).toThrow('weightedSum: expected at least one { loss, weight } term, got none');
    expect(() => weightedSum([{ loss: losses.ce(), weight: NaN }])).toThrow('weightedSum terms[0].weight: expected a finite number or a schedule, got NaN');
  });
});
