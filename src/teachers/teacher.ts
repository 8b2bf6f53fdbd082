import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';

/** A teacher maps a batch of inputs to logits, in inference mode (no dropout, no gradients). */
export interface Teacher {
  logits(x: tf.Tensor2D): tf.Tensor2D; // [B, D] -> [B, C]
  /** Named intermediate activations for feature losses (hints, attention transfer), when the teacher exposes them. */
  features?(x: tf.Tensor2D): Record<string, tf.Tensor>;
}

/** What `distill` accepts as a teacher: a TF.js layers model, a function, or a Teacher. */
export type TeacherLike = tfl.LayersModel | ((x: tf.Tensor2D) => tf.Tensor2D) | Teacher;

const isLayersModel = (t: unknown): t is tfl.LayersModel =>
  typeof t === 'object' && t !== null && 'predict' in t && 'layers' in t;

/** Wraps any TeacherLike as a Teacher. */
export function asTeacher(t: TeacherLike): Teacher {
  if (typeof t === 'function') return { logits: (x) => tf.tidy(() => t(x)) };
  if (isLayersModel(t)) return { logits: (x) => tf.tidy(() => t.predict(x, { batchSize: x.shape[0] }) as tf.Tensor2D) };
  return t;
}

/**
 * Runs the teacher once over `count` rows of `images` and returns all logits as [N * C] floats:
 * the soft targets of a transfer set that is not augmented are computed once, not every epoch.
 */
export function teacherLogitsFor(teacher: Teacher, images: Float32Array, count: number, features: number, batch = 1000): { data: Float32Array; classes: number } {
  let out: Float32Array | undefined;
  let classes = 0;
  for (let s = 0; s < count; s += batch) {
    const n = Math.min(batch, count - s);
    const z = tf.tidy(() => teacher.logits(tf.tensor2d(images.subarray(s * features, (s + n) * features), [n, features])));
    classes = z.shape[1];
    out ??= new Float32Array(count * classes);
    out.set(z.dataSync() as Float32Array, s * classes);
    z.dispose();
  }
  return { data: out ?? new Float32Array(0), classes };
}
