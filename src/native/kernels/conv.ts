import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { backend_util } from '@tensorflow/tfjs-core';
import { fallback, type KernelArgs } from '../backend.js';

const geom = new Int32Array(15);

/** Packs a channels-last conv geometry for the addon (kernels.h ConvGeom order). */
function pack(c: backend_util.Conv2DInfo): Int32Array {
  geom.set([
    c.batchSize, c.inHeight, c.inWidth, c.inChannels, c.outHeight, c.outWidth, c.outChannels,
    c.filterHeight, c.filterWidth, c.strideHeight, c.strideWidth, c.dilationHeight, c.dilationWidth,
    c.padInfo.top, c.padInfo.left,
  ]);
  return geom;
}

type Pad = 'valid' | 'same' | number | backend_util.ExplicitPadding;
type Rounding = 'floor' | 'round' | 'ceil' | undefined;

function conv2D(args: KernelArgs): TensorInfo | TensorInfo[] {
  const { backend, attrs } = args;
  const x = args.inputs.x!;
  const filter = args.inputs.filter!;
  const xv = backend.f32(x);
  const wv = backend.f32(filter);
  if (!xv || !wv || attrs!.dataFormat === 'NCHW') return fallback('Conv2D', args);
  const info = backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number], filter.shape as [number, number, number, number],
    attrs!.strides as [number, number], attrs!.dilations as [number, number], attrs!.pad as Pad,
    attrs!.dimRoundingMode as Rounding, false, 'channelsLast',
  );
  const out = backend.alloc(info.batchSize * info.outHeight * info.outWidth * info.outChannels); // [B, oH, oW, oC]
  if (out.length > 0) backend.addon.conv(0, xv, wv, out, pack(info));
  return backend.out(info.outShape.slice(), out);
}

function conv2DBackpropInput(args: KernelArgs): TensorInfo | TensorInfo[] {
  const { backend, attrs } = args;
  const dy = args.inputs.dy!;
  const filter = args.inputs.filter!;
  const dyv = backend.f32(dy);
  const wv = backend.f32(filter);
  if (!dyv || !wv || attrs!.dataFormat === 'NCHW') return fallback('Conv2DBackpropInput', args);
  const inputShape = attrs!.inputShape as [number, number, number, number];
  const info = backend_util.computeConv2DInfo(
    inputShape, filter.shape as [number, number, number, number], attrs!.strides as [number, number], 1,
    attrs!.pad as Pad, attrs!.dimRoundingMode as Rounding, false, 'channelsLast',
  );
  const dx = backend.alloc(inputShape.reduce((p, q) => p * q, 1)); // [B, H, W, C]
  if (dx.length > 0) backend.addon.conv(1, dyv, wv, dx, pack(info));
  return backend.out(inputShape.slice(), dx);
}

function conv2DBackpropFilter(args: KernelArgs): TensorInfo | TensorInfo[] {
  const { backend, attrs } = args;
  const x = args.inputs.x!;
  const dy = args.inputs.dy!;
  const xv = backend.f32(x);
  const dyv = backend.f32(dy);
  if (!xv || !dyv || attrs!.dataFormat === 'NCHW') return fallback('Conv2DBackpropFilter', args);
  const filterShape = attrs!.filterShape as [number, number, number, number];
  const info = backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number], filterShape, attrs!.strides as [number, number], 1,
    attrs!.pad as Pad, attrs!.dimRoundingMode as Rounding, false, 'channelsLast',
  );
  const dw = backend.alloc(filterShape.reduce((p, q) => p * q, 1)); // [kH, kW, inC, outC]
  if (dw.length > 0) backend.addon.conv(2, xv, dyv, dw, pack(info));
  return backend.out(filterShape.slice(), dw);
}

/** NHWC Conv2D and its two gradients as im2col + GEMM (NCHW falls back to the cpu kernels). */
export const convKernels: KernelConfig[] = [
  { kernelName: 'Conv2D', backendName: 'native', kernelFunc: conv2D as unknown as KernelFunc },
  { kernelName: 'Conv2DBackpropInput', backendName: 'native', kernelFunc: conv2DBackpropInput as unknown as KernelFunc },
  { kernelName: 'Conv2DBackpropFilter', backendName: 'native', kernelFunc: conv2DBackpropFilter as unknown as KernelFunc },
];
