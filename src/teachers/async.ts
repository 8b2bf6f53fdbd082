/**
 * Asynchronous teachers (ONNX Runtime sessions, remote APIs).
 *
 * `Teacher.logits` is synchronous because it runs inside a training step's tf.tidy, and a tidy scope cannot
 * span an `await`. So an async teacher is not called during training: its soft targets are computed before
 * (`precomputeLogits`, or the offline teacher cache) and the loop reads them like any cached logits;
 * `precomputedTeacher` serves them back through the synchronous `Teacher` interface. Async teachers take and
 * return plain Float32Arrays, never tensors, for the same reason.
 */
import * as tf from '@tensorflow/tfjs-core';
import crypto from 'node:crypto';
import { DistilleryError, fmtShape } from '../errors.js';
import type { Teacher } from './teacher.js';

/** Row-major logits [B, C]. */
export interface LogitsBatch {
  data: Float32Array;
  shape: [number, number];
}

export interface AsyncTeacher {
  /** x: row-major [B, D] inputs. */
  logitsAsync(x: Float32Array, shape: readonly [number, number]): Promise<LogitsBatch>;
  /** Frees native resources (an ONNX session). */
  dispose?(): Promise<void>;
}

const isAsync = (t: Teacher | AsyncTeacher): t is AsyncTeacher => 'logitsAsync' in t;

/**
 * Runs a teacher, sync or async, over `count` rows of `inputs` ([count * features] floats) in batches;
 * returns all logits as [count * classes] floats, the same result as `teacherLogitsFor`.
 *
 * @example const { data, classes } = await precomputeLogits(await onnxTeacher('t.onnx'), train.images, train.count, 784)
 */
export async function precomputeLogits(
  teacher: Teacher | AsyncTeacher,
  inputs: Float32Array,
  count: number,
  features: number,
  batch = 1000,
): Promise<{ data: Float32Array; classes: number }> {
  let out: Float32Array | undefined;
  let classes = 0;
  for (let s = 0; s < count; s += batch) {
    const n = Math.min(batch, count - s);
    const x = inputs.subarray(s * features, (s + n) * features);
    let z: LogitsBatch;
    if (isAsync(teacher)) z = await teacher.logitsAsync(x, [n, features]);
    else {
      const t = tf.tidy(() => teacher.logits(tf.tensor2d(x, [n, features])));
      z = { data: t.dataSync() as Float32Array, shape: t.shape };
      t.dispose();
    }
    if (z.shape[0] !== n || (classes && z.shape[1] !== classes)) {
      throw new DistilleryError('SHAPE', `teacher logits for rows ${s}..${s + n - 1}: expected ${fmtShape([n, classes || z.shape[1]])}, got ${fmtShape(z.shape)}`);
    }
    classes = z.shape[1];
    out ??= new Float32Array(count * classes);
    out.set(z.data, s * classes);
  }
  return { data: out ?? new Float32Array(0), classes };
}

const rowKey = (row: Float32Array) => crypto.createHash('sha1').update(new Uint8Array(row.buffer, row.byteOffset, row.byteLength)).digest('base64');

/**
 * A synchronous Teacher that returns precomputed logits for inputs it has seen, found by each row's content
 * (a hash of its bytes). Inputs outside the precomputed set (e.g. augmented ones) are an error, not a guess.
 *
 * @example
 * const z = await precomputeLogits(onnx, train.images, train.count, 784);
 * await distill({ teacher: precomputedTeacher(train.images, 784, z), student, ... })
 */
export function precomputedTeacher(inputs: Float32Array, features: number, logits: { data: Float32Array; classes: number }): Teacher {
  const count = inputs.length / features;
  const C = logits.classes;
  if (logits.data.length !== count * C) {
    throw new DistilleryError('SHAPE', `precomputed logits: expected ${fmtShape([count, C])} for ${count} inputs, got ${logits.data.length} values`);
  }
  const index = new Map<string, number>();
  for (let i = 0; i < count; i++) {
    const k = rowKey(inputs.subarray(i * features, (i + 1) * features));
    if (!index.has(k)) index.set(k, i);
  }
  return {
    logits(x) {
      if (x.rank !== 2 || x.shape[1] !== features) throw new DistilleryError('SHAPE', `precomputed teacher input: expected [B, ${features}], got ${fmtShape(x.shape)}`);
      const rows = x.dataSync() as Float32Array;
      const B = x.shape[0];
      const z = new Float32Array(B * C);
      for (let b = 0; b < B; b++) {
        const i = index.get(rowKey(rows.subarray(b * features, (b + 1) * features)));
        if (i === undefined) throw new DistilleryError('USAGE', `precomputed teacher: input row ${b} is not in the precomputed set (augmented inputs need a live teacher)`);
        z.set(logits.data.subarray(i * C, (i + 1) * C), b * C);
      }
      return tf.tensor2d(z, [B, C]);
    },
  };
}
