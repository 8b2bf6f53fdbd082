import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { collect } from '../src/blackbox/collect.js';
import { BlackboxConfigSchema } from '../src/blackbox/config.js';
import { HttpTeacher, type RetryPolicy } from '../src/blackbox/http-teacher.js';
import { promptJobs } from '../src/blackbox/prompts.js';
import { AnswerStore } from '../src/blackbox/store.js';
import { Rng } from '../src/engine/seed.js';
import { FAULTS, startFaultServer, type FaultServer } from './fault-server.js';
import { tmpDir } from './helpers.js';

const labelOf = (text: string) => (text.length % 2 ? 'positive' : 'negative');
const texts = (n: number) => Array.from({ length: n }, (_, i) => `sentence number ${i} about a film`);
const teacherConfig = (url: string) =>
  BlackboxConfigSchema.parse({ teacher: { baseUrl: url, model: 'm', params: { topLogprobs: 1 } }, data: { train: 'x', test: 'y', labels: ['negative', 'positive'] } }).teacher;

let server: FaultServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

function client(url: string, retry: Partial<RetryPolicy>, timeoutMs = 600): HttpTeacher {
  const rng = new Rng(5);
  return new HttpTeacher({ baseUrl: url, model: 'm', timeoutMs, retry: { perRequest: 12, total: 10_000, baseMs: 1, maxMs: 8, maxRetryAfterMs: 10, ...retry }, random: () => rng.next() });
}

