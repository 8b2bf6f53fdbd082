import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { broadcast_util, getKernel, util } from '@tensorflow/tfjs-core';
import { fallback, type KernelArgs, type NativeBackend } from '../backend.js';
import { ACT, UNARY } from '../ops.js';

interface MatMulPlan {
  m: number;
  n: number;
  k: number;
  batchA: number;
  batchB: number;
  batch: number;
  outShape: number[]; // [...batch, M, N]
}

/** Shapes of a (batched, broadcast, optionally transposed) matmul, validated like the cpu kernel. */
function plan(a: TensorInfo, b: TensorInfo, ta: boolean, tb: boolean): MatMulPlan {
  const ra = a.shape.length;
  const rb = b.shape.length;
  const k = ta ? a.shape[ra - 2] : a.shape[ra - 1];
  const kb = tb ? b.shape[rb - 1] : b.shape[rb - 2];
  const m = ta ? a.shape[ra - 1] : a.shape[ra - 2];
  const n = tb ? b.shape[rb - 2] : b.shape[rb - 1];
  util.assert(k === kb, () => `Error in matMul: inner shapes (${k}) and (${kb}) of Tensors with shapes ${a.shape} and ${b.shape} and transposeA=${ta} and transposeB=${tb} must match.`);
  const outerA = a.shape.slice(0, -2);
  const outerB = b.shape.slice(0, -2);
  const batchOut = broadcast_util.assertAndGetBroadcastShape(outerA, outerB);
  const batchA = util.sizeFromShape(outerA);
  const batchB = util.sizeFromShape(outerB);
  // The cpu kernel indexes batches modulo each side's batch size; so do we.
  return { m, n, k, batchA, batchB, batch: Math.max(batchA, batchB), outShape: [...batchOut, m, n] };
}

/** Runs the GEMM(s) into a new buffer, with the bias/activation epilogue when given. */
function gemm(
  backend: NativeBackend, av: Float32Array, bv: Float32Array, p: MatMulPlan, ta: boolean, tb: boolean,
  bias: Float32Array | null, act: number, alpha: number,
): TensorInfo {
  const out = backend.alloc(p.batch * p.m * p.n); // [batch, M, N]
  if (out.length > 0) {
    backend.addon.gemm(ta, tb, p.m, p.n, p.k, av, bv, out, p.batch, p.batchA, p.batchB, bias, act, alpha);
  }
  return backend.out(p.outShape, out);
}

function batchMatMul(args: KernelArgs): TensorInfo | TensorInfo[] {
  const { backend } = args;
  const a = args.inputs.a!;
  const b = args.inputs.b!;
  const av = backend.f32(a);
  const bv = backend.f32(b);
  if (!av || !bv) return fallback('BatchMatMul', args);
  const ta = Boolean(args.attrs?.transposeA);
  const tb = Boolean(args.attrs?.transposeB);
  return gemm(backend, av, bv, plan(a, b, ta, tb), ta, tb, null, 0, 0);
}

/** A bias the GEMM epilogue can add directly: one value per output column. */
function isRowBias(bias: TensorInfo, n: number, outRank: number): boolean {
  const s = bias.shape;
  return s.length <= outRank && util.sizeFromShape(s) === n && (s.length === 0 || s[s.length - 1] === n);
}

function fusedMatMul(args: KernelArgs): TensorInfo | TensorInfo[] {
  const { backend } = args;
  const { a, b, bias, preluActivationWeights } = args.inputs;
  const av = backend.f32(a!);
  const bv = backend.f32(b!);
  const biasV = bias ? backend.f32(bias) : null;
  if (!av || !bv || (bias && !biasV)) return fallback('_FusedMatMul', args);
  const ta = Boolean(args.attrs?.transposeA);
  const tb = Boolean(args.attrs?.transposeB);
  const activation = String(args.attrs?.activation ?? 'linear');
  const alpha = Number(args.attrs?.leakyreluAlpha ?? 0.2);
  const p = plan(a!, b!, ta, tb);
  const epilogueBias = bias && isRowBias(bias, p.n, p.outShape.length);
  const act = ACT[activation];
  if ((!bias || epilogueBias) && act !== undefined) {
    return gemm(backend, av, bv, p, ta, tb, epilogueBias ? biasV : null, act, alpha);
  }
  // General bias shapes and prelu: GEMM, then the broadcasting Add and the activation kernels.
  let cur = gemm(backend, av, bv, p, ta, tb, epilogueBias ? biasV : null, 0, 0);
  const call = (name: string, inputs: Record<string, TensorInfo>, attrs = {}): void => {
    const next = getKernel(name, 'native')!.kernelFunc({ inputs, backend, attrs }) as TensorInfo;
    backend.disposeIntermediateTensorInfo(cur);
    cur = next;
  };
  if (bias && !epilogueBias) call('Add', { a: cur, b: bias });
  if (activation === 'prelu') call('Prelu', { x: cur, alpha: preluActivationWeights! });
  else if (act !== undefined && act !== 0) {
    const name = ({ 1: 'Relu', 2: 'Relu6', 3: 'LeakyRelu', 4: 'Sigmoid', 5: 'Elu' } as const)[act as 1 | 2 | 3 | 4 | 5];
    const v = backend.f32(cur)!;
    backend.addon.unary(UNARY[name], v, v, alpha);
  } else if (act === undefined) {
    throw new Error(`Activation ${activation} has not been implemented for the native backend.`);
  }
  return cur;
}

/** BatchMatMul and _FusedMatMul on OpenBLAS. */
export const matmulKernels: KernelConfig[] = [
  { kernelName: 'BatchMatMul', backendName: 'native', kernelFunc: batchMatMul as unknown as KernelFunc },
  { kernelName: '_FusedMatMul', backendName: 'native', kernelFunc: fusedMatMul as unknown as KernelFunc },
];
