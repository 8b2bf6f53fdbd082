import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import type { KernelConfig } from '@tensorflow/tfjs-core';
import { DistilleryError } from '../errors.js';
import { patchAdam } from './adam.js';
import { loadAddon, type NativeAddon } from './addon.js';
import { NativeBackend } from './backend.js';
import { convKernels } from './kernels/conv.js';
import { elementwiseKernels } from './kernels/elementwise.js';
import { matmulKernels } from './kernels/matmul.js';
import { reduceKernels } from './kernels/reduce.js';
import { shapeKernels } from './kernels/shape.js';

export { loadAddon } from './addon.js';
export { NativeBackend } from './backend.js';

/** Every kernel the native backend overrides; the rest are the cpu backend's own. */
export const nativeKernels: readonly KernelConfig[] = [...matmulKernels, ...elementwiseKernels, ...reduceKernels, ...convKernels, ...shapeKernels];

let kernelsRegistered = false;

function registerKernels(): void {
  if (kernelsRegistered) return;
  const overridden = new Set(nativeKernels.map((k) => k.kernelName));
  for (const k of tf.getKernelsForBackend('cpu')) {
    if (!overridden.has(k.kernelName) && !tf.getKernel(k.kernelName, 'native')) {
      tf.registerKernel({ ...k, backendName: 'native' });
    }
  }
  for (const k of nativeKernels) if (!tf.getKernel(k.kernelName, 'native')) tf.registerKernel(k);
  kernelsRegistered = true;
}

/** Threads for GEMM and elementwise work: opts, then $DISTILLERY_THREADS, then 2 (cores here are few). */
function threadCount(threads?: number): number {
  const env = process.env.DISTILLERY_THREADS;
  const n = threads ?? (env ? Number(env) : NaN);
  if (Number.isFinite(n) && n >= 1) return Math.floor(n);
  return 2;
}

/**
 * Registers the `native` TF.js backend: the cpu backend with OpenBLAS GEMMs, multithreaded
 * elementwise ops, reductions, softmax, transpose, im2col convolutions and a fused Adam update.
 * Safe to call again (only the thread count changes).
 *
 * @throws DistilleryError('BACKEND') with an install hint when the addon is not built.
 * @example registerNativeBackend({ threads: 2 }); await tf.setBackend('native');
 */
export function registerNativeBackend(opts: { threads?: number } = {}): void {
  let addon: NativeAddon;
  try {
    addon = loadAddon();
  } catch (e) {
    if (e instanceof DistilleryError) throw e;
    throw new DistilleryError('BACKEND', 'backend native: addon failed to load');
  }
  addon.setThreads(threadCount(opts.threads));
  registerKernels();
  patchAdam();
  if (!tf.findBackendFactory('native')) {
    // Priority below cpu: the backend is used when chosen (selectBackend), never by default.
    tf.registerBackend('native', () => new NativeBackend(addon), 0);
  }
}
