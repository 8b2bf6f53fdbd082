/**
 * Verifiers turn a teacher's free-text answer into something a student learns from, or reject it.
 * The label verifier maps an answer to a label id; `labelTargets` turns a stored answer into teacher
 * logits: log-probabilities over the label tokens when the server returned them, vote frequencies
 * when several samples were drawn, a hard label otherwise. For rejection sampling, answer verifiers check
 * a generated answer against the prompt's expected answer: exact match on a parsed final answer, a regex,
 * a JS function, or a shell command (exit 0 = accepted).
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { DistilleryError } from '../errors.js';
import type { StoredAnswer, StoredChoice } from './store.js';

/** What a verifier may know about the prompt an answer belongs to. */
export interface VerifyContext {
  /** e.g. `train:12` */
  promptId: string;
  /** The prompt's text (what filled `{text}` in the template). */
  text: string;
  /** The expected final answer, from the prompts file. */
  expected?: string;
}

/** Checks one answer: a value to learn from, or undefined to reject it (at once or, for commands, later). */
export interface Verifier<T> {
  name: string;
  verify(choice: StoredChoice, ctx?: VerifyContext): T | undefined | Promise<T | undefined>;
}

/** A verifier that answers at once. */
export interface SyncVerifier<T> extends Verifier<T> {
  verify(choice: StoredChoice, ctx?: VerifyContext): T | undefined;
}

const norm = (s: string): string => s.trim().toLowerCase().replace(/^[^\p{L}\p{N}]+|[^\p{L}\p{N}]+$/gu, '');

/**
 * Accepts an answer that is a label name (any case, surrounding punctuation ignored), or that names exactly one label.
 *
 * @example labelVerifier(['negative', 'positive']).verify({ content: 'Positive.' }) // 1
 */
