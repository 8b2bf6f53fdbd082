import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { util } from '@tensorflow/tfjs-core';
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

/** Shape-only kernels that share storage. */
export const shapeKernels: KernelConfig[] = [
  { kernelName: 'Reshape', backendName: 'native', kernelFunc: reshape as unknown as KernelFunc },
];
