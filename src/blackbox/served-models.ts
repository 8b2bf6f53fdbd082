/**
 * Models that `distillery serve-teacher` can put behind the OpenAI-compatible API. Each answers a text with
 * a distribution over one-token answers (best first): a text classifier saved by this project (its label
 * names), or fastText's lid.176 language identifier (language codes such as `en`, `fr`).
 */
import path from 'node:path';
import { DistilleryError } from '../errors.js';
import { classifyTexts, isTextClassifierDir, loadTextClassifier } from '../models/text-classifier.js';

export interface TokenLogprob {
  token: string;
  logprob: number;
}

export interface ServedModel {
  /** The model id clients put in `model`. */
  id: string;
  /** Candidate answers with their log-probabilities, best first. */
  predict(text: string): Promise<TokenLogprob[]>;
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
 * Loads what `--model` names: `fasttext:lid176`, or a text classifier folder (model.json + text.json).
 *
 * @example const model = await loadServedModel('out/sst2-teacher') // id 'sst2-teacher'
 */
export async function loadServedModel(spec: string, id?: string): Promise<ServedModel> {
  if (spec === 'fasttext:lid176') {
    const m = await fastTextLid();
    return id ? { ...m, id } : m;
  }
  if (spec.startsWith('fasttext:')) throw new DistilleryError('USAGE', `--model: expected fasttext:lid176 or a text classifier folder, got "${spec}"`);
  if (!isTextClassifierDir(spec)) {
    throw new DistilleryError('MODEL', `${spec}: expected a text classifier folder (text.json + model.json, from distillery train-text) or fasttext:lid176`);
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
