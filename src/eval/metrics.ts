import type { Split } from '../data/mnist.js';
import { teacherLogitsFor, type Teacher } from '../teachers/teacher.js';

export interface ClassificationMetrics {
  /** Misclassified test examples (out of `count`). */
  testErrors: number;
  testAccuracy: number;
  /** Mean negative log-likelihood of the true labels. */
  nll: number;
  /** Expected calibration error, 15 equal-width confidence bins. */
  ece: number;
  count: number;
}

/** Logits of `model` over a whole split, in batches, as [N * C] floats. */
export function predictLogits(model: Teacher, split: Split, batch = 1000): { logits: Float32Array; classes: number } {
  const { data, classes } = teacherLogitsFor(model, split.images, split.count, split.features, batch);
  return { logits: data, classes };
}

/** Row-wise argmax of [N * C] logits. */
export function argmaxRows(logits: Float32Array, classes: number): Int32Array {
  const n = logits.length / classes;
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let c = 1; c < classes; c++) if (logits[i * classes + c] > logits[i * classes + best]) best = c;
    out[i] = best;
  }
  return out;
}

/**
 * Accuracy, errors, NLL and ECE from logits, computed in float64 in plain JS
 * (so metrics do not depend on the backend's reductions).
 */
export function classificationMetrics(logits: Float32Array, classes: number, labels: Int32Array, bins = 15): ClassificationMetrics {
  const n = labels.length;
  let errors = 0;
  let nll = 0;
  const binCount = new Float64Array(bins);
  const binConf = new Float64Array(bins);
  const binAcc = new Float64Array(bins);
  for (let i = 0; i < n; i++) {
    const row = logits.subarray(i * classes, (i + 1) * classes);
    let max = -Infinity;
    let arg = 0;
    for (let c = 0; c < classes; c++) if (row[c] > max) (max = row[c]), (arg = c);
    let sum = 0;
    for (let c = 0; c < classes; c++) sum += Math.exp(row[c] - max);
    const logZ = max + Math.log(sum);
    nll += logZ - row[labels[i]];
    const conf = Math.exp(max - logZ);
    const correct = arg === labels[i] ? 1 : 0;
    errors += 1 - correct;
    const b = Math.min(bins - 1, Math.floor(conf * bins));
    binCount[b]++;
    binConf[b] += conf;
    binAcc[b] += correct;
  }
  let ece = 0;
  for (let b = 0; b < bins; b++) if (binCount[b] > 0) ece += Math.abs(binAcc[b] - binConf[b]) / n;
  return { testErrors: errors, testAccuracy: n ? (n - errors) / n : 0, nll: n ? nll / n : 0, ece, count: n };
}

/** Fraction of examples where two models predict the same class. */
export function agreement(a: Int32Array, b: Int32Array): number {
  let same = 0;
  for (let i = 0; i < a.length; i++) if (a[i] === b[i]) same++;
  return a.length ? same / a.length : 0;
}
