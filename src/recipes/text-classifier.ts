/**
 * Training a text classifier on gold labels: hashed n-gram features into an MLP, cross-entropy through `distill`.
 * The black-box demo's teacher is one of these (a wide one), served by `distillery serve-teacher`.
 */
import * as tf from '@tensorflow/tfjs-core';
import { textSplit, type FeaturizerSpec, type TextExamples } from '../data/text.js';
import { distill, type EpochLog } from '../distill/loop.js';
import { DistilleryError } from '../errors.js';
import { crossEntropy } from '../losses/ce.js';
import { buildMlp } from '../models/mlp.js';
import type { TextClassifier } from '../models/text-classifier.js';

export interface TextClassifierSpec {
  labels: string[];
  featurizer: FeaturizerSpec;
  hidden: number[];
  dropout?: number;
  epochs: number;
  batchSize: number;
  learningRate: number;
}

/**
 * Trains a classifier on `examples` (gold labels).
 *
 * @example
 * const clf = await trainTextClassifier(readLabeledText('data/sst2/train.txt', 2),
 *   { labels: ['negative', 'positive'], featurizer: { buckets: 8192, ngrams: 2 }, hidden: [256], epochs: 8, batchSize: 64, learningRate: 1e-3 })
 */
export async function trainTextClassifier(examples: TextExamples, spec: TextClassifierSpec, onEpoch?: (log: EpochLog) => void): Promise<TextClassifier> {
  const C = spec.labels.length;
  const maxLabel = examples.labels.reduce((m, y) => Math.max(m, y), 0);
  if (maxLabel >= C) throw new DistilleryError('DATA_FORMAT', `${examples.file}: expected labels in [0, ${C - 1}] (${C} label names), got ${maxLabel}`);
  const data = textSplit(examples, spec.featurizer);
  const model = buildMlp({ inputSize: spec.featurizer.buckets, hidden: spec.hidden, classes: C, dropout: spec.dropout ?? 0 });
  await distill({
    student: model,
    data,
    loss: (i) => crossEntropy(i.studentLogits, i.labels!),
    optimizer: tf.train.adam(spec.learningRate),
    epochs: spec.epochs,
    batchSize: spec.batchSize,
    callbacks: { onEpochEnd: onEpoch },
  });
  return { model, labels: spec.labels, featurizer: spec.featurizer };
}
