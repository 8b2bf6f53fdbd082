/**
 * Transfer-set controls: which examples the student learns from. Hinton et al. show that soft targets let a
 * student learn from 3% of the data, and from a transfer set with a whole class left out.
 */
import type { Rng } from '../engine/seed.js';
import { DistilleryError } from '../errors.js';
import type { Split } from './mnist.js';

/** The rows `rows` of a split, copied into a new split (in that order; repeats allowed). */
export function selectRows(split: Split, rows: ArrayLike<number>): Split {
  const D = split.features;
  const images = new Float32Array(rows.length * D);
  const labels = new Int32Array(rows.length);
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i];
    images.set(split.images.subarray(r * D, (r + 1) * D), i * D);
    labels[i] = split.labels[r];
  }
  return { ...split, images, labels, count: rows.length };
}

/**
 * A random fraction of the examples (at least one), drawn without replacement.
 *
 * @example fraction(mnist.train, 0.03, rng) // 1,800 of 60,000
 */
export function fraction(split: Split, frac: number, rng: Rng): Split {
  if (!(frac > 0 && frac <= 1)) throw new DistilleryError('CONFIG', `transfer.fraction: expected a number in (0, 1], got ${frac}`);
  const n = Math.max(1, Math.round(split.count * frac));
  const order = rng.shuffle(Int32Array.from({ length: split.count }, (_, i) => i));
  return selectRows(split, order.subarray(0, n).sort());
}

/** The split without the examples of the given classes. */
export function excludeClasses(split: Split, classes: number[], numClasses: number): Split {
  for (const c of classes) {
    if (!Number.isInteger(c) || c < 0 || c >= numClasses) {
      throw new DistilleryError('CONFIG', `transfer.excludeClasses: expected class ids in [0, ${numClasses - 1}], got ${c}`);
    }
  }
  const drop = new Set(classes);
  const rows: number[] = [];
  for (let i = 0; i < split.count; i++) if (!drop.has(split.labels[i])) rows.push(i);
  return selectRows(split, rows);
}

/**
 * Resamples the split (with replacement, same size) so that class c is drawn in proportion to
 * weights[c] × its count: weight 2 doubles a class's share, 0 removes it.
 */
export function reweightClasses(split: Split, weights: number[], rng: Rng): Split {
  if (weights.some((w) => !(w >= 0))) throw new DistilleryError('CONFIG', `transfer.classWeights: expected numbers ≥ 0, got [${weights.join(', ')}]`);
  const cum = new Float64Array(split.count);
  let total = 0;
  for (let i = 0; i < split.count; i++) {
    const y = split.labels[i];
    if (y >= weights.length) {
      throw new DistilleryError('CONFIG', `transfer.classWeights: expected a weight for class ${y}, got ${weights.length} weights`);
    }
    total += weights[y];
    cum[i] = total;
  }
  if (total === 0) throw new DistilleryError('CONFIG', 'transfer.classWeights: every present class has weight 0');
  const rows = new Int32Array(split.count);
  for (let i = 0; i < split.count; i++) {
    const u = rng.next() * total;
    let lo = 0;
    let hi = split.count - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cum[mid] > u) hi = mid;
      else lo = mid + 1;
    }
    rows[i] = lo;
  }
  return selectRows(split, rows);
}

/** Examples per class: [count of class 0, count of class 1, ...]. */
export function classCounts(split: Split, numClasses: number): number[] {
  const counts = new Array(numClasses).fill(0);
  for (let i = 0; i < split.count; i++) counts[split.labels[i]]++;
  return counts;
}
