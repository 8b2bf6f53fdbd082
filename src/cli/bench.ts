import * as tf from '@tensorflow/tfjs-core';
import { parseArgs } from 'node:util';
import { selectBackend } from '../engine/backend.js';
import { DistilleryError } from '../errors.js';
import { hinton } from '../losses/hinton.js';
import { buildMlp } from '../models/mlp.js';
import { loadAddon } from '../native/addon.js';

const INPUT = 784;
const CLASSES = 10;

/** Parses flags strictly; any unknown or malformed flag is a one-line USAGE error. */
function flags<T extends Record<string, { type: 'string' | 'boolean' }>>(argv: string[], options: T, what: string) {
  try {
    return parseArgs({ args: argv, options, strict: true, allowPositionals: false }).values;
  } catch (e) {
    throw new DistilleryError('USAGE', `bench ${what}: ${(e as Error).message.split('\n')[0]}`);
  }
}

function int(name: string, v: string | boolean | undefined, dflt: number, min = 1): number {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new DistilleryError('USAGE', `--${name}: expected an integer ≥ ${min}, got "${v}"`);
  return n;
}

/** FLOPs of one step: forward 2·B·P, weight grads 2·B·P, input grads of every layer but the first. */
export function kdStepFlops(batch: number, hidden: number): number {
  const params = INPUT * hidden + hidden * hidden + hidden * CLASSES;
  return 2 * batch * (2 * params + hidden * hidden + hidden * CLASSES);
}

export interface KdStepResult {
  bench: 'kd-step';
  backend: string;
  threads: number | null;
  batch: number;
  hidden: number;
  steps: number;
  ms_per_step: number;
  samples_per_s: number;
  gflops: number;
}

/**
 * Times the KD training step: student MLP 784-H-H-10, Hinton loss (α 0.9, T 4), Adam 1e-3 via minimize,
 * on random inputs, teacher logits and labels.
 */
export async function benchKdStep(opts: { backend: string; batch: number; hidden: number; steps: number; threads?: number }): Promise<KdStepResult> {
  const info = await selectBackend(opts.backend, { threads: opts.threads });
  const { batch: B, hidden: H } = opts;
  const model = buildMlp({ inputSize: INPUT, hidden: [H, H], classes: CLASSES });
  const optimizer = tf.train.adam(1e-3);
  const loss = hinton({ temperature: 4, alpha: 0.9 });
  const x = tf.randomNormal([B, INPUT]); // [B, 784]
  const teacherLogits = tf.randomNormal([B, CLASSES]) as tf.Tensor2D; // [B, C]
  const labels = tf.tensor1d(Array.from({ length: B }, () => Math.floor(Math.random() * CLASSES)), 'int32'); // [B]
  const step = (): void =>
    tf.tidy(() => {
      optimizer.minimize(() => {
        const studentLogits = model.apply(x, { training: true }) as tf.Tensor2D; // [B, C]
        return loss({ studentLogits, teacherLogits, labels });
      }, false);
    });
  for (let i = 0; i < Math.min(5, opts.steps); i++) step();
  const t0 = performance.now();
  for (let i = 0; i < opts.steps; i++) step();
  const ms = (performance.now() - t0) / opts.steps;
  tf.dispose([x, teacherLogits, labels]);
  optimizer.dispose();
  model.layers.forEach((l) => l.dispose());
  return {
    bench: 'kd-step', backend: info.name, threads: opts.threads ?? null, batch: B, hidden: H, steps: opts.steps,
    ms_per_step: ms, samples_per_s: (B * 1000) / ms, gflops: kdStepFlops(B, H) / ms / 1e6,
  };
}

export interface SgemmResult {
  bench: 'sgemm';
  n: number;
  threads: number;
  /** The peak: the better of our pooled split and OpenBLAS's own threading. */
  gflops: number;
  gflops_pool: number;
  gflops_openblas_threads: number;
}

/** Raw single-precision GEMM [n, n] × [n, n] through the addon, best of a few repetitions (GFLOP/s). */
export function benchSgemm(opts: { n: number; threads: number }): SgemmResult {
  const addon = loadAddon();
  addon.setThreads(opts.threads);
  const { n } = opts;
  const a = Float32Array.from({ length: n * n }, () => Math.random() - 0.5); // [n, n]
  const b = Float32Array.from({ length: n * n }, () => Math.random() - 0.5); // [n, n]
  const c = new Float32Array(n * n); // [n, n]
  const flops = 2 * n * n * n;
  const reps = Math.max(3, Math.min(20, Math.round(2e11 / flops)));
  const best = (run: () => void): number => {
    run();
    let min = Infinity;
    for (let r = 0; r < reps; r++) {
      const t0 = performance.now();
      run();
      min = Math.min(min, performance.now() - t0);
    }
    return flops / min / 1e6;
  };
  const pool = best(() => addon.gemm(false, false, n, n, n, a, b, c, 1, 1, 1, null, 0, 0));
  const blas = best(() => addon.gemmBlas(n, n, n, a, b, c, opts.threads));
  return { bench: 'sgemm', n, threads: opts.threads, gflops: Math.max(pool, blas), gflops_pool: pool, gflops_openblas_threads: blas };
}

const fmt = (v: number, d = 1): string => v.toFixed(d);

/**
 * `distillery bench kd-step|sgemm [flags]`: prints one line (or one JSON line with --json).
 * @returns the exit code.
 */
export async function benchCommand(argv: string[]): Promise<number> {
  const [what, ...rest] = argv;
  if (what === 'kd-step') {
    const v = flags(rest, {
      backend: { type: 'string' }, batch: { type: 'string' }, hidden: { type: 'string' },
      steps: { type: 'string' }, threads: { type: 'string' }, json: { type: 'boolean' },
    }, 'kd-step');
    const r = await benchKdStep({
      backend: String(v.backend ?? 'auto'), batch: int('batch', v.batch, 128), hidden: int('hidden', v.hidden, 800),
      steps: int('steps', v.steps, 50), threads: v.threads === undefined ? undefined : int('threads', v.threads, 1),
    });
    process.stdout.write(v.json ? `${JSON.stringify(r)}\n`
      : `kd-step ${r.backend}: batch ${r.batch} hidden ${r.hidden}: ${fmt(r.ms_per_step, 2)} ms/step, ${fmt(r.samples_per_s, 0)} samples/s, ${fmt(r.gflops)} GFLOP/s\n`);
    return 0;
  }
  if (what === 'sgemm') {
    const v = flags(rest, { n: { type: 'string' }, threads: { type: 'string' }, json: { type: 'boolean' } }, 'sgemm');
    const envThreads = process.env.DISTILLERY_THREADS;
    const r = benchSgemm({ n: int('n', v.n, 2048), threads: int('threads', v.threads ?? envThreads, 2) });
    process.stdout.write(v.json ? `${JSON.stringify(r)}\n`
      : `sgemm ${r.n}×${r.n}×${r.n}, ${r.threads} threads: ${fmt(r.gflops)} GFLOP/s (pool ${fmt(r.gflops_pool)}, OpenBLAS threads ${fmt(r.gflops_openblas_threads)})\n`);
    return 0;
  }
  throw new DistilleryError('USAGE', `bench: expected kd-step or sgemm, got ${what === undefined ? 'nothing' : `"${what}"`}`);
}
