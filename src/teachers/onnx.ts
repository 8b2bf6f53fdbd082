import type * as ort from 'onnxruntime-node';
import fs from 'node:fs';
import { DistilleryError, fmtShape } from '../errors.js';
import type { AsyncTeacher } from './async.js';

export interface OnnxTeacherOptions {
  /** The graph input fed with [B, D] float32 rows (default: the model's only/first input). */
  inputName?: string;
  /** The graph output read as [B, C] logits (default: the model's first output). */
  outputName?: string;
}

export interface OnnxTeacher extends AsyncTeacher {
  readonly inputName: string;
  readonly outputName: string;
  dispose(): Promise<void>;
}

function pick(file: string, what: 'input' | 'output', wanted: string | undefined, names: readonly string[]): string {
  if (wanted === undefined) {
    if (names.length === 0) throw new DistilleryError('MODEL', `${file}: expected a model with an ${what}, got none`);
    return names[0];
  }
  if (!names.includes(wanted)) {
    throw new DistilleryError('CONFIG', `${file}: unknown ${what} "${wanted}", expected one of ${names.join(', ')}`);
  }
  return wanted;
}

/**
 * An ONNX model file as an asynchronous teacher, run by ONNX Runtime on the CPU. Asynchronous because
 * `InferenceSession.run` is (see async.ts for how async teachers feed training: `precomputeLogits`).
 * onnxruntime-node is loaded on first use, so the rest of Distillery works where it is not installed.
 *
 * @example
 * const teacher = await onnxTeacher('teacher.onnx', { inputName: 'pixels' });
 * const { data, shape } = await teacher.logitsAsync(x, [32, 784]); // shape [32, 10]
 */
export async function onnxTeacher(file: string, opts: OnnxTeacherOptions = {}): Promise<OnnxTeacher> {
  if (!fs.existsSync(file)) throw new DistilleryError('DATA_MISSING', `${file}: ONNX model file not found`);
  let runtime: typeof ort;
  try {
    runtime = await import('onnxruntime-node');
  } catch (e) {
    throw new DistilleryError('BACKEND', `onnx teacher: expected the onnxruntime-node package, got ${(e as Error).message.split('\n')[0]}`);
  }
  let session: ort.InferenceSession;
  try {
    session = await runtime.InferenceSession.create(file);
  } catch (e) {
    throw new DistilleryError('MODEL', `${file}: expected an ONNX model, got ${(e as Error).message.split('\n')[0]}`);
  }
  const inputName = pick(file, 'input', opts.inputName, session.inputNames);
  const outputName = pick(file, 'output', opts.outputName, session.outputNames);
  return {
    inputName,
    outputName,
    async logitsAsync(x, [B, D]) {
      if (x.length !== B * D) throw new DistilleryError('SHAPE', `${file} input: expected ${B} × ${D} = ${B * D} floats for ${fmtShape([B, D])}, got ${x.length}`);
      let y: ort.Tensor;
      try {
        const out = await session.run({ [inputName]: new runtime.Tensor('float32', x, [B, D]) }, [outputName]);
        y = out[outputName];
      } catch (e) {
        throw new DistilleryError('MODEL', `${file}: inference on ${fmtShape([B, D])} failed: ${(e as Error).message.split('\n')[0]}`);
      }
      const dims = y.dims.map(Number);
      if (dims.length !== 2 || dims[0] !== B || y.type !== 'float32') {
        throw new DistilleryError('SHAPE', `${file} output "${outputName}": expected float32 logits [${B}, C], got ${y.type} ${fmtShape(dims)}`);
      }
      return { data: y.data as Float32Array, shape: [B, dims[1]] };
    },
    dispose: () => session.release(),
  };
}