describe('collection under faults', () => {
  it('answers every prompt exactly once, or reports it failed after the retry cap', async () => {
    const all = [...texts(100), 'always broken one', 'always broken two', 'a bad request'];
    server = await startFaultServer({ seed: 42, faultRate: 0.4, answer: labelOf, always: (t) => (t.startsWith('always') ? 500 : t === 'a bad request' ? 400 : undefined) });
    const jobs = promptJobs(teacherConfig(server.url), 'train', all);
    const file = path.join(tmpDir(), 'answers.jsonl');
    const store = AnswerStore.open(file, { write: true });
    const report = await collect({ client: client(server.url, {}), store, jobs, concurrency: 6, pricing: { promptPer1k: 1, completionPer1k: 2 } });
    store.close();

    for (const f of FAULTS) expect(server.faults[f], f).toBeGreaterThan(0);
    expect(report.answered).toBe(100);
    expect(report.failed.map((f) => [f.promptId, f.reason, f.attempts]).sort()).toEqual([
      ['train:100', 'http5xx', 13],
      ['train:101', 'http5xx', 13],
      ['train:102', 'http4xx', 1],
    ]);
    expect([server.asked.get('always broken one'), server.asked.get('a bad request')]).toEqual([13, 1]);
    const f = report.client.failures;
    expect(f.http429 + f.http5xx + f.timeout + f.network + f['bad-response']).toBe(report.client.retries + 2); // the last try of each always-500 prompt is not retried
    expect(f.http4xx).toBe(1);
    expect(report.tokens).toEqual({ prompt: 600, completion: 100, cost: 0.6 + 0.2 });

    const again = AnswerStore.open(file);
    expect([again.size, again.info.duplicates, again.info.tornBytes]).toEqual([100, 0, 0]);
    all.slice(0, 100).forEach((t, i) => {
      // Usually 1; 2 when a slow answer outlived the client's timeout and was asked again. Stored once either way.
      expect(server!.answered.get(t), t).toBeGreaterThanOrEqual(1);
      expect(again.get(jobs[i].key)!.choices[0]).toEqual({ content: labelOf(t), finishReason: 'stop', tokens: [{ token: labelOf(t), logprob: -0.1, top: [{ token: labelOf(t), logprob: -0.1 }] }] });
    });

    // A rerun asks only the prompts that failed.
    const before = new Map(server.asked);
    const store2 = AnswerStore.open(file, { write: true });
    const rerun = await collect({ client: client(server.url, { perRequest: 0 }), store: store2, jobs, concurrency: 6 });
    store2.close();
    expect([rerun.alreadyStored, rerun.answered, rerun.failed.length]).toEqual([100, 0, 3]);
    for (const t of all) expect(server.asked.get(t)! - before.get(t)!, t).toBe(t.startsWith('sentence') ? 0 : 1);
  });

  it('stops retrying when the total retry budget is spent', async () => {
    server = await startFaultServer({ seed: 1, faultRate: 0, answer: labelOf, always: () => 500 });
    const jobs = promptJobs(teacherConfig(server.url), 'train', texts(10));
    const store = AnswerStore.open(path.join(tmpDir(), 'answers.jsonl'), { write: true });
    const report = await collect({ client: client(server.url, { perRequest: 5, total: 7 }), store, jobs, concurrency: 2 });
    store.close();
    expect([report.answered, report.failed.length, report.client.retries, report.client.requests]).toEqual([0, 10, 7, 17]);
    expect([...server.asked.values()].reduce((a, b) => a + b, 0)).toBe(17);
    expect(report.failed.some((f) => f.message.includes('gave up after the total retry budget'))).toBe(true);
  });

  it('asks again without logprobs when the server refuses them', async () => {
    server = await startFaultServer({ seed: 1, faultRate: 0, answer: labelOf, refuseLogprobs: true });
    const jobs = promptJobs(teacherConfig(server.url), 'train', texts(6));
    const store = AnswerStore.open(path.join(tmpDir(), 'answers.jsonl'), { write: true });
    const c = client(server.url, { perRequest: 0 });
    const report = await collect({ client: c, store, jobs, concurrency: 3 });
    expect([report.answered, report.failed.length, c.logprobsRefused]).toEqual([6, 0, true]);
    expect(report.client.requests).toBeLessThanOrEqual(6 + 3); // at most the first wave is refused
    expect([...store.records()].every((a) => a.choices[0].tokens === undefined)).toBe(true);
    store.close();
  });

  it('after kill -9 mid-collection, a rerun asks only what is not stored', async () => {
    const prompts = texts(160);
    server = await startFaultServer({ seed: 3, faultRate: 0, answer: labelOf, delayMs: 40 });
    const dir = tmpDir();
    fs.writeFileSync(path.join(dir, 'train.txt'), prompts.map((t) => `0 ${t}`).join('\n') + '\n');
    fs.writeFileSync(path.join(dir, 'test.txt'), '1 a test sentence\n');
    const cfg = path.join(dir, 'bb.yaml');
    fs.writeFileSync(cfg, YAML.stringify({ teacher: { baseUrl: server.url, model: 'm', concurrency: 4, retry: { baseMs: 5 } }, data: { train: path.join(dir, 'train.txt'), test: path.join(dir, 'test.txt'), labels: ['negative', 'positive'] } }));
    const out = path.join(dir, 'out');
    const store = path.join(out, 'answers.jsonl');
    const run = () => spawn(process.execPath, [path.resolve('bin/distillery.mjs'), 'collect', cfg, '--out', out, '--split', 'train'], { stdio: ['ignore', 'pipe', 'pipe'] });
    const lines = () => (fs.existsSync(store) ? fs.readFileSync(store, 'utf8').split('\n').length - 1 : 0);

    const child = run();
    const killed = new Promise((r) => child.on('exit', r));
    for (let t = 0; lines() < 40 && t < 3000; t++) await new Promise((r) => setTimeout(r, 20));
    child.kill('SIGKILL');
    await killed;
    fs.appendFileSync(store, '{"v":1,"key":"torn'); // as if the kill had landed inside a write
    const storedBeforeKill = new Set([...AnswerStore.open(store).records()].map((a) => a.promptId));
    expect(storedBeforeKill.size).toBeGreaterThanOrEqual(40);
    expect(storedBeforeKill.size).toBeLessThan(160);

    const second = run();
    let stdout = '';
    let stderr = '';
    second.stdout.on('data', (d) => (stdout += d));
    second.stderr.on('data', (d) => (stderr += d));
    const code = await new Promise((r) => second.on('exit', r));
    expect(code, stderr).toBe(0);
    expect(stderr).toContain('ignored a torn last line (18 bytes)');
    expect(stdout).toContain(`160 prompts: ${storedBeforeKill.size} already stored, ${160 - storedBeforeKill.size} answered now, 0 failed`);

    const final = AnswerStore.open(store);
    expect([final.size, final.info.duplicates, final.info.tornBytes]).toEqual([160, 0, 0]);
    const twice = prompts.filter((t) => server!.asked.get(t) !== 1);
    for (const t of prompts) expect(server.asked.get(t), t).toBeGreaterThanOrEqual(1);
    // Answers already stored are never asked again; only requests in flight at the kill (≤ concurrency) are repeated.
    prompts.forEach((t, i) => {
      if (storedBeforeKill.has(`train:${i}`)) expect(server!.asked.get(t), t).toBe(1);
    });
    expect(twice.length).toBeLessThanOrEqual(4);
    expect(twice.every((t) => server!.asked.get(t) === 2)).toBe(true);
  });
});
