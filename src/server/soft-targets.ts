/**
 * "Dark knowledge": a saved model's soft targets softmax(z / T) for one test example at several
 * temperatures, showing how a high T reveals which wrong classes the teacher finds similar.
 */
import * as tf from '@tensorflow/tfjs-core';
import fs from 'node:fs';
import path from 'node:path';
import { IDX_IMAGES_MAGIC, IDX_LABELS_MAGIC, loadModel, readIdx } from '../index.js';
import { badRequest, HttpError } from './http.js';
import { ensureBackend } from './teachers.js';

export const TEMPERATURES = [1, 4, 20] as const;

/** softmax(z / T), computed in float64 so the small probabilities that carry the dark knowledge survive. */
export function softmaxT(logits: ArrayLike<number>, temperature: number): number[] {
  const z = Array.from(logits, (v) => v / temperature);
  const max = Math.max(...z);
  const e = z.map((v) => Math.exp(v - max));
  const sum = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / sum);
}

function idxFile(dir: string, base: string): string {
  for (const name of [base, `${base}.gz`]) if (fs.existsSync(path.join(dir, name))) return path.join(dir, name);
  throw new HttpError(404, 'NOT_FOUND', `dataset file ${base} not found`);
}

export interface SoftTargets {
  run: string;
  example: number;
  label: number;
  /** The example's pixels (0–255), row-major [height, width]. */
  pixels: number[];
  height: number;
  width: number;
  logits: number[];
  temperatures: { temperature: number; probs: number[] }[];
}

/**
 * Runs the model saved in `modelDir` on test example `example` of the MNIST folder `dataDir`.
 *
 * @example await softTargets('jobs/job_1/teacher', 'datasets/ds_1', 'teacher', 0) // { label: 7, temperatures: [{ temperature: 1, probs }, ...] }
 */
export async function softTargets(modelDir: string, dataDir: string, run: string, example: number): Promise<SoftTargets> {
  if (!fs.existsSync(path.join(modelDir, 'model.json'))) throw new HttpError(404, 'NOT_FOUND', `run "${run}" has no saved model yet`);
  const images = readIdx(idxFile(dataDir, 't10k-images-idx3-ubyte'), IDX_IMAGES_MAGIC);
  const labels = readIdx(idxFile(dataDir, 't10k-labels-idx1-ubyte'), IDX_LABELS_MAGIC);
  const [n, h, w] = images.dims;
  if (example >= n) throw badRequest(`query.example: expected integer < ${n} (test examples), got ${example}`);
  const pixels = images.data.subarray(example * h * w, (example + 1) * h * w);
  await ensureBackend();
  const model = await loadModel(modelDir);
  try {
    const x = Float32Array.from(pixels, (p) => p / 255);
    const z = tf.tidy(() => model.predict(tf.tensor2d(x, [1, h * w])) as tf.Tensor2D); // [1, C]
    const logits = Array.from(await z.data());
    z.dispose();
    return {
      run,
      example,
      label: labels.data[example],
      pixels: Array.from(pixels),
      height: h,
      width: w,
      logits,
      temperatures: TEMPERATURES.map((temperature) => ({ temperature, probs: softmaxT(logits, temperature) })),
    };
  } finally {
    model.dispose();
  }
}
