import type * as tf from '@tensorflow/tfjs-core';
import { DistilleryError } from '../errors.js';
import { attentionTransfer } from './attention.js';
import { crossEntropy } from './ce.js';
import { hiddenCosine } from './cosine.js';
import { dkd, type DkdOptions } from './dkd.js';
import { hinton } from './hinton.js';
import { hintMse, type Regressor } from './hint.js';
import { jsd, type JsdOptions } from './jsd.js';
import { kd, type KdOptions } from './kd.js';
import { mseLogits } from './mse.js';
import { reverseKl, type ReverseKlOptions } from './reverse-kl.js';
import { tvd, type TvdOptions } from './tvd.js';
import type { LossFn, LossInputs } from './types.js';

export { kd, type KdOptions } from './kd.js';
export { crossEntropy } from './ce.js';
export { hinton, type HintonOptions } from './hinton.js';
export { mseLogits } from './mse.js';
export { reverseKl, type ReverseKlOptions } from './reverse-kl.js';
export { jsd, type JsdOptions } from './jsd.js';
export { tvd, type TvdOptions } from './tvd.js';
export { dkd, dkdParts, type DkdOptions, type DkdParts } from './dkd.js';
export { hintMse, hintRegressor, type HintRegressor, type Regressor } from './hint.js';
export { attentionTransfer, type AttentionTransferOptions } from './attention.js';
export { hiddenCosine, type HiddenCosineOptions } from './cosine.js';
export { weightedSum, type WeightedLoss } from './weighted-sum.js';
export * as schedule from './schedule.js';
export type { Schedule } from './schedule.js';
export type { FeatureMap, LossFn, LossInputs } from './types.js';

/** Which activations a feature loss compares: names in `studentFeatures` / `teacherFeatures`. */
export interface FeatureNames {
  studentFeature: string;
  /** Defaults to `studentFeature`. */
  teacherFeature?: string;
}

function teacherLogits(loss: string, inputs: LossInputs): tf.Tensor2D {
  if (!inputs.teacherLogits) throw new DistilleryError('USAGE', `${loss} loss: needs teacher logits, got none`);
  return inputs.teacherLogits;
}

function labels(loss: string, inputs: LossInputs): tf.Tensor1D {
  if (!inputs.labels) throw new DistilleryError('USAGE', `${loss} loss: needs labels, got none`);
  return inputs.labels;
}

/** The two activations a feature loss compares, or an error naming the missing one and the names present. */
function features(loss: string, inputs: LossInputs, o: FeatureNames): [tf.Tensor, tf.Tensor] {
  const pick = (side: 'student' | 'teacher', name: string) => {
    const map = side === 'student' ? inputs.studentFeatures : inputs.teacherFeatures;
    const t = map?.[name];
    if (!t) {
      const got = map ? `names ${Object.keys(map).join(', ') || '(none)'}` : `no ${side}Features`;
      throw new DistilleryError('USAGE', `${loss} loss: needs ${side}Features "${name}", got ${got}`);
    }
    return t;
  };
  return [pick('student', o.studentFeature), pick('teacher', o.teacherFeature ?? o.studentFeature)];
}

/** Loss factories by config name. Each takes its options object and returns a LossFn. */
export const losses = {
  kd: (o: KdOptions) => ((i) => kd(i.studentLogits, teacherLogits('kd', i), o)) as LossFn,
  hinton: (o: { temperature: number; alpha: number }) => hinton(o),
  ce: (_o: Record<string, never> = {}) => ((i) => crossEntropy(i.studentLogits, labels('ce', i))) as LossFn,
  reverseKl: (o: ReverseKlOptions) => ((i) => reverseKl(i.studentLogits, teacherLogits('reverseKl', i), o)) as LossFn,
  jsd: (o: JsdOptions) => ((i) => jsd(i.studentLogits, teacherLogits('jsd', i), o)) as LossFn,
  tvd: (o: TvdOptions) => ((i) => tvd(i.studentLogits, teacherLogits('tvd', i), o)) as LossFn,
  mseLogits: (_o: Record<string, never> = {}) => ((i) => mseLogits(i.studentLogits, teacherLogits('mseLogits', i))) as LossFn,
  dkd: (o: DkdOptions) => ((i) => dkd(i.studentLogits, teacherLogits('dkd', i), labels('dkd', i), o)) as LossFn,
  hintMse: (o: FeatureNames & { regressor?: Regressor }) =>
    ((i) => {
      const [s, t] = features('hintMse', i, o);
      return hintMse(s, t, o.regressor);
    }) as LossFn,
  attentionTransfer: (o: FeatureNames & { p?: number }) =>
    ((i) => {
      const [s, t] = features('attentionTransfer', i, o);
      return attentionTransfer(s as tf.Tensor4D, t as tf.Tensor4D, o);
    }) as LossFn,
  hiddenCosine: (o: FeatureNames) =>
    ((i) => {
      const [s, t] = features('hiddenCosine', i, o);
      return hiddenCosine(s, t);
    }) as LossFn,
} satisfies Record<string, (o: never) => LossFn>;

export type LossName = keyof typeof losses;

/** The factory registered under `name`; unknown names fail with the list of valid ones. */
export function lossByName(name: string): (typeof losses)[LossName] {
  if (!Object.hasOwn(losses, name)) {
    throw new DistilleryError('CONFIG', `loss: unknown name "${name}", expected one of ${Object.keys(losses).join(', ')}`);
  }
  return losses[name as LossName];
}
