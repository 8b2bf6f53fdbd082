import { describe, expect, it } from 'vitest';
import { agreement, argmaxRows, classificationMetrics } from './metrics.js';

describe('classification metrics', () => {
  it('errors, accuracy, NLL and ECE on a hand-computed case', () => {
    // Row 0: softmax([ln 3, 0]) = [0.75, 0.25], label 0 (correct, conf 0.75)
    // Row 1: [0.75, 0.25], label 1 (wrong, conf 0.75)
    // Row 2: softmax([0, ln 9]) = [0.1, 0.9], label 1 (correct, conf 0.9)
    const logits = Float32Array.from([Math.log(3), 0, Math.log(3), 0, 0, Math.log(9)]);
    const m = classificationMetrics(logits, 2, Int32Array.from([0, 1, 1]), 10);
    expect(m.testErrors).toBe(1);
    expect(m.testAccuracy).toBeCloseTo(2 / 3, 10);
    expect(m.nll).toBeCloseTo((-Math.log(0.75) - Math.log(0.25) - Math.log(0.9)) / 3, 6);
    // Bin [0.7, 0.8): 2 examples, acc 0.5, conf 0.75 → |0.5 − 0.75|·2/3; bin [0.9, 1): acc 1, conf 0.9 → 0.1/3.
    expect(m.ece).toBeCloseTo((0.25 * 2) / 3 + 0.1 / 3, 6);
  });

  it('argmax and agreement', () => {
    const a = argmaxRows(Float32Array.from([1, 2, 3, 3, 2, 1, 0, 5, 0]), 3);
    expect(Array.from(a)).toEqual([2, 0, 1]);
    expect(agreement(a, Int32Array.from([2, 1, 1]))).toBeCloseTo(2 / 3, 10);
  });
});
