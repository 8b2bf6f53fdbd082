/**
 * A text classifier: the hashed n-gram featurizer (src/data/text.ts) in front of an MLP that outputs logits.
 * Saved as a TF.js layers folder plus `text.json` (label names and featurizer), written before model.json,
 * so a folder with a model.json always holds a complete classifier.
 */
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { checkFeaturizer, featurizeInto, type FeaturizerSpec } from '../data/text.js';
import { DistilleryError } from '../errors.js';
import { writeJsonAtomic } from '../fsutil.js';
import { formatZodError } from '../config/format.js';
import { loadModel, saveModel } from './io.js';

const TextMetaSchema = z.strictObject({
  kind: z.literal('text-classifier'),
  labels: z.array(z.string().min(1)).min(2),
  featurizer: z.strictObject({ buckets: z.number().int().min(1), ngrams: z.number().int().min(1).max(5) }),
});

export type TextMeta = z.infer<typeof TextMetaSchema>;

export interface TextClassifier {
  model: tfl.LayersModel;
  labels: string[];
  featurizer: FeaturizerSpec;
}

export const TEXT_META_FILE = 'text.json';

/** True when `dir` holds a text classifier saved by `saveTextClassifier`. */
export const isTextClassifierDir = (dir: string): boolean => fs.existsSync(path.join(dir, TEXT_META_FILE));

/** Saves the MLP and its featurizer/labels. Returns bytes on disk. */
export async function saveTextClassifier(clf: TextClassifier, dir: string): Promise<number> {
  const meta: TextMeta = { kind: 'text-classifier', labels: clf.labels, featurizer: clf.featurizer };
  fs.rmSync(path.join(dir, 'model.json'), { force: true });
  writeJsonAtomic(path.join(dir, TEXT_META_FILE), meta);
  return (await saveModel(clf.model, dir)) + fs.statSync(path.join(dir, TEXT_META_FILE)).size;
}

/** Loads a classifier saved by `saveTextClassifier`; a missing or malformed text.json is named in the error. */
export async function loadTextClassifier(dir: string): Promise<TextClassifier> {
  const file = path.join(dir, TEXT_META_FILE);
  if (!fs.existsSync(file)) throw new DistilleryError('MODEL', `${file}: not found (expected a text classifier folder with text.json and model.json)`);
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw new DistilleryError('MODEL', `${file}: invalid JSON (${(e as Error).message})`);
  }
  const r = TextMetaSchema.safeParse(raw);
  if (!r.success) throw new DistilleryError('MODEL', formatZodError(r.error, raw, file));
  checkFeaturizer(r.data.featurizer, file);
  const model = await loadModel(dir);
  const [, D] = model.inputs[0].shape;
  const [, C] = model.outputs[0].shape;
  if (D !== r.data.featurizer.buckets || C !== r.data.labels.length) {
    throw new DistilleryError('MODEL', `${dir}: expected model [B, ${r.data.featurizer.buckets}] -> [B, ${r.data.labels.length}] from text.json, got [B, ${D}] -> [B, ${C}]`);
  }
  return { model, labels: r.data.labels, featurizer: r.data.featurizer };
}

/**
 * Logits of the classifier for each text: [N * C] floats.
 *
 * @example const { logits } = classifyTexts(clf, ['a gripping film']) // logits.length === clf.labels.length
 */
export function classifyTexts(clf: TextClassifier, texts: string[]): { logits: Float32Array; classes: number } {
  const D = clf.featurizer.buckets;
  const x = new Float32Array(texts.length * D); // [N, D]
  texts.forEach((t, i) => featurizeInto(t, clf.featurizer, x.subarray(i * D, (i + 1) * D)));
  const z = tf.tidy(() => clf.model.predict(tf.tensor2d(x, [texts.length, D])) as tf.Tensor2D); // [N, C]
  const logits = z.dataSync() as Float32Array;
  z.dispose();
  return { logits, classes: clf.labels.length };
}
