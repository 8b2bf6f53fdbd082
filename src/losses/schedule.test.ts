import { describe, expect, it } from 'vitest';
import { constant, linear } from './schedule.js';

describe('schedules', () => {
  it('constant is the same every epoch', () => {
    const s = constant(4);
    expect([1, 2, 100].map(s)).toEqual([4, 4, 4]);
  });

  it('linear ramps from epoch 1 to the last epoch and holds outside', () => {
    const s = linear(8, 1, 5);
    expect([1, 2, 3, 4, 5].map(s)).toEqual([8, 6.25, 4.5, 2.75, 1]);
    expect(s(9)).toBe(1);
    expect(s(0)).toBe(8);
    expect(s(2.5)).toBeCloseTo(5.375, 12); // fractional epochs, e.g. per batch
    expect(linear(0, 1, 1)(1)).toBe(1);
    expect([1, 3].map(linear(0.2, 0.9, 3))).toEqual([0.2, 0.9]);
  });

  it('rejects bad arguments with the expected form and the value', () => {
    expect(() => linear(1, 2, 0)).toThrow('linear schedule epochs: expected integer ≥ 1, got 0');
    expect(() => linear(1, NaN, 3)).toThrow('linear schedule to: expected a finite number, got NaN');
    expect(() => constant(Infinity)).toThrow('constant schedule value: expected a finite number, got Infinity');
  });
});
