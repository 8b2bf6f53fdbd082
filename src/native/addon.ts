import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { DistilleryError } from '../errors.js';

/** The C++ addon's surface (native/src/addon.cc). Buffers are written in place; shapes are trusted. */
export interface NativeAddon {
  setThreads(n: number): number;
  threads(): number;
  gemm(
    ta: boolean, tb: boolean, m: number, n: number, k: number,
    a: Float32Array, b: Float32Array, c: Float32Array,
    batch: number, batchA: number, batchB: number,
    bias: Float32Array | null, act: number, alpha: number,
  ): void;
  gemmBlas(m: number, n: number, k: number, a: Float32Array, b: Float32Array, c: Float32Array, threads: number): void;
  unary(op: number, x: Float32Array, y: Float32Array, alpha: number): void;
  binary(op: number, a: Float32Array, b: Float32Array, out: Float32Array, rank: number, dims: Int32Array): void;
  reduce(op: number, x: Float32Array, y: Float32Array, outer: number, red: number, inner: number): void;
  softmax(x: Float32Array, y: Float32Array, rows: number, n: number, log: boolean): void;
  transpose(x: Float32Array, y: Float32Array, rank: number, dims: Int32Array): void;
  conv(kind: 0 | 1 | 2, a: Float32Array, b: Float32Array, out: Float32Array, geom: Int32Array): void;
  adam(
    value: Float32Array, m: Float32Array, v: Float32Array, g: Float32Array,
    beta1: number, oneMinusBeta1: number, beta2: number, oneMinusBeta2: number,
    oneMinusAccBeta1: number, oneMinusAccBeta2: number, eps: number, negLr: number,
  ): void;
}

export const NOT_BUILT = 'backend native: addon not built (install libopenblas-dev, then npm rebuild)';

/** Where the addon is loaded from: $DISTILLERY_NATIVE_PATH, else native/build/Release in this package. */
export function addonPath(): string {
  return (
    process.env.DISTILLERY_NATIVE_PATH ||
    fileURLToPath(new URL('../../native/build/Release/distillery_native.node', import.meta.url))
  );
}

let cached: NativeAddon | undefined;

/**
 * Loads the addon once per process.
 * @throws DistilleryError('BACKEND') with the install hint when it is missing or fails to load.
 */
export function loadAddon(): NativeAddon {
  if (cached) return cached;
  const file = addonPath();
  if (!existsSync(file)) throw new DistilleryError('BACKEND', NOT_BUILT);
  try {
    cached = createRequire(import.meta.url)(file) as NativeAddon;
  } catch {
    throw new DistilleryError('BACKEND', NOT_BUILT);
  }
  return cached;
}
