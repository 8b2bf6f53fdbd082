// Test helpers: run the same computation on the cpu and native backends and compare.
import * as tf from '@tensorflow/tfjs-core';
import '../engine/setup.js';
import { existsSync } from 'node:fs';
import { expect } from 'vitest';
import { addonPath } from './addon.js';
import { registerNativeBackend } from './index.js';

/** Registers the native backend; fails loudly (never skips) when the addon is not built. */
export function useNative(threads = 2): void {
  if (!existsSync(addonPath())) {
    throw new Error(`native addon not built at ${addonPath()}: install g++ and libopenblas-dev, then run npm rebuild`);
  }
  registerNativeBackend({ threads });
}

/** A deterministic pseudo-random float32 array in [-scale, scale). */
export function rand(n: number, seed = 1, scale = 1): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    out[i] = ((s >>> 0) / 4294967296 * 2 - 1) * scale;
  }
  return out;
}

/** Runs `f` on cpu then on native (inputs are rebuilt inside f on each backend) and returns both results. */
export async function onBoth(f: () => tf.Tensor | tf.Tensor[]): Promise<{ cpu: tf.TypedArray[]; native: tf.TypedArray[]; shapes: number[][] }> {
  const run = async (backend: string) => {
    await tf.setBackend(backend);
    expect(tf.getBackend()).toBe(backend);
    const out = tf.tidy(f);
    const list = Array.isArray(out) ? out : [out];
    const res = { values: list.map((t) => t.dataSync().slice()), shapes: list.map((t) => t.shape) };
    tf.dispose(list);
    return res;
  };
  const cpu = await run('cpu');
  const native = await run('native');
  expect(native.shapes).toEqual(cpu.shapes);
  return { cpu: cpu.values, native: native.values, shapes: cpu.shapes };
}

/** Elementwise closeness with NaN == NaN and ±Inf exact. */
export function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, rtol = 1e-5, atol = 1e-5, what = ''): void {
  expect(actual.length, `${what} length`).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i];
    const e = expected[i];
    if (Number.isNaN(e) || !Number.isFinite(e)) {
      if (!Object.is(a, e) && !(Number.isNaN(a) && Number.isNaN(e))) expect(a, `${what}[${i}]`).toBe(e);
      continue;
    }
    if (Math.abs(a - e) > atol + rtol * Math.abs(e)) expect(a, `${what}[${i}] (expected ${e})`).toBeCloseTo(e, 10);
  }
}

/** onBoth + expectClose on every output. */
export async function same(f: () => tf.Tensor | tf.Tensor[], rtol = 1e-5, atol = 1e-5, what = ''): Promise<void> {
  const { cpu, native } = await onBoth(f);
  cpu.forEach((c, i) => expectClose(native[i], c, rtol, atol, `${what} out${i}`));
}
