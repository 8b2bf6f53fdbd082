import type { DataId, KernelFunc, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs-core';
import { getKernel } from '@tensorflow/tfjs-core';
import { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import type { NativeAddon } from './addon.js';

/** What the cpu backend keeps per dataId. */
interface TensorData {
  values?: unknown;
  dtype: string;
  refCount: number;
  complexTensorInfos?: { real: TensorInfo; imag: TensorInfo };
}

/** Buffers shorter than this are left to the garbage collector (pooling them saves nothing). */
const MIN_POOLED = 1 << 12;

/** Free-list capacity in bytes: $DISTILLERY_NATIVE_POOL_MB, default 512 MiB. */
function poolCapacity(): number {
  const mb = Number(process.env.DISTILLERY_NATIVE_POOL_MB);
  return (Number.isFinite(mb) && mb >= 0 ? mb : 512) * 1024 * 1024;
}

/**
 * The cpu backend with native kernels on top: same storage (a Float32Array per dataId),
 * so every inherited cpu kernel reads and writes what the native ones produce.
 *
 * Output buffers of native kernels are recycled: when a tensor's storage is freed (disposeData),
 * its Float32Array goes to a free list keyed by length and the next native kernel output of that
 * length reuses it, instead of a fresh zero-filled (and page-faulting) allocation. A buffer is only
 * recycled while nothing outside the native kernels can hold it: any access to a tensor's storage
 * through `this.data.get` (readSync/dataSync/data, inherited cpu kernels, which may return views of
 * their inputs) marks that buffer escaped for good, and it is then left to the garbage collector.
 */
export class NativeBackend extends MathBackendCPU {
  /** Buffers this backend allocated that nothing outside the native kernels has seen. */
  private readonly owned = new WeakSet<Float32Array>();
  private readonly free = new Map<number, Float32Array[]>();
  private freeBytes = 0;
  /** Pool-sized allocations served from the free list (hits) or freshly allocated (misses). */
  readonly stats = { hits: 0, misses: 0 };
  private readonly capacity = poolCapacity();
  /** DataStorage.get without marking escape: for the native kernels and refcounting only. */
  private readonly rawGet: (dataId: DataId) => TensorData | undefined;

  constructor(readonly addon: NativeAddon) {
    super();
    const storage = this.data as unknown as { get(dataId: DataId): TensorData | undefined };
    const rawGet = storage.get.bind(storage);
    this.rawGet = rawGet;
    const owned = this.owned;
    storage.get = (dataId: DataId) => {
      const d = rawGet(dataId);
      if (d && d.values instanceof Float32Array) owned.delete(d.values);
      return d;
    };
  }

  /** The float32 storage of a tensor, or null when a native kernel cannot take it (other dtypes). */
  f32(t: TensorInfo): Float32Array | null {
    if (t.dtype !== 'float32') return null;
    const v = this.rawGet(t.dataId)?.values;
    return v instanceof Float32Array ? v : null;
  }

  /** How many places share this storage (kernel-level aliases such as reshape). */
  storageRefs(dataId: DataId): number {
    return this.rawGet(dataId)?.refCount ?? 0;
  }

  /**
   * A float32 buffer of n elements for a kernel output, recycled when one is free.
   * Its contents are arbitrary: the kernel must write every element.
   */
  alloc(n: number): Float32Array {
    const list = n >= MIN_POOLED ? this.free.get(n) : undefined;
    const buf = list?.pop();
    let out: Float32Array;
    if (n >= MIN_POOLED) {
      if (buf) this.stats.hits++;
      else this.stats.misses++;
    }
    if (buf) {
      this.freeBytes -= buf.byteLength;
      out = buf;
    } else {
      out = new Float32Array(n);
    }
    this.owned.add(out);
    return out;
  }

  /** Returns a buffer from alloc() that no tensor holds (a kernel's scratch) to the free list. */
  release(buf: Float32Array): void {
    if (!this.owned.has(buf) || buf.length < MIN_POOLED) return;
    if (this.freeBytes + buf.byteLength > this.capacity) return;
    this.owned.delete(buf);
    let list = this.free.get(buf.length);
    if (!list) this.free.set(buf.length, (list = []));
    list.push(buf);
    this.freeBytes += buf.byteLength;
  }

  /** Bytes held in the free list (for tests and diagnostics). */
  pooledBytes(): number {
    return this.freeBytes;
  }

  /** Drops every free buffer (the garbage collector takes them). */
  clearPool(): void {
    this.free.clear();
    this.freeBytes = 0;
  }

  /** Wraps a freshly written buffer as a kernel output. */
  out(shape: number[], values: Float32Array): TensorInfo {
    return this.makeTensorInfo(shape, 'float32', values);
  }

  // Refcounting goes through rawGet: it does not expose the storage.
  override refCount(dataId: DataId): number {
    return this.rawGet(dataId)?.refCount ?? 0;
  }

  override incRef(dataId: DataId): void {
    this.rawGet(dataId)!.refCount++;
  }

  override decRef(dataId: DataId): void {
    if (this.data.has(dataId)) this.rawGet(dataId)!.refCount--;
  }

  override disposeData(dataId: DataId, force = false): boolean {
    if (!this.data.has(dataId)) return true;
    const d = this.rawGet(dataId)!;
    d.refCount--;
    if (!force && d.refCount > 0) return false;
    if (d.complexTensorInfos != null) {
      this.disposeData(d.complexTensorInfos.real.dataId, true);
      this.disposeData(d.complexTensorInfos.imag.dataId, true);
    }
    this.data.delete(dataId);
    if (d.values instanceof Float32Array) this.release(d.values);
    return true;
  }

  override dispose(): void {
    this.clearPool();
    super.dispose();
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
