import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { broadcast_util, util } from '@tensorflow/tfjs-core';
import { fallback, type KernelArgs } from '../backend.js';
import { BINARY, UNARY } from '../ops.js';

const dims = new Int32Array(3 * 8);

/**
 * Collapses a broadcast into the fewest axes: neighbouring axes merge when each input is either
 * full along both or broadcast along both. Writes [shape, strideA, strideB] into `dims`; returns the rank.
 */
export function collapseBroadcast(aShape: readonly number[], bShape: readonly number[], outShape: readonly number[]): number {
  const R = outShape.length;
  const size: number[] = [];
  const fa: boolean[] = [];
  const fb: boolean[] = [];
  for (let d = 0; d < R; d++) {
    const n = outShape[d];
    if (n === 1) continue;
    const ad = aShape[d - (R - aShape.length)] ?? 1;
    const bd = bShape[d - (R - bShape.length)] ?? 1;
    const ka = ad !== 1;
    const kb = bd !== 1;
    const last = size.length - 1;
    if (last >= 0 && fa[last] === ka && fb[last] === kb) size[last] *= n;
    else {
      size.push(n);
      fa.push(ka);
      fb.push(kb);
    }
  }
  if (size.length === 0) {
    size.push(1);
    fa.push(false);
    fb.push(false);
  }
  const r = size.length;
  if (r > 8) return -1;
  let accA = 1;
  let accB = 1;
  for (let d = r - 1; d >= 0; d--) {
    dims[d] = size[d];
    dims[r + d] = fa[d] ? accA : 0;
    dims[2 * r + d] = fb[d] ? accB : 0;
    if (fa[d]) accA *= size[d];
    if (fb[d]) accB *= size[d];
  }
  return r;
}

function binaryKernel(name: keyof typeof BINARY): KernelFunc {
  const op = BINARY[name];
  const f = (args: KernelArgs): TensorInfo | TensorInfo[] => {
    const { backend } = args;
    const a = args.inputs.a!;
    const b = args.inputs.b!;
    const av = backend.f32(a);
    const bv = backend.f32(b);
    if (!av || !bv) return fallback(name, args);
    const outShape = broadcast_util.assertAndGetBroadcastShape(a.shape, b.shape);
    const size = util.sizeFromShape(outShape);
    if (size === 0) return backend.out(outShape, new Float32Array(0));
    const rank = collapseBroadcast(a.shape, b.shape, outShape);
    if (rank < 0) return fallback(name, args);
    const out = backend.alloc(size); // [...outShape]
    backend.addon.binary(op, av, bv, out, rank, dims);
    return backend.out(outShape, out);
  };
  return f as unknown as KernelFunc;
}

function unaryKernel(name: keyof typeof UNARY): KernelFunc {
  const op = UNARY[name];
  const f = (args: KernelArgs): TensorInfo | TensorInfo[] => {
    const { backend } = args;
    const x = args.inputs.x!;
    const xv = backend.f32(x);
    if (!xv) return fallback(name, args);
    const alpha = name === 'Step' || name === 'LeakyRelu' ? Number(args.attrs?.alpha ?? 0) : 0;
    const out = backend.alloc(xv.length); // same shape as x
    backend.addon.unary(op, xv, out, alpha);
    return backend.out(x.shape.slice(), out);
  };
  return f as unknown as KernelFunc;
}

/** Native unary and broadcasting binary kernels (float32; other dtypes use the cpu kernels). */
export const elementwiseKernels: KernelConfig[] = [
  ...(Object.keys(BINARY) as (keyof typeof BINARY)[]).map((name) => ({
    kernelName: name, backendName: 'native', kernelFunc: binaryKernel(name),
  })),
  ...(Object.keys(UNARY) as (keyof typeof UNARY)[]).map((name) => ({
    kernelName: name, backendName: 'native', kernelFunc: unaryKernel(name),
  })),
];

