// Per-kernel time of the KD step on a backend: wraps every registered kernelFunc with a timer.
// Usage: npx tsx scripts/profile-kd-step.ts [batch] [hidden] [steps] [backend]
import * as tf from '@tensorflow/tfjs-core';
import { selectBackend } from '../src/engine/backend.js';
import { hinton } from '../src/losses/hinton.js';
import { buildMlp } from '../src/models/mlp.js';

const [B, H, steps] = [Number(process.argv[2] ?? 1024), Number(process.argv[3] ?? 2048), Number(process.argv[4] ?? 5)];
const backendName = process.argv[5] ?? 'native';
await selectBackend(backendName);
const stats = new Map<string, { n: number; ms: number }>();
for (const k of tf.getKernelsForBackend(backendName)) {
  const f = k.kernelFunc;
  const name = k.kernelName;
  (k as { kernelFunc: typeof f }).kernelFunc = ((args: Parameters<typeof f>[0]) => {
    const t0 = performance.now();
    const r = f(args);
    const s = stats.get(name) ?? { n: 0, ms: 0 };
    s.n++;
    s.ms += performance.now() - t0;
    stats.set(name, s);
    return r;
  }) as typeof f;
}
const model = buildMlp({ inputSize: 784, hidden: [H, H], classes: 10 });
const opt = tf.train.adam(1e-3);
const loss = hinton({ temperature: 4, alpha: 0.9 });
const x = tf.randomNormal([B, 784]);
const t = tf.randomNormal([B, 10]) as tf.Tensor2D;
const labels = tf.tensor1d(Array.from({ length: B }, () => Math.floor(Math.random() * 10)), 'int32');
const step = () => tf.tidy(() => { opt.minimize(() => loss({ studentLogits: model.apply(x, { training: true }) as tf.Tensor2D, teacherLogits: t, labels }), false); });
for (let i = 0; i < 3; i++) step();
stats.clear();
const s0 = (tf.backend() as unknown as { stats?: { hits: number; misses: number } }).stats;
if (s0) s0.hits = s0.misses = 0;
const t0 = performance.now();
for (let i = 0; i < steps; i++) step();
const total = (performance.now() - t0) / steps;
let kern = 0;
const rows = [...stats].sort((a, b) => b[1].ms - a[1].ms);
for (const [, s] of rows) kern += s.ms / steps;
const pool = (tf.backend() as unknown as { stats?: { hits: number; misses: number } }).stats;
if (pool) console.log(`buffer pool per step: ${pool.hits / steps} hits, ${pool.misses / steps} misses`);
console.log(`step ${total.toFixed(2)} ms, kernels ${kern.toFixed(2)} ms, other ${(total - kern).toFixed(2)} ms, tensors ${tf.memory().numTensors}`);
for (const [name, s] of rows) console.log(`${name.padEnd(24)} ${String(s.n / steps).padStart(4)}x ${(s.ms / steps).toFixed(3).padStart(9)} ms`);
