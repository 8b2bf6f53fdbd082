/**
 * The rejection-sampling task and its verification step: problems with expected answers (the addition task or
 * JSONL files), the configured verifier, and `verifyAnswers`, which checks every stored teacher answer.
 *
 * Verdicts are appended to OUT/verdicts.jsonl as they are made, keyed by (answer, choice, verifier), so an
 * interrupted run, or a rerun, never checks an answer twice (a command verifier can be slow).
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { DistilleryError } from '../errors.js';
import { writeFileAtomic, writeJsonAtomic } from '../fsutil.js';
import { additionSplits, type Problem } from './arithmetic.js';
import type { RejectionConfig, VerifierConfig } from './config.js';
import { promptJobs } from './prompts.js';
import { AnswerStore } from './store.js';
import { commandVerifier, exactMatchVerifier, loadFunctionVerifier, regexVerifier, type Verifier } from './verify.js';

/** A prompt with its expected final answer and, when known, a gold answer (what follows the prompt). */
export type RejectionProblem = Omit<Problem, 'gold'> & { gold?: string };

export interface RejectionTask {
  /** Gold examples for the teacher (empty when the config names none). */
  teacher: RejectionProblem[];
  train: RejectionProblem[];
  test: RejectionProblem[];
}

function readProblems(file: string): RejectionProblem[] {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new DistilleryError('DATA_MISSING', `${file}: cannot read prompts file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  return text
    .split('\n')
    .map((line, i) => [line, i] as const)
    .filter(([line]) => line.trim() !== '')
    .map(([line, i]) => {
      let r: unknown;
      try {
        r = JSON.parse(line);
      } catch {
        r = undefined;
      }
      const p = r as RejectionProblem;
      if (typeof p !== 'object' || p === null || typeof p.text !== 'string' || typeof p.expected !== 'string' || (p.gold !== undefined && typeof p.gold !== 'string')) {
        throw new DistilleryError('DATA_FORMAT', `${file}:${i + 1}: expected JSON {"text": string, "expected": string, "gold"?: string}, got "${line.slice(0, 60)}"`);
      }
      return { text: p.text, expected: p.expected, ...(p.gold !== undefined ? { gold: p.gold } : {}) };
    });
}

/**
 * The config's problems: generated addition splits, or JSONL files.
 *
 * @example readRejectionTask({ addition: { seed: 0, minDigits: 2, maxDigits: 3, teacher: 5000, train: 300, test: 200 } }).train.length // 300
 */
export function readRejectionTask(data: RejectionConfig['data']): RejectionTask {
  if ('addition' in data) return additionSplits(data.addition);
  return { teacher: data.teacher ? readProblems(data.teacher) : [], train: readProblems(data.train), test: readProblems(data.test) };
}

/**
 * The verifier a config names (a function verifier's module is imported).
 *
 * @example const v = await verifierFromConfig({ name: 'exact', ignoreCase: false })
 */
export async function verifierFromConfig(cfg: VerifierConfig): Promise<Verifier<string>> {
  switch (cfg.name) {
    case 'exact':
      return exactMatchVerifier(undefined, { parse: cfg.parse, ignoreCase: cfg.ignoreCase });
    case 'regex':
      return regexVerifier(cfg.pattern, cfg.flags);
    case 'function':
      return loadFunctionVerifier(cfg.module, cfg.export);
    case 'command':
      return commandVerifier(cfg.command, { timeoutMs: cfg.timeoutMs });
  }
}


/** One checked teacher sample. */
export interface CheckedSample {
  promptId: string;
  text: string;
  expected: string;
  sample: number;
  choice: number;
  content: string;
  finishReason?: string;
  accepted: boolean;
}

export interface VerifyReport {
  verifier: VerifierConfig;
  prompts: number;
  /** Prompts with no answer in the store (collect them first). */
  missing: number;
  samples: number;
  accepted: number;
  acceptanceRate: number;
  /** Prompts with at least one accepted sample. */
  promptsCovered: number;
  /** histogram[j] = prompts with exactly j accepted samples. */
  histogram: number[];
  perPrompt: { promptId: string; accepted: number; samples: number }[];
  /** Verdicts taken from OUT/verdicts.jsonl rather than checked again. */
  cached: number;
  seconds: number;
}

interface Verdict {
  id: string;
  accepted: boolean;
}

/** The verdict log: one JSON line per checked answer, fsync'd; a torn last line is ignored and cut off. */
function openVerdicts(file: string): { get(id: string): boolean | undefined; add(v: Verdict): void; close(): void } {
  const known = new Map<string, boolean>();
  if (fs.existsSync(file)) {
    const buf = fs.readFileSync(file);
    const end = buf.lastIndexOf(0x0a) + 1;
    for (const line of buf.subarray(0, end).toString('utf8').split('\n')) {
      if (!line) continue;
      try {
        const v = JSON.parse(line) as Verdict;
        if (typeof v.id === 'string' && typeof v.accepted === 'boolean') known.set(v.id, v.accepted);
      } catch {
        // a damaged line: that answer is checked again
      }
    }
    if (end < buf.length) fs.truncateSync(file, end);
  }
  fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  const fd = fs.openSync(file, 'a');
  return {
    get: (id) => known.get(id),
    add(v) {
      fs.writeSync(fd, `${JSON.stringify(v)}\n`);
      fs.fsyncSync(fd);
      known.set(v.id, v.accepted);
    },
    close: () => fs.closeSync(fd),
  };
}

/**
 * Checks every stored teacher answer to the config's training prompts with the configured verifier;
 * writes OUT/verified.jsonl (the kept prompt/answer pairs), OUT/verify-report.json, and the verdict log.
 *
 * @example const { report, samples } = await verifyAnswers(config, { out: 'out/rs', store: 'out/rs/answers.jsonl' })
 */
export async function verifyAnswers(config: RejectionConfig, opts: { out: string; store: string; log?(line: string): void }): Promise<{ report: VerifyReport; samples: CheckedSample[] }> {
  const t0 = performance.now();
  const task = readRejectionTask(config.data);
  const store = AnswerStore.open(opts.store);
  const jobs = promptJobs(config.teacher, 'train', task.train.map((p) => p.text));
  const verifier = await verifierFromConfig(config.verifier);
  const verifierKey = crypto.createHash('sha256').update(JSON.stringify(config.verifier)).digest('hex').slice(0, 12);
  const verdicts = openVerdicts(path.join(opts.out, 'verdicts.jsonl'));
  const samples: CheckedSample[] = [];
  const todo: { sample: CheckedSample; id: string }[] = [];
  const missing = new Set<string>();
  let cached = 0;
  for (const job of jobs) {
    const a = store.get(job.key);
    if (!a) {
      missing.add(job.promptId);
      continue;
    }
    const i = Number(job.promptId.split(':')[1]);
    a.choices.forEach((c, choice) => {
      const s: CheckedSample = { promptId: job.promptId, text: task.train[i].text, expected: task.train[i].expected, sample: job.sample, choice, content: c.content, finishReason: c.finishReason, accepted: false };
      samples.push(s);
      // The expected answer is part of the id: the same answer to a prompt with a different expected answer is a new question.
      const id = `${a.key}:${choice}:${verifierKey}:${crypto.createHash('sha256').update(s.expected).digest('hex').slice(0, 8)}`;
      const known = verdicts.get(id);
      if (known !== undefined) {
        s.accepted = known;
        cached++;
      } else todo.push({ sample: s, id });
    });
  }
  store.close();
  const concurrency = config.verifier.name === 'command' ? config.verifier.concurrency : 8;
  let next = 0;
  let done = 0;
  try {
    await Promise.all(
      Array.from({ length: Math.min(concurrency, todo.length) }, async () => {
        while (next < todo.length) {
          const { sample: s, id } = todo[next++];
          s.accepted = (await verifier.verify({ content: s.content, finishReason: s.finishReason }, { promptId: s.promptId, text: s.text, expected: s.expected })) !== undefined;
          verdicts.add({ id, accepted: s.accepted });
          if (++done % 500 === 0) opts.log?.(`verified ${done}/${todo.length}`);
        }
      }),
    );
  } finally {
    verdicts.close();
  }
  const byPrompt = new Map<string, { accepted: number; samples: number }>();
  for (const s of samples) {
    const p = byPrompt.get(s.promptId) ?? { accepted: 0, samples: 0 };
    p.samples++;
    if (s.accepted) p.accepted++;
    byPrompt.set(s.promptId, p);
  }
  const perPrompt = [...byPrompt].map(([promptId, p]) => ({ promptId, ...p }));
  const maxK = Math.max(0, ...perPrompt.map((p) => p.samples));
  const histogram = new Array<number>(maxK + 1).fill(0);
  for (const p of perPrompt) histogram[p.accepted]++;
  const accepted = samples.filter((s) => s.accepted).length;
  const report: VerifyReport = {
    verifier: config.verifier,
    prompts: task.train.length,
    missing: missing.size,
    samples: samples.length,
    accepted,
    acceptanceRate: samples.length ? accepted / samples.length : 0,
    promptsCovered: perPrompt.filter((p) => p.accepted > 0).length,
    histogram,
    perPrompt,
    cached,
    seconds: (performance.now() - t0) / 1000,
  };
  const kept = samples.filter((s) => s.accepted).map((s) => JSON.stringify({ promptId: s.promptId, sample: s.sample, choice: s.choice, text: s.text, expected: s.expected, answer: s.content }));
  writeFileAtomic(path.join(opts.out, 'verified.jsonl'), kept.length ? `${kept.join('\n')}\n` : '');
  writeJsonAtomic(path.join(opts.out, 'verify-report.json'), report);
  return { report, samples };
}

/** One line per verification: overall and per-prompt acceptance. */
export function verifySummary(r: VerifyReport): string {
  return (
    `${r.accepted}/${r.samples} samples accepted (${(100 * r.acceptanceRate).toFixed(1)}%) by the ${r.verifier.name} verifier; ` +
    `${r.promptsCovered}/${r.prompts} prompts with at least one accepted; prompts by accepted samples [${r.histogram.join(', ')}]` +
    `${r.missing ? `; ${r.missing} prompts missing from the store` : ''}${r.cached ? `; ${r.cached} verdicts reused` : ''}`
  );
}
