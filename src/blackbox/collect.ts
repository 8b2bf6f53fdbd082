/**
 * Collection: ask the teacher every prompt job not yet in the answer store, a bounded number at a time,
 * appending each answer the moment it arrives. Rerunning after a crash or a kill asks only what is missing.
 */
import { DistilleryError } from '../errors.js';
import { HttpTeacher, TeacherRequestError, type ClientStats, type FailureReason } from './http-teacher.js';
import type { PromptJob } from './prompts.js';
import type { AnswerStore } from './store.js';

export interface Pricing {
  promptPer1k: number;
  completionPer1k: number;
}

export interface TokenCount {
  prompt: number;
  completion: number;
  /** US dollars at the configured prices. */
  cost: number;
}

export interface CollectReport {
  jobs: number;
  /** Already in the store before this run: not asked. */
  alreadyStored: number;
  /** Jobs whose prompt repeats an earlier job's (same key): answered by that one. */
  duplicates: number;
  /** Answered and stored by this run. */
  answered: number;
  failed: { promptId: string; sample: number; reason: FailureReason; attempts: number; message: string }[];
  client: ClientStats;
  /** Tokens used by this run's answers. */
  tokens: TokenCount;
  /** Tokens of every answer in the store for these jobs (what the whole prompt set has cost). */
  storeTokens: TokenCount;
  seconds: number;
}

export interface CollectOptions {
  client: HttpTeacher;
  store: AnswerStore;
  jobs: PromptJob[];
  concurrency: number;
  pricing?: Pricing;
  onProgress?(p: { done: number; todo: number; failed: number }): void;
}

/** Token counts priced per 1,000 tokens: `tokenCost(2000, 100, { promptPer1k: 0.5, completionPer1k: 1.5 }).cost === 1.15`. */
export const tokenCost = (prompt: number, completion: number, p: Pricing = { promptPer1k: 0, completionPer1k: 0 }): TokenCount => ({
  prompt,
  completion,
  cost: (prompt / 1000) * p.promptPer1k + (completion / 1000) * p.completionPer1k,
});

/**
 * Asks every job whose key is not in the store. Failed jobs (retries exhausted, or refused with a 4xx)
 * are reported, not stored, so the next run asks them again. Auth or unknown-model errors stop the run.
 *
 * @example const report = await collect({ client, store, jobs: promptJobs(cfg.teacher, 'train', texts), concurrency: 8 })
 */
export async function collect(opts: CollectOptions): Promise<CollectReport> {
  const { client, store, jobs, concurrency } = opts;
  const t0 = performance.now();
  // Identical prompts (a sentence that occurs twice) share a key: asked once, stored once.
  const seen = new Set<string>();
  const todo = jobs.filter((j) => !store.has(j.key) && !seen.has(j.key) && seen.add(j.key));
  const stored = jobs.filter((j) => store.has(j.key)).length;
  const report: CollectReport = {
    jobs: jobs.length,
    alreadyStored: stored,
    duplicates: jobs.length - stored - todo.length,
    answered: 0,
    failed: [],
    client: client.stats,
    tokens: tokenCost(0, 0),
    storeTokens: tokenCost(0, 0),
    seconds: 0,
  };
  let next = 0;
  let fatal: unknown;
  const abort = new AbortController();
  let promptTokens = 0;
  let completionTokens = 0;

  const worker = async () => {
    while (!fatal && next < todo.length) {
      const job = todo[next++];
      try {
        const r = await client.chat(job.messages, job.params, abort.signal);
        store.append({
          v: 1,
          key: job.key,
          promptId: job.promptId,
          sample: job.sample,
          model: client.opts.model,
          choices: r.choices,
          usage: r.usage,
          attempts: r.attempts,
          ms: r.ms,
          at: new Date().toISOString(),
        });
        report.answered++;
        promptTokens += r.usage.promptTokens;
        completionTokens += r.usage.completionTokens;
      } catch (e) {
        if (e instanceof TeacherRequestError) {
          report.failed.push({ promptId: job.promptId, sample: job.sample, reason: e.reason, attempts: e.attempts, message: e.message });
        } else {
          fatal ??= e;
          abort.abort();
        }
      }
      if (!fatal) opts.onProgress?.({ done: report.answered, todo: todo.length, failed: report.failed.length });
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, todo.length) }, worker));
  if (fatal) {
    if (fatal instanceof DistilleryError || (fatal as Error).name !== 'AbortError') throw fatal;
  }
  report.tokens = tokenCost(promptTokens, completionTokens, opts.pricing);
  let sp = 0;
  let sc = 0;
  for (const key of new Set(jobs.map((j) => j.key))) {
    const a = store.get(key);
    if (a) (sp += a.usage.promptTokens), (sc += a.usage.completionTokens);
  }
  report.storeTokens = tokenCost(sp, sc, opts.pricing);
  report.seconds = (performance.now() - t0) / 1000;
  return report;
}
