import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { backend_util, util } from '@tensorflow/tfjs-core';
import { fallback, type KernelArgs } from '../backend.js';

/**
 * Reshape as the cpu kernel does it (a new view of the same dataId), but without touching the
 * storage: the cpu kernel reads it through data.get, which would mark the buffer escaped and keep
 * it out of the backend's buffer pool. Complex tensors take the cpu kernel.
 */
function reshape(args: KernelArgs): TensorInfo | TensorInfo[] {
  const { backend } = args;
  const x = args.inputs.x!;
  if (x.dtype === 'complex64') return fallback('Reshape', args);
  const xSize = util.sizeFromShape(x.shape);
  const shape = util.inferFromImplicitShape(args.attrs!.shape as number[], xSize);
  const size = util.sizeFromShape(shape);
  util.assert(xSize === size, () => `The new shape (${shape}) has ${size} elements and the old ` +
    `shape (${x.shape}) has ${xSize} elements. The new shape and old ` +
    `shape must have the same number of elements.`);
  backend.incRef(x.dataId);
  return { dataId: x.dataId, shape, dtype: x.dtype };
}

/**
 * Concat of float32 tensors as block copies: for each index of the axes before `axis`, each input's
 * contiguous inner block in turn (the cpu kernel goes through 2-D slices). Other dtypes take the cpu kernel.
 */
function concat(args: KernelArgs): TensorInfo | TensorInfo[] {
  const { backend } = args;
  const xs = Object.values(args.inputs) as TensorInfo[];
  const values = xs.map((x) => (x.dtype === 'float32' ? backend.f32(x) : undefined));
  if (xs.length === 0 || values.some((v) => !v)) return fallback('Concat', args);
  const axis = util.parseAxisParam(args.attrs!.axis as number, xs[0].shape)[0];
  const outShape = backend_util.computeOutShape(xs.map((x) => x.shape), axis);
  const outer = util.sizeFromShape(outShape.slice(0, axis));
  const inner = xs.map((x) => util.sizeFromShape(x.shape.slice(axis)));
  const out = backend.alloc(util.sizeFromShape(outShape));
  let at = 0;
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < xs.length; i++) {
      const n = inner[i];
      if (n > 0) out.set(values[i]!.subarray(o * n, (o + 1) * n), at);
      at += n;
    }
  }
  return backend.out(outShape, out);
}

/**
 * UnsortedSegmentSum (the gradient of Gather, e.g. of an embedding lookup) as one scatter-add pass:
 * out[ids[n]] += x[n] row by row. The cpu kernel builds a mask per segment, O(segments × rows).
 * Ids outside [0, numSegments) are dropped, as TensorFlow does.
 */
function unsortedSegmentSum(args: KernelArgs): TensorInfo | TensorInfo[] {
  const { backend } = args;
  const x = args.inputs.x!;
  const ids = args.inputs.segmentIds!;
  const numSegments = Number(args.attrs!.numSegments);
  const xv = backend.f32(x);
  if (!xv || ids.shape.length !== 1 || ids.shape[0] !== x.shape[0] || x.shape.length < 1) return fallback('UnsortedSegmentSum', args);
  const idv = backend.readSync(ids.dataId) as Int32Array | Float32Array;
  const inner = util.sizeFromShape(x.shape.slice(1));
  const out = backend.alloc(numSegments * inner);
  out.fill(0);
  for (let n = 0; n < ids.shape[0]; n++) {
    const seg = idv[n];
    if (!(seg >= 0 && seg < numSegments)) continue;
    const o = seg * inner;
    const r = n * inner;
    for (let j = 0; j < inner; j++) out[o + j] += xv[r + j];
  }
  return backend.out([numSegments, ...x.shape.slice(1)], out);
}

/** Shape-only kernels that share storage, block-copy Concat, and a one-pass UnsortedSegmentSum. */
export const shapeKernels: KernelConfig[] = [
  { kernelName: 'Reshape', backendName: 'native', kernelFunc: reshape as unknown as KernelFunc },
  { kernelName: 'Concat', backendName: 'native', kernelFunc: concat as unknown as KernelFunc },
  { kernelName: 'UnsortedSegmentSum', backendName: 'native', kernelFunc: unsortedSegmentSum as unknown as KernelFunc },
];
