import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { selectBackend } from '../engine/backend.js';
import { nativeKernels, registerNativeBackend } from './index.js';
import { useNative } from './testing.js';

describe('registerNativeBackend', () => {
  it('inherits every cpu kernel and overrides the native ones; safe to call twice', async () => {
    useNative(2);
    registerNativeBackend({ threads: 1 });
    registerNativeBackend({});
    const cpu = tf.getKernelsForBackend('cpu').map((k) => k.kernelName);
    const native = new Set(tf.getKernelsForBackend('native').map((k) => k.kernelName));
    for (const name of cpu) expect(native.has(name), name).toBe(true);
    for (const k of nativeKernels) expect(tf.getKernel(k.kernelName, 'native')!.kernelFunc).toBe(k.kernelFunc);
    expect(await tf.setBackend('native')).toBe(true);
    expect(tf.add(tf.scalar(1), tf.scalar(2)).dataSync()[0]).toBe(3);
  });
  it('selectBackend picks native for auto and native', async () => {
    expect((await selectBackend('auto')).name).toBe('native');
    expect((await selectBackend('native', { threads: 2 })).name).toBe('native');
    expect(tf.getBackend()).toBe('native');
  });
  it('fused Adam keeps TF.js optimizer state (moments, iterations) identical to cpu', async () => {
    const run = async (backend: string) => {
      await tf.setBackend(backend);
      const w = tf.variable(tf.tensor1d([0.5, -1, 2, 0]));
      const opt = tf.train.adam(0.1);
      for (let i = 0; i < 3; i++) opt.minimize(() => tf.sum(tf.square(tf.sub(w, tf.tensor1d([1, 2, 3, 4])))));
      const weights = await opt.getWeights();
      const out = { w: Array.from(w.dataSync()), state: weights.map((s) => [s.name, Array.from(s.tensor.dataSync())]) };
      opt.dispose();
      w.dispose();
      return out;
    };
    const cpu = await run('cpu');
    const native = await run('native');
    expect(native.w).toEqual(cpu.w);
    // Variable names differ only by their global id; the slots and values must be the same.
    const slots = (st: typeof cpu.state) => st.map(([name, v]) => [String(name).replace(/^\d+/, 'w'), v]);
    expect(slots(native.state)).toEqual(slots(cpu.state));
  });
});
