import path from 'node:path';
import { collect, type CollectReport } from '../blackbox/collect.js';
import { HttpTeacher } from '../blackbox/http-teacher.js';
import type { TeacherEndpointConfig } from '../blackbox/config.js';
import { promptJobs, readTextTask, type PromptJob } from '../blackbox/prompts.js';
import { readRejectionTask } from '../blackbox/rejection-verify.js';
import { AnswerStore } from '../blackbox/store.js';
import { DistilleryError } from '../errors.js';
import { writeJsonAtomic } from '../fsutil.js';
import { parse } from './args.js';
import { configTask, loadBlackboxConfig, loadRejectionConfig } from './blackbox-config.js';

const SPLITS = ['train', 'test', 'all'] as const;

/** One-paragraph summary of a collection. */
export function collectSummary(r: CollectReport, store: string): string {
  const f = r.client.failures;
  return [
    `${r.jobs} prompts: ${r.alreadyStored} already stored, ${r.answered} answered now, ${r.failed.length} failed${r.duplicates ? `, ${r.duplicates} repeats of another prompt` : ''}; store ${store}`,
    `${r.client.requests} requests, ${r.client.retries} retries (429: ${f.http429}, 5xx: ${f.http5xx}, timeouts: ${f.timeout}, network: ${f.network}, bad responses: ${f['bad-response']}, other 4xx: ${f.http4xx}), ${r.seconds.toFixed(1)} s`,
    `tokens this run: ${r.tokens.prompt} prompt + ${r.tokens.completion} completion ($${r.tokens.cost.toFixed(4)}); whole prompt set: ${r.storeTokens.prompt} + ${r.storeTokens.completion} ($${r.storeTokens.cost.toFixed(4)})`,
  ].join('\n');
}

/** `distillery collect CONFIG [--out DIR] [--split train|test|all]`: ask the teacher every prompt not yet in the store. */
export async function collectCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parse('collect', argv, { out: { type: 'string' }, split: { type: 'string' } }, true);
  if (positionals.length !== 1) throw new DistilleryError('USAGE', `distillery collect: expected one CONFIG file (.yaml or .json), got ${positionals.length}`);
  const split = values.split ?? 'all';
  if (!(SPLITS as readonly string[]).includes(split)) throw new DistilleryError('USAGE', `--split: expected one of ${SPLITS.join('|')}, got "${split}"`);
  let loaded: { config: { teacher: TeacherEndpointConfig }; out: string; store: string; apiKey?: string };
  let jobs: PromptJob[];
  if (configTask(positionals[0]) === 'rejection-lm') {
    // Rejection sampling: the teacher answers the training prompts (k samples each); held-out problems are never asked.
    const r = loadRejectionConfig(positionals[0], values.out, { needKey: true });
    loaded = r;
    jobs = split === 'test' ? [] : promptJobs(r.config.teacher, 'train', readRejectionTask(r.config.data).train.map((p) => p.text));
  } else {
    const b = loadBlackboxConfig(positionals[0], values.out, { needKey: true });
    loaded = b;
    const task = readTextTask(b.config.data);
    jobs = [
      ...(split !== 'test' ? promptJobs(b.config.teacher, 'train', task.train.texts) : []),
      ...(split !== 'test' ? promptJobs(b.config.teacher, 'transfer', task.transfer) : []),
      ...(split !== 'train' ? promptJobs(b.config.teacher, 'test', task.test.texts) : []),
    ];
  }
  const { config, out, store: storeFile, apiKey } = loaded;
  const t = config.teacher;
  const client = new HttpTeacher({ baseUrl: t.baseUrl, model: t.model, apiKey, timeoutMs: t.timeoutMs, retry: t.retry });
  const store = AnswerStore.open(storeFile, { write: true });
  if (store.info.tornBytes > 0) process.stderr.write(`${storeFile}: ignored a torn last line (${store.info.tornBytes} bytes) left by an interrupted run\n`);
  const tty = Boolean(process.stderr.isTTY);
  let lastPct = -1;
  let report: CollectReport;
  try {
    report = await collect({
      client,
      store,
      jobs,
      concurrency: t.concurrency,
      pricing: t.pricing,
      onProgress: ({ done, todo, failed }) => {
        const pct = Math.floor((100 * (done + failed)) / todo);
        if (pct === lastPct || done + failed === 0) return;
        lastPct = pct;
        if (tty) process.stderr.write(`\r\x1b[Kcollect ${done + failed}/${todo} (${pct}%), ${failed} failed`);
        else if (pct % 10 === 0) process.stderr.write(`collect ${done + failed}/${todo} (${pct}%), ${failed} failed\n`);
      },
    });
  } finally {
    store.close();
    if (tty) process.stderr.write('\r\x1b[K');
  }
  writeJsonAtomic(path.join(out, 'collect-report.json'), { ...report, store: storeFile });
  process.stdout.write(`${collectSummary(report, storeFile)}\n`);
  if (report.failed.length > 0) {
    const first = report.failed[0];
    process.stderr.write(`distillery: error: ${report.failed.length} prompts failed (first: ${first.promptId}: ${first.message}); rerun to retry them\n`);
    return 1;
  }
  return 0;
}