export function labelVerifier(labels: string[]): SyncVerifier<number> {
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

const DEFAULT_FINAL = /(?:answer\s*(?:is|:)\s*|=\s*)([^\n=]*?)\s*$/gim;

/**
 * The final answer in a generated text: the first capture group (or the whole match) of the last match of
 * `pattern`; by default the text after the last "answer:" / "answer is", else after the last `=` of a line,
 * trimmed, trailing period dropped. Undefined when nothing matches.
 *
 * @example finalAnswer('7+5+0=12\n4+8+1=13\nanswer: 132') // '132'
 * @example finalAnswer('so #### 42', '####\\s*(\\S+)') // '42'
 */
export function finalAnswer(text: string, pattern?: string | RegExp): string | undefined {
  if (pattern === undefined) {
    const answers = [...text.matchAll(/answer\s*(?:is\s*|:\s*)([^\n]*)/gi)];
    const m = answers.length > 0 ? answers[answers.length - 1] : [...text.matchAll(DEFAULT_FINAL)].pop();
    return m ? clean(m[1]) : undefined;
  }
  const re = typeof pattern === 'string' ? new RegExp(pattern, 'gm') : new RegExp(pattern.source, pattern.flags.includes('g') ? pattern.flags : `${pattern.flags}g`);
  const m = [...text.matchAll(re)].pop();
  return m ? clean(m[1] ?? m[0]) : undefined;
}

const clean = (s: string): string => s.trim().replace(/\.$/, '').trim();

const expectedOf = (name: string, given: string | undefined, ctx: VerifyContext | undefined): string => {
  const e = given ?? ctx?.expected;
  if (e === undefined) throw new DistilleryError('DATA_FORMAT', `${name} verifier: prompt ${ctx?.promptId ?? '(unknown)'} has no expected answer (field "expected" of the prompts file)`);
  return e;
};

/**
 * Accepts an answer whose parsed final answer equals the expected one (given, or the prompt's own);
 * returns the parsed answer. `parse` is a regex whose first group is the final answer (default: `finalAnswer`).
 *
 * @example exactMatchVerifier(undefined).verify({ content: '...\nanswer: 432' }, { promptId: 'train:0', text: '347+85=', expected: '432' }) // '432'
 */
export function exactMatchVerifier(expected?: string, opts: { parse?: string | RegExp; ignoreCase?: boolean } = {}): SyncVerifier<string> {
  return {
    name: 'exact',
    verify(choice, ctx) {
      const want = expectedOf('exact', expected, ctx);
      const got = finalAnswer(choice.content, opts.parse);
      if (got === undefined) return undefined;
      const same = opts.ignoreCase ? got.toLowerCase() === want.trim().toLowerCase() : got === want.trim();
      return same ? got : undefined;
    },
  };
}

const escapeRegex = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Accepts an answer in which `pattern` matches; `{expected}` in the pattern stands for the prompt's expected
 * answer (escaped). Returns the match.
 *
 * @example regexVerifier('answer: {expected}$', 'm').verify({ content: 'answer: 432' }, { promptId: 'train:0', text: '', expected: '432' }) // 'answer: 432'
 */
export function regexVerifier(pattern: string | RegExp, flags?: string): SyncVerifier<string> {
  const source = typeof pattern === 'string' ? pattern : pattern.source;
  const f = flags ?? (typeof pattern === 'string' ? '' : pattern.flags);
  const needsExpected = source.includes('{expected}');
  try {
    new RegExp(source.replaceAll('{expected}', 'x'), f);
  } catch (e) {
    throw new DistilleryError('CONFIG', `regex verifier: expected a valid regular expression, got /${source}/${f} (${(e as Error).message})`);
  }
  const fixed = needsExpected ? undefined : new RegExp(source, f);
  return {
    name: 'regex',
    verify(choice, ctx) {
      const re = fixed ?? new RegExp(source.replaceAll('{expected}', escapeRegex(expectedOf('regex', undefined, ctx))), f);
      const m = re.exec(choice.content);
      return m ? m[0] : undefined;
    },
  };
}

/** A JS check: true or a string (the value kept) accepts; false, undefined or '' rejects. May be async. */
export type VerifyFunction = (answer: string, ctx: VerifyContext) => boolean | string | undefined | Promise<boolean | string | undefined>;

/**
 * Wraps a JS function as a verifier; returns the answer (or the string the function returned) when accepted.
 *
 * @example functionVerifier((answer, ctx) => answer.trim().endsWith(ctx.expected!))
 */
export function functionVerifier(fn: VerifyFunction, name = 'function'): Verifier<string> {
  return {
    name,
    async verify(choice, ctx) {
      const r = await fn(choice.content, ctx ?? { promptId: '', text: '' });
      if (r === true) return choice.content;
      return typeof r === 'string' && r !== '' ? r : undefined;
    },
  };
}

/**
 * Imports `exportName` from a module file (path relative to the working folder) as a function verifier.
 *
 * @example const v = await loadFunctionVerifier('examples/verify-addition.mjs', 'verify')
 */
export async function loadFunctionVerifier(modulePath: string, exportName = 'default'): Promise<Verifier<string>> {
  let mod: Record<string, unknown>;
  try {
    mod = (await import(pathToFileURL(path.resolve(modulePath)).href)) as Record<string, unknown>;
  } catch (e) {
    throw new DistilleryError('CONFIG', `${modulePath}: cannot import verifier module (${(e as Error).message.split('\n')[0]})`);
  }
  const fn = mod[exportName];
  if (typeof fn !== 'function') throw new DistilleryError('CONFIG', `${modulePath}: expected export "${exportName}" to be a function, got ${typeof fn}`);
  return functionVerifier(fn as VerifyFunction, `function:${path.basename(modulePath)}#${exportName}`);
}

export interface CommandVerifierOptions {
  /** Kill the command (and its children) after this long; the answer is then rejected. */
  timeoutMs?: number;
  cwd?: string;
}

/** A command verifier also counts what happened, for the report. */
export interface CommandVerifier extends Verifier<string> {
  stats: { runs: number; accepted: number; timeouts: number };
}

/**
 * Runs `sh -c command` per answer: the answer on stdin; DISTILLERY_PROMPT (the prompt's text),
 * DISTILLERY_EXPECTED (its expected answer, '' when none), DISTILLERY_PROMPT_ID and DISTILLERY_FINAL (the
 * parsed final answer, '' when none) in the environment. Exit status 0 accepts. A command still running after
 * timeoutMs is killed with its process group and the answer rejected. Returns the answer when accepted.
 *
 * @example commandVerifier('test "$(tail -n1)" = "answer: $DISTILLERY_EXPECTED"', { timeoutMs: 5000 })
 */
export function commandVerifier(command: string, opts: CommandVerifierOptions = {}): CommandVerifier {
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const stats = { runs: 0, accepted: 0, timeouts: 0 };
  return {
    name: 'command',
    stats,
    verify(choice, ctx) {
      stats.runs++;
      return new Promise<string | undefined>((resolve, reject) => {
        const child = spawn('sh', ['-c', command], {
          cwd: opts.cwd,
          detached: true, // its own process group, so a timeout kills what it started too
          stdio: ['pipe', 'ignore', 'ignore'],
          env: {
            ...process.env,
            DISTILLERY_PROMPT: ctx?.text ?? '',
            DISTILLERY_EXPECTED: ctx?.expected ?? '',
            DISTILLERY_PROMPT_ID: ctx?.promptId ?? '',
            DISTILLERY_FINAL: finalAnswer(choice.content) ?? '',
          },
        });
        let timedOut = false;
        const timer = setTimeout(() => {
          timedOut = true;
          try {
            process.kill(-child.pid!, 'SIGKILL');
          } catch {
            child.kill('SIGKILL');
          }
        }, timeoutMs);
        child.stdin.on('error', () => {}); // a command that does not read its stdin closes it early
        child.stdin.end(choice.content);
        child.on('error', (e) => {
          clearTimeout(timer);
          reject(new DistilleryError('CONFIG', `command verifier: cannot run sh -c ${JSON.stringify(command)} (${e.message})`));
        });
        child.on('close', (code) => {
          clearTimeout(timer);
          if (timedOut) {
            stats.timeouts++;
            return resolve(undefined);
          }
          if (code === 0) stats.accepted++;
          resolve(code === 0 ? choice.content : undefined);
        });
      });
    },
  };
}
