import { DistilleryError } from '../errors.js';
import { crossEntropy } from './ce.js';
import { hinton } from './hinton.js';
import type { LossFn } from './types.js';

export { kd } from './kd.js';
export { crossEntropy } from './ce.js';
export { hinton } from './hinton.js';
export type { LossFn, LossInputs } from './types.js';

/** Loss factories by config name. Each takes its options object and returns a LossFn. */
export const losses = {
  hinton: (o: { temperature: number; alpha: number }) => hinton(o),
  ce: (_o: Record<string, never> = {}) =>
    (({ studentLogits, labels }) => {
      if (!labels) throw new DistilleryError('USAGE', 'ce loss: needs labels, got none');
      return crossEntropy(studentLogits, labels);
    }) as LossFn,
} satisfies Record<string, (o: never) => LossFn>;

export type LossName = keyof typeof losses;

export function lossByName(name: string): (typeof losses)[LossName] {
  if (!(name in losses)) {
    throw new DistilleryError('CONFIG', `loss: unknown name "${name}", expected one of ${Object.keys(losses).join(', ')}`);
  }
  return losses[name as LossName];
}
