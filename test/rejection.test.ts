import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { additionProblem, additionSplits } from '../src/blackbox/arithmetic.js';
import { collect } from '../src/blackbox/collect.js';
import { RejectionConfigSchema, type RejectionConfig } from '../src/blackbox/config.js';
import { HttpTeacher } from '../src/blackbox/http-teacher.js';
import { promptJobs } from '../src/blackbox/prompts.js';
import { runRejection, sequenceExample, trainTeacher } from '../src/blackbox/rejection.js';
import { readRejectionTask, verifyAnswers } from '../src/blackbox/rejection-verify.js';
import { startTeacherServer, type RunningServer } from '../src/blackbox/serve.js';
import { loadServedModel } from '../src/blackbox/served-models.js';
import { AnswerStore } from '../src/blackbox/store.js';
import { finalAnswer } from '../src/blackbox/verify.js';
import { parseWith } from '../src/config/format.js';
import { readLlamaCheckpoint } from '../src/models/llama/checkpoint.js';
import { encode, readLlamaTokenizer } from '../src/models/llama/tokenizer.js';
import { tmpDir } from './helpers.js';

const tok = readLlamaTokenizer('models/stories260K/tok512.bin');

describe('addition problems with worked steps', () => {
  it('adds digit by digit from the right with carries and ends in an answer line', () => {
    expect(additionProblem(347, 85)).toEqual({ text: '347+85=', expected: '432', gold: '\n7+5+0=12\n4+8+1=13\n3+0+1=04\nanswer: 432' });
    expect(additionProblem(999, 1).gold).toBe('\n9+1+0=10\n9+0+1=10\n9+0+1=10\nanswer: 1000');
    expect(finalAnswer(additionProblem(56, 78).gold)).toBe('134');
  });

  it('draws the same disjoint splits for a seed; growing the teacher set leaves prompts and test alone', () => {
    const o = { seed: 3, minDigits: 2, maxDigits: 4, teacher: 300, train: 50, test: 40 };
    const a = additionSplits(o);
    expect(additionSplits(o)).toEqual(a);
    const all = [...a.teacher, ...a.train, ...a.test].map((p) => p.text);
    expect(new Set(all).size).toBe(390);
    for (const p of all) expect(p).toMatch(/^\d{2,4}\+\d{2,4}=$/);
    const bigger = additionSplits({ ...o, teacher: 600 });
    expect([bigger.train, bigger.test]).toEqual([a.train, a.test]);
    expect(() => additionSplits({ ...o, minDigits: 1, maxDigits: 1, teacher: 200 })).toThrow('addition: expected 290 distinct problems with 1..1 digits, found only 100');
  });

  it('tokenizes a prompt and its answer so that the loss starts at the answer and the sequence ends at BOS', () => {
    const p = additionProblem(347, 85);
    const ex = sequenceExample(tok, p.text, p.gold);
    const pre = encode(tok, p.text, { bos: true });
    expect(ex.lossFrom).toBe(pre.length);
    expect(ex.tokens.slice(0, pre.length)).toEqual(pre);
    expect(ex.tokens.at(-1)).toBe(1);
    expect(sequenceExample(tok, p.text, '\n7+5', false).tokens.at(-1)).not.toBe(1);
  });
});

