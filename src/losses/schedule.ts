import { DistilleryError } from '../errors.js';

/** A value per 1-based epoch (fractional epochs allowed), e.g. a temperature or a loss weight. */
export type Schedule = (epoch: number) => number;

const finite = (name: string, v: number) => {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new DistilleryError('CONFIG', `${name}: expected a finite number, got ${v}`);
};

/**
 * The same value every epoch.
 *
 * @example constant(4)(7) // 4
 */
export function constant(value: number): Schedule {
  finite('constant schedule value', value);
  return () => value;
}

/**
 * Linear ramp from `from` at epoch 1 to `to` at epoch `epochs`, held at `to` afterwards
 * (and at `from` before epoch 1). With `epochs` = 1 it is `to` from the start.
 *
 * @example linear(8, 1, 5) // epochs 1..5 → 8, 6.25, 4.5, 2.75, 1; epoch 9 → 1
 */
export function linear(from: number, to: number, epochs: number): Schedule {
  finite('linear schedule from', from);
  finite('linear schedule to', to);
  if (!Number.isInteger(epochs) || epochs < 1) {
    throw new DistilleryError('CONFIG', `linear schedule epochs: expected integer ≥ 1, got ${epochs}`);
  }
  return (epoch) => {
    const t = epochs === 1 ? 1 : Math.min(1, Math.max(0, (epoch - 1) / (epochs - 1)));
    return from * (1 - t) + to * t; // exact at both ends
  };
}
