/**
 * Transfer data for language-model distillation: stories sampled from the teacher (batched, cached on
 * disk, resumable) and text corpora cut into token windows.
 *
 * The sample file is JSONL: a first line `{"meta": …}` naming the teacher and sampling settings, then one
 * `{"i": n, "tokens": [...]}` line per story, appended batch by batch with fsync. Story i is drawn with
 * its own generator seeded by (seed, i), so the file is the same whatever the batch size and however
 * often the run was interrupted; a rerun keeps every complete line, drops a torn last line, and samples
 * only the missing stories. A file made with other settings is an error, never silently mixed.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Rng } from '../engine/seed.js';
import { DistilleryError } from '../errors.js';
import { sampleToken } from '../models/llama/generate.js';
import { type LlamaModel, disposeKvCache, disposeLlama, emptyKvCache, llamaForwardBatch } from '../models/llama/model.js';
import { BOS, type LlamaTokenizer, encode } from '../models/llama/tokenizer.js';
import type { LmExample } from './train.js';

/** Decodes B sequences one position at a time; `step` feeds one token per row and returns logits [B·V]. */
export interface DecodeSession {
  step(tokens: number[]): Promise<Float32Array>;
  dispose(): void;
}

/** A model that can be sampled from: the TF.js Llama, or an ONNX / transformers.js adapter. */
export interface SamplableLm {
  id: string;
  vocabSize: number;
  seqLen: number;
  startDecode(batch: number): DecodeSession;
  /** Frees the model, when the SamplableLm owns it. */
  dispose?(): void;
}

/** The TF.js Llama as a SamplableLm (KV cache, batched); `dispose` frees the model. */
export function samplableLlama(model: LlamaModel, id: string): SamplableLm {
  const V = model.config.vocabSize;
  return {
    id,
    vocabSize: V,
    seqLen: model.config.seqLen,
    startDecode(batch) {
      const cache = emptyKvCache(model, batch);
      return {
        async step(tokens) {
          const { logits } = llamaForwardBatch(model, tokens.map((t) => [t]), { cache });
          const out = (await logits.data()) as Float32Array;
          logits.dispose();
          return out;
        },
        dispose: () => disposeKvCache(cache),
      };
    },
    dispose: () => disposeLlama(model),
  };
}

export interface SampleOptions {
  count: number;
  /** Tokens after BOS, at most (a story also ends when the model emits BOS). */
  maxTokens: number;
  temperature: number;
  topP: number;
  seed: number;
  /** Stories decoded together (default 32). */
  batch?: number;
  /** Prompt every story starts from (default: BOS alone). */
  prompt?: string;
  onProgress?: (done: number, total: number) => void;
}

interface SampleMeta {
  teacher: string;
  maxTokens: number;
  temperature: number;
  topP: number;
  seed: number;
  prompt: string;
}

/** Per-story generator: story i of seed s always draws the same numbers. */
const storyRng = (seed: number, i: number): Rng => new Rng(crypto.createHash('sha256').update(`${seed}:${i}`).digest().readUInt32LE(0));

/** Reads the complete lines of a sample file; cuts off a torn last line. */
function readSamples(file: string, meta: SampleMeta): number[][] {
  if (!fs.existsSync(file)) return [];
  const text = fs.readFileSync(file, 'utf8');
  const lines = text.split('\n');
  const complete = lines.slice(0, -1); // the last element is '' after a final newline, or a torn line
  if (complete.length === 0) {
    fs.rmSync(file);
    return [];
  }
  let head: { meta?: SampleMeta };
  try {
    head = JSON.parse(complete[0]);
  } catch {
    throw new DistilleryError('DATA_FORMAT', `${file}:1: expected a JSON meta line, got ${complete[0].slice(0, 60)}`);
  }
  const want = JSON.stringify(meta);
  const got = JSON.stringify(head.meta);
  if (want !== got) throw new DistilleryError('DATA_FORMAT', `${file}: expected samples made with ${want}, got ${got} (delete the file or change data.samplesFile)`);
  const stories: number[][] = [];
  complete.slice(1).forEach((line, n) => {
    let rec: { i: number; tokens: number[] };
    try {
      rec = JSON.parse(line);
    } catch {
      throw new DistilleryError('DATA_FORMAT', `${file}:${n + 2}: expected a JSON story line, got ${line.slice(0, 60)}`);
    }
    if (rec.i !== stories.length || !Array.isArray(rec.tokens)) throw new DistilleryError('DATA_FORMAT', `${file}:${n + 2}: expected story ${stories.length}, got ${String(rec.i)}`);
    stories.push(rec.tokens);
  });
  if (!text.endsWith('\n')) fs.truncateSync(file, Buffer.byteLength(complete.join('\n') + '\n'));
  return stories;
}