describe('rejection sampling end to end: train a teacher, serve it over HTTP, collect k samples, verify, train three students', () => {
  let dir: string;
  let server: RunningServer;
  let config: RejectionConfig;
  const store = () => path.join(dir, 'answers.jsonl');

  beforeAll(async () => {
    dir = tmpDir('distillery-rs-');
    config = parseWith(
      RejectionConfigSchema,
      {
        task: 'rejection-lm',
        teacher: { baseUrl: 'http://127.0.0.1:1/v1', model: 'arith', params: { temperature: 1, maxTokens: 24, n: 4, seed: 1, logprobs: false }, concurrency: 8 },
        data: { addition: { seed: 0, minDigits: 1, maxDigits: 1, teacher: 60, train: 16, test: 12 } },
        teacherModel: { dim: 32, nLayers: 2, nHeads: 2, seqLen: 32, train: { steps: 120, batchSize: 16, lr: 0.01, warmupSteps: 10 } },
        student: { dim: 16, nLayers: 1, nHeads: 2, seqLen: 32, train: { steps: 10, batchSize: 8, lr: 0.01, warmupSteps: 2 } },
        evalMaxTokens: 24,
      },
      'config',
    );
    const t = await trainTeacher(config, { out: dir });
    expect(t.file).toBe(path.join(dir, 'teacher.bin'));
    expect(readLlamaCheckpoint(t.file).config).toMatchObject({ dim: 32, nLayers: 2, vocabSize: 512, seqLen: 32 });
    server = await startTeacherServer(await loadServedModel(t.file, 'arith'), { port: 0 });
    config.teacher.baseUrl = server.url;
  }, 60_000);
  afterAll(() => server?.close());

  it('collects k answers per prompt, keeps exactly the ones whose final answer is right, and reuses verdicts on a rerun', async () => {
    const task = readRejectionTask(config.data);
    const jobs = promptJobs(config.teacher, 'train', task.train.map((p) => p.text));
    const client = () => new HttpTeacher({ baseUrl: server.url, model: 'arith', timeoutMs: 30_000, retry: config.teacher.retry });
    const s = AnswerStore.open(store(), { write: true });
    const first = await collect({ client: client(), store: s, jobs, concurrency: 8 });
    expect([first.answered, first.failed.length]).toEqual([16, 0]);
    const again = await collect({ client: client(), store: s, jobs, concurrency: 8 });
    expect([again.answered, again.client.requests]).toEqual([0, 0]);
    s.close();

    const { report, samples } = await verifyAnswers(config, { out: dir, store: store() });
    expect(report.samples).toBe(64);
    // Recount independently: the final answer line equals the sum.
    const stored = [...AnswerStore.open(store()).records()];
    const right = stored.flatMap((a) => a.choices.map((c) => finalAnswer(c.content) === task.train[Number(a.promptId.split(':')[1])].expected)).filter(Boolean).length;
    expect(report.accepted).toBe(right);
    expect(report.acceptanceRate).toBeCloseTo(right / 64, 10);
    expect(report.histogram.reduce((a, b) => a + b, 0)).toBe(16);
    expect(report.perPrompt.map((p) => p.samples)).toEqual(new Array(16).fill(4));
    const kept = fs.readFileSync(path.join(dir, 'verified.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
    expect(kept).toHaveLength(right);
    for (const k of kept) expect(finalAnswer(k.answer)).toBe(k.expected);
    expect(samples.filter((x) => x.accepted)).toHaveLength(right);

    const rerun = await verifyAnswers(config, { out: dir, store: store() });
    expect([rerun.report.cached, rerun.report.accepted]).toEqual([64, right]);
    // Another verifier is a new question: nothing reused.
    const regex = await verifyAnswers({ ...config, verifier: { name: 'regex', pattern: 'answer: \\d+$', flags: '' } }, { out: dir, store: store() });
    expect(regex.report.cached).toBe(0);
  });

  it('trains the all / verified / gold students from one initialization and reports held-out accuracy', async () => {
    const report = await runRejection(config, { out: dir, store: store() });
    expect(report.verify.samples).toBe(64);
    expect(report.students.all!.examples).toBe(64);
    expect(report.students.gold!.examples).toBe(16);
    if (report.verify.accepted > 0) expect(report.students.verified!.examples).toBe(report.verify.accepted);
    else expect(report.students.verified).toBeUndefined();
    for (const s of Object.values(report.students)) {
      expect(s.heldOut.problems).toBe(12);
      expect(fs.existsSync(s.file)).toBe(true);
    }
    expect(report.teacher.heldOut!.problems).toBe(12);
    const md = fs.readFileSync(path.join(dir, 'report.md'), 'utf8');
    expect(md).toContain(`${report.verify.accepted}/64 samples accepted`);
    expect(md).toContain('(c) gold answers only');
  });
});

describe('rejection-lm configs on the command line', () => {
  it('names the bad field in one line and exits non-zero', () => {
    const dir = tmpDir('distillery-rs-cli-');
    const base = 'task: rejection-lm\nteacher: { baseUrl: "http://127.0.0.1:1/v1", model: m }\ndata: { addition: {} }\nstudent: { dim: 16, nLayers: 1, nHeads: 2, train: { steps: 1 } }\n';
    fs.writeFileSync(path.join(dir, 'bad.yaml'), `${base}verifier: { name: command }\n`);
    fs.writeFileSync(path.join(dir, 'ok.yaml'), base);
    const run = (args: string[]) => spawnSync(process.execPath, ['bin/distillery.mjs', ...args], { encoding: 'utf8' });
    const bad = run(['verify', path.join(dir, 'bad.yaml')]);
    expect([bad.status, bad.stderr.trim()]).toEqual([2, `distillery: error: ${path.join(dir, 'bad.yaml')}: config.verifier.command: expected string, got nothing`]);
    const noStore = run(['blackbox', path.join(dir, 'ok.yaml'), '--out', path.join(dir, 'out')]);
    expect([noStore.status, noStore.stderr.trim()]).toEqual([1, `distillery: error: ${path.join(dir, 'out', 'answers.jsonl')}: answer store not found (run distillery collect first)`]);
    const noTeacher = run(['train-teacher', path.join(dir, 'ok.yaml'), '--out', path.join(dir, 'out')]);
    expect([noTeacher.status, noTeacher.stderr.trim()]).toEqual([2, "distillery: error: config.teacherModel: expected the teacher's shape and training budget, got none"]);
    expect(fs.existsSync(path.join(dir, 'out'))).toBe(false);
  });
});
