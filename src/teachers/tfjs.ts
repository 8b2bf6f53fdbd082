import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { DistilleryError } from '../errors.js';
import { loadModel } from '../models/io.js';
import { asTeacher, type Teacher } from './teacher.js';

export interface TfjsTeacherOptions {
  /** Names of layers whose outputs `features()` returns, e.g. `['dense_1']`. */
  features?: string[];
}

/** A TF.js layers-model teacher; `features` is present when layer names were asked for. */
export interface TfjsTeacher extends Teacher {
  readonly model: tfl.LayersModel;
}

/**
 * Wraps a loaded TF.js layers model as a teacher (inference mode: `predict`, so dropout is off), exposing
 * the outputs of the named layers as features.
 *
 * @example tfjsTeacher(model, { features: ['dense_Dense1'] }).features!(x) // { dense_Dense1: [B, 1200] }
 */
export function tfjsTeacher(model: tfl.LayersModel, opts: TfjsTeacherOptions = {}): TfjsTeacher {
  const { logits } = asTeacher(model);
  const names = opts.features ?? [];
  if (names.length === 0) return { model, logits };
  const known = model.layers.map((l) => l.name);
  for (const n of names) {
    if (!known.includes(n)) {
      throw new DistilleryError('CONFIG', `teacher features: unknown layer "${n}", expected one of ${known.join(', ')}`);
    }
  }
  // One multi-output graph over the same weights: the named activations without a second forward pass per layer.
  const tap = tfl.model({ inputs: model.inputs, outputs: names.map((n) => model.getLayer(n).output as tfl.SymbolicTensor) });
  return {
    model,
    logits,
    features: (x) =>
      tf.tidy(() => {
        const out = tap.predict(x, { batchSize: x.shape[0] });
        const list = Array.isArray(out) ? out : [out];
        return Object.fromEntries(names.map((n, i) => [n, list[i]]));
      }),
  };
}

/**
 * Loads a TF.js layers model folder (`model.json` + weights, as `saveModel` writes) as a teacher.
 *
 * @example const teacher = await loadTfjsTeacher('runs/mnist/teacher', { features: ['dense_Dense2'] })
 */
export async function loadTfjsTeacher(dir: string, opts: TfjsTeacherOptions = {}): Promise<TfjsTeacher> {
  return tfjsTeacher(await loadModel(dir), opts);
}
