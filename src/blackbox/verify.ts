/**
 * Verifiers turn a teacher's free-text answer into something a student learns from, or reject it.
 * The label verifier maps an answer to a label id; `labelTargets` turns a stored answer into teacher
 * logits: log-probabilities over the label tokens when the server returned them, vote frequencies
 * when several samples were drawn, a hard label otherwise. (Rejection sampling plugs in other verifiers.)
 */
import type { StoredAnswer, StoredChoice } from './store.js';

/** Checks one answer: a value to learn from, or undefined to reject it. */
export interface Verifier<T> {
  name: string;
  verify(choice: StoredChoice): T | undefined;
}

const norm = (s: string): string => s.trim().toLowerCase().replace(/^[^\p{L}\p{N}]+|[^\p{L}\p{N}]+$/gu, '');

/**
 * Accepts an answer that is a label name (any case, surrounding punctuation ignored), or that names exactly one label.
 *
 * @example labelVerifier(['negative', 'positive']).verify({ content: 'Positive.' }) // 1
 */
export function labelVerifier(labels: string[]): Verifier<number> {
  const names = labels.map(norm);
  return {
    name: 'label',
    verify(choice) {
      const a = norm(choice.content);
      const exact = names.indexOf(a);
      if (exact >= 0) return exact;
      const words = new Set(a.split(/[^\p{L}\p{N}_-]+/u));
      const named = names.map((n, i) => (words.has(n) ? i : -1)).filter((i) => i >= 0);
      return named.length === 1 ? named[0] : undefined;
    },
  };
}

/** The label a token stands for: its name, or a prefix of exactly one name (multi-token label names). */
function tokenLabel(token: string, names: string[]): number | undefined {
  const t = norm(token);
  if (!t) return undefined;
  const exact = names.indexOf(t);
  if (exact >= 0) return exact;
  const prefixed = names.map((n, i) => (n.startsWith(t) ? i : -1)).filter((i) => i >= 0);
  return prefixed.length === 1 ? prefixed[0] : undefined;
}

/** Floor for labels the teacher gave (almost) no probability: keeps every log-probability finite. */
const MIN_LOGP = -30;

export type TargetKind = 'logprobs' | 'votes' | 'hard';

export interface LabelTarget {
  kind: TargetKind;
  /** The teacher's label: argmax of the logits. */
  label: number;
  /** Teacher logits over the labels (log-probabilities), length C. */
  logits: Float32Array;
}

/** Log-probabilities over the labels from the first answer token's top logprobs, when they name any label. */
function fromLogprobs(choice: StoredChoice, names: string[]): Float32Array | undefined {
  const first = choice.tokens?.[0];
  if (!first) return undefined;
  const C = names.length;
  const p = new Float64Array(C);
  const seen = new Array<boolean>(C).fill(false);
  // top_logprobs normally includes the sampled token; add it when it does not. Spellings of one label add up.
  const entries = first.top.some((t) => t.token === first.token) ? first.top : [...first.top, { token: first.token, logprob: first.logprob }];
  for (const { token, logprob } of entries) {
    const c = tokenLabel(token, names);
    if (c === undefined || !Number.isFinite(logprob)) continue;
    p[c] += Math.exp(logprob);
    seen[c] = true;
  }
  const found = p.reduce((a, b) => a + b, 0);
  if (found <= 0) return undefined;
  const missing = seen.filter((s) => !s).length;
  const rest = missing > 0 ? Math.max(0, 1 - found) / missing : 0;
  return Float32Array.from(p, (v, c) => Math.max(MIN_LOGP, Math.log(seen[c] ? v : rest)));
}

/**
 * Teacher logits for one prompt from all its stored answers (samples × choices), or undefined when no
 * answer names a label (rejected).
 *
 * @example labelTargets([answer], ['negative', 'positive']) // { kind: 'logprobs', label: 1, logits: [-3.2, -0.04] }
 */
export function labelTargets(answers: StoredAnswer[], labels: string[]): LabelTarget | undefined {
  const names = labels.map(norm);
  const C = labels.length;
  const verifier = labelVerifier(labels);
  const choices = answers.flatMap((a) => a.choices);
  const argmax = (z: Float32Array) => z.reduce((best, v, c) => (v > z[best] ? c : best), 0);

  const soft = choices.map((c) => fromLogprobs(c, names)).filter((z): z is Float32Array => z !== undefined);
  if (soft.length > 0) {
    // Several samples with logprobs: average their probabilities.
    const p = new Float64Array(C);
    for (const z of soft) z.forEach((v, c) => (p[c] += Math.exp(v) / soft.length));
    const logits = Float32Array.from(p, (v) => Math.max(MIN_LOGP, Math.log(v)));
    return { kind: 'logprobs', label: argmax(logits), logits };
  }
  const votes = new Float64Array(C);
  let n = 0;
  for (const c of choices) {
    const y = verifier.verify(c);
    if (y !== undefined) votes[y]++, n++;
  }
  if (n === 0) return undefined;
  if (n === 1) {
    const label = votes.indexOf(1);
    return { kind: 'hard', label, logits: Float32Array.from(votes, (v) => (v > 0 ? 0 : MIN_LOGP)) };
  }
  // Vote frequencies, smoothed so an unseen label keeps a little mass.
  const eps = 0.1;
  const logits = Float32Array.from(votes, (v) => Math.log((v + eps) / (n + C * eps)));
  return { kind: 'votes', label: argmax(logits), logits };
}