/**
 * Samples `count` stories from `model` into `file` (or continues an interrupted file). Returns every
 * story's token ids, BOS first.
 *
 * @example const stories = await sampleStories(samplableLlama(teacher, 'stories260K'), tok, 'out/samples.jsonl', { count: 1000, maxTokens: 256, temperature: 1, topP: 0.95, seed: 1 })
 */
export async function sampleStories(model: SamplableLm, tok: LlamaTokenizer, file: string, o: SampleOptions): Promise<{ stories: number[][]; sampled: number }> {
  if (!Number.isInteger(o.count) || o.count < 0) throw new DistilleryError('CONFIG', `data.stories: expected an integer ≥ 0, got ${o.count}`);
  if (!Number.isInteger(o.maxTokens) || o.maxTokens < 1) throw new DistilleryError('CONFIG', `data.maxTokens: expected a positive integer, got ${o.maxTokens}`);
  const meta: SampleMeta = { teacher: model.id, maxTokens: o.maxTokens, temperature: o.temperature, topP: o.topP, seed: o.seed, prompt: o.prompt ?? '' };
  const stories = readSamples(file, meta);
  const before = stories.length;
  if (stories.length >= o.count) return { stories: stories.slice(0, o.count), sampled: 0 };
  fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  const fd = fs.openSync(file, 'a');
  try {
    if (stories.length === 0) {
      fs.writeSync(fd, JSON.stringify({ meta }) + '\n');
      fs.fsyncSync(fd);
    }
    const prompt = encode(tok, o.prompt ?? '', { bos: true });
    const limit = Math.min(model.seqLen, prompt.length + o.maxTokens);
    const B0 = o.batch ?? 32;
    while (stories.length < o.count) {
      const first = stories.length;
      const B = Math.min(B0, o.count - first);
      const rngs = Array.from({ length: B }, (_, b) => storyRng(o.seed, first + b));
      const rows = Array.from({ length: B }, () => [...prompt]);
      const done = new Array<boolean>(B).fill(false);
      const session = model.startDecode(B);
      try {
        for (let pos = 0; pos + 1 < limit && done.some((d) => !d); pos++) {
          const logits = await session.step(rows.map((r, b) => (done[b] ? BOS : r[Math.min(pos, r.length - 1)])));
          if (pos + 1 < prompt.length) continue;
          for (let b = 0; b < B; b++) {
            if (done[b]) continue;
            const next = sampleToken(logits.subarray(b * model.vocabSize, (b + 1) * model.vocabSize), o.temperature, o.topP, rngs[b]);
            if (next === BOS) done[b] = true;
            else rows[b].push(next);
          }
        }
      } finally {
        session.dispose();
      }
      fs.writeSync(fd, rows.map((tokens, b) => JSON.stringify({ i: first + b, tokens })).join('\n') + '\n');
      fs.fsyncSync(fd);
      stories.push(...rows);
      o.onProgress?.(stories.length, o.count);
    }
  } finally {
    fs.closeSync(fd);
  }
  return { stories, sampled: stories.length - before };
}

/**
 * A text file as token windows: the text is tokenized in paragraphs (blank-line separated, or chunks of
 * about 2,000 characters), joined with BOS between them, and cut into windows of `window` + 1 tokens.
 * The last `heldOut` fraction of the text is returned separately for evaluation.
 *
 * @example const { train, heldOut } = corpusWindows(tok, 'data/tinyshakespeare/input.txt', 256, 0.1)
 */
export function corpusWindows(tok: LlamaTokenizer, file: string, window: number, heldOut: number, maxChars?: number): { train: LmExample[]; heldOut: LmExample[] } {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new DistilleryError('DATA_MISSING', `${file}: cannot read corpus (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  if (maxChars !== undefined) text = text.slice(0, maxChars);
  if (text.trim().length === 0) throw new DistilleryError('DATA_FORMAT', `${file}: expected text, got an empty file`);
  if (!(heldOut >= 0 && heldOut < 1)) throw new DistilleryError('CONFIG', `data.corpusHeldOut: expected a fraction in [0, 1), got ${heldOut}`);
  const cut = Math.floor(text.length * (1 - heldOut));
  const toWindows = (part: string): LmExample[] => {
    const ids: number[] = [];
    for (const chunk of part.split(/\n\s*\n/)) {
      for (let i = 0; i < chunk.length; i += 2000) {
        const piece = chunk.slice(i, i + 2000).trim();
        if (piece) ids.push(...encode(tok, piece, { bos: true }));
      }
    }
    const out: LmExample[] = [];
    for (let i = 0; i + 1 < ids.length; i += window) out.push({ tokens: ids.slice(i, i + window + 1) });
    return out;
  };
  return { train: toWindows(text.slice(0, cut)), heldOut: heldOut > 0 ? toWindows(text.slice(cut)) : [] };
}
