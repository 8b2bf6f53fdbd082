import type { DataId, KernelFunc, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs-core';
import { getKernel } from '@tensorflow/tfjs-core';
import { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import type { NativeAddon } from './addon.js';

/**
 * The cpu backend with native kernels on top: same storage (a Float32Array per dataId),
 * so every inherited cpu kernel reads and writes what the native ones produce.
 */
export class NativeBackend extends MathBackendCPU {
  constructor(readonly addon: NativeAddon) {
    super();
  }

  /** The float32 storage of a tensor, or null when a native kernel cannot take it (other dtypes). */
  f32(t: TensorInfo): Float32Array | null {
    if (t.dtype !== 'float32') return null;
    const v = this.data.get(t.dataId)?.values;
    return v instanceof Float32Array ? v : null;
  }

  /** How many places share this storage (kernel-level aliases such as reshape). */
  storageRefs(dataId: DataId): number {
    return this.data.get(dataId)?.refCount ?? 0;
  }

  /** Wraps a freshly written buffer as a kernel output. */
  out(shape: number[], values: Float32Array): TensorInfo {
    return this.makeTensorInfo(shape, 'float32', values);
  }
}

export interface KernelArgs {
  inputs: Record<string, TensorInfo | undefined>;
  backend: NativeBackend;
  attrs?: NamedAttrMap;
}

/** The cpu implementation of a kernel, for the dtypes and layouts the native one does not take. */
export function cpuKernel(name: string): KernelFunc {
  const k = getKernel(name, 'cpu');
  if (!k) throw new Error(`cpu kernel ${name} is not registered`);
  return k.kernelFunc;
}

/** Calls the cpu kernel with the same arguments (the native backend is a cpu backend). */
export function fallback(name: string, args: KernelArgs): TensorInfo | TensorInfo[] {
  return cpuKernel(name)(args as unknown as Parameters<KernelFunc>[0]);
}
