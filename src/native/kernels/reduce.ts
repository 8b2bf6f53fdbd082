import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { backend_util, util } from '@tensorflow/tfjs-core';
import { fallback, type KernelArgs, type NativeBackend } from '../backend.js';
import { REDUCE } from '../ops.js';

const dims = new Int32Array(16);

/** y = transpose(x, perm) into a new buffer. */
export function transposeValues(backend: NativeBackend, xv: Float32Array, shape: readonly number[], perm: readonly number[]): Float32Array {
  const out = backend.alloc(xv.length); // [shape[perm[0]], ...]
  const r = shape.length;
  if (out.length === 0) return out;
  if (r <= 1 || perm.every((p, i) => p === i)) {
    out.set(xv);
    return out;
  }
  for (let d = 0; d < r; d++) {
    dims[d] = shape[d];
    dims[r + d] = perm[d];
  }
  backend.addon.transpose(xv, out, r, dims);
  return out;
}

function transposeKernel(args: KernelArgs): TensorInfo | TensorInfo[] {
  const { backend } = args;
  const x = args.inputs.x!;
  const xv = backend.f32(x);
  const perm = args.attrs!.perm as number[];
  if (!xv || x.shape.length > 8) return fallback('Transpose', args);
  const out = transposeValues(backend, xv, x.shape, perm);
  return backend.out(perm.map((p) => x.shape[p]), out);
}

/** Groups axes into [outer, reduced, inner] when the reduced axes are contiguous (size-1 axes ignored). */
function contiguousSplit(shape: readonly number[], axes: readonly number[]): [number, number, number] | null {
  let outer = 1;
  let red = 1;
  let inner = 1;
  let phase = 0; // 0 outer, 1 reduced, 2 inner
  for (let d = 0; d < shape.length; d++) {
    const n = shape[d];
    if (n === 1) continue;
    const isRed = axes.includes(d);
    if (isRed) {
      if (phase === 2) return null;
      phase = 1;
      red *= n;
    } else if (phase === 0) outer *= n;
    else {
      phase = 2;
      inner *= n;
    }
  }
  return [outer, red, inner];
}

function reduceKernel(name: keyof typeof REDUCE): KernelFunc {
  const op = REDUCE[name];
  const f = (args: KernelArgs): TensorInfo | TensorInfo[] => {
    const { backend } = args;
    const x = args.inputs.x!;
    const xv = backend.f32(x);
    if (!xv || x.shape.length > 8) return fallback(name, args);
    const axisAttr = (name === 'Max' ? args.attrs!.reductionIndices : args.attrs!.axis) as number | number[];
    const axes = util.parseAxisParam(axisAttr, x.shape).sort((p, q) => p - q);
    const [outShape, reduceShape] = backend_util.computeOutAndReduceShapes(x.shape, axes);
    const red = util.sizeFromShape(reduceShape);
    if (red === 0) return fallback(name, args);
    const shape = args.attrs!.keepDims ? backend_util.expandShapeToKeepDim(outShape, axes) : outShape;
    const out = backend.alloc(util.sizeFromShape(outShape)); // [...outShape]
    const split = contiguousSplit(x.shape, axes);
    if (split) {
      backend.addon.reduce(op, xv, out, split[0], split[1], split[2]);
    } else {
      // Scattered axes: move the reduced ones last, then reduce contiguous rows.
      const perm = backend_util.getAxesPermutation(axes, x.shape.length)!;
      const t = transposeValues(backend, xv, x.shape, perm);
      backend.addon.reduce(op, t, out, out.length, red, 1);
      backend.release(t);
    }
    return backend.out(shape, out);
  };
  return f as unknown as KernelFunc;
}

function softmaxKernel(args: KernelArgs): TensorInfo | TensorInfo[] {
  const { backend } = args;
  const logits = args.inputs.logits!;
  const xv = backend.f32(logits);
  const r = logits.shape.length;
  const dim = Number(args.attrs!.dim);
  if (!xv || (dim !== -1 && dim !== r - 1)) return fallback('Softmax', args);
  const n = r === 0 ? 1 : logits.shape[r - 1];
  const out = backend.alloc(xv.length); // same shape as logits
  if (n > 0) backend.addon.softmax(xv, out, xv.length / n, n, false);
  return backend.out(logits.shape.slice(), out);
}

/** Sum/Max/Min/Mean/Prod over any axes, Softmax over the last axis, and Transpose. */
export const reduceKernels: KernelConfig[] = [
  ...(Object.keys(REDUCE) as (keyof typeof REDUCE)[]).map((name) => ({
    kernelName: name, backendName: 'native', kernelFunc: reduceKernel(name),
  })),
  { kernelName: 'Softmax', backendName: 'native', kernelFunc: softmaxKernel as unknown as KernelFunc },
  { kernelName: 'Transpose', backendName: 'native', kernelFunc: transposeKernel as unknown as KernelFunc },
];
