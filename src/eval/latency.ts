import * as tf from '@tensorflow/tfjs-core';
import type { Teacher } from '../teachers/teacher.js';

export interface Latency {
  /** Median milliseconds for one sample at batch 1. */
  msPerSample: number;
  /** Throughput at batch 256. */
  samplesPerSec: number;
}

function time(fn: () => void, reps: number): number[] {
  const out: number[] = [];
  for (let r = 0; r < reps; r++) {
    const t0 = performance.now();
    fn();
    out.push(performance.now() - t0);
  }
  return out.sort((a, b) => a - b);
}

/** Inference latency of a model on `features`-wide inputs (a warm-up call first, medians after). */
export function measureLatency(model: Teacher, features: number, opts: { reps1?: number; reps256?: number } = {}): Latency {
  const one = tf.randomUniform([1, features]) as tf.Tensor2D;
  const big = tf.randomUniform([256, features]) as tf.Tensor2D;
  const run = (x: tf.Tensor2D) => () => tf.tidy(() => model.logits(x).dataSync());
  run(one)();
  run(big)();
  const t1 = time(run(one), opts.reps1 ?? 50);
  const t256 = time(run(big), opts.reps256 ?? 5);
  one.dispose();
  big.dispose();
  const median = (a: number[]) => a[Math.floor(a.length / 2)];
  return { msPerSample: median(t1), samplesPerSec: 256 / (median(t256) / 1000) };
}
