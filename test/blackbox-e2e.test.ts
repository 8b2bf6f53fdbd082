import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { readLabeledText } from '../src/data/text.js';
import { selectBackend } from '../src/engine/backend.js';
import { setSeed } from '../src/engine/seed.js';
import { argmaxRows } from '../src/eval/metrics.js';
import { classifyTexts, loadTextClassifier, saveTextClassifier } from '../src/models/text-classifier.js';
import { trainTextClassifier } from '../src/recipes/text-classifier.js';
import { tmpDir } from './helpers.js';

const BIN = path.resolve('bin/distillery.mjs');
const cli = (args: string[], env: Record<string, string> = {}) => {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { ...process.env, ...env } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
};
const labels = ['negative', 'positive'];
const head = (src: string, dst: string, n: number) => fs.writeFileSync(dst, fs.readFileSync(src, 'utf8').split('\n').slice(0, n).join('\n') + '\n');

let dir: string;
let server: ChildProcess;
let url: string;
let teacherTestLabels: Int32Array;
let goldTest: Int32Array;

beforeAll(async () => {
  dir = tmpDir();
  head('data/sst2/stsa.binary.train', path.join(dir, 'train.txt'), 600);
  head('data/sst2/stsa.binary.test', path.join(dir, 'test.txt'), 300);
  // The teacher: a wider classifier trained on gold labels, then only reachable over HTTP.
  await selectBackend('auto');
  setSeed(1);
  const clf = await trainTextClassifier(readLabeledText(path.join(dir, 'train.txt'), 2), { labels, featurizer: { buckets: 2048, ngrams: 2 }, hidden: [64], epochs: 6, batchSize: 32, learningRate: 2e-3 });
  await saveTextClassifier(clf, path.join(dir, 'teacher'));
  const test = readLabeledText(path.join(dir, 'test.txt'), 2);
  teacherTestLabels = argmaxRows(classifyTexts(clf, test.texts).logits, 2);
  goldTest = test.labels;

  server = spawn(process.execPath, [BIN, 'serve-teacher', '--model', path.join(dir, 'teacher'), '--port', '0', '--api-key', 'sk-e2e', '--name', 'sst2-teacher'], { stdio: ['ignore', 'pipe', 'pipe'] });
  url = await new Promise<string>((resolve, reject) => {
    let out = '';
    server.stdout!.on('data', (d) => {
      out += d;
      const m = /at (http:\/\/\S+)/.exec(out);
      if (m) resolve(m[1]);
    });
    server.on('exit', (code) => reject(new Error(`serve-teacher exited with ${code}`)));
  });
});
afterAll(() => {
  server?.kill('SIGTERM');
});

function config(over: Record<string, unknown> = {}): string {
  const cfg = {
    teacher: {
      baseUrl: url,
      model: 'sst2-teacher',
      apiKeyEnv: 'E2E_TEACHER_KEY',
      system: 'Classify the sentiment of the sentence. Answer negative or positive.',
      params: { temperature: 0, logprobs: true, topLogprobs: 2 },
      concurrency: 4,
      pricing: { promptPer1k: 0.5, completionPer1k: 1.5 },
    },
    data: { train: path.join(dir, 'train.txt'), test: path.join(dir, 'test.txt'), labels },
    student: { buckets: 1024, ngrams: 1, hidden: [16], epochs: 5, batchSize: 32, learningRate: 0.003 },
    loss: { name: 'hinton', temperature: 2, alpha: 0.5 },
    seed: 1,
    ...over,
  };
  const f = path.join(tmpDir(), 'bb.yaml');
  fs.writeFileSync(f, YAML.stringify(cfg));
  return f;
}

const key = { E2E_TEACHER_KEY: 'sk-e2e' };

describe('black-box distillation over loopback HTTP', () => {
  it('serve-teacher + collect + blackbox: trains from the teacher API and reports accuracy, agreement and gap closed', () => {
    const cfg = config();
    const out = path.join(dir, 'run');
    const c = cli(['collect', cfg, '--out', out], key);
    expect(c.code, c.stderr).toBe(0);
    expect(c.stdout).toContain('900 prompts: 0 already stored, 900 answered now, 0 failed');
    expect(c.stdout).toMatch(/900 requests, 0 retries/);
    const again = cli(['collect', cfg, '--out', out], key);
    expect(again.stdout).toContain('900 prompts: 900 already stored, 0 answered now, 0 failed');
    expect(again.stdout).toContain('0 requests, 0 retries');

    const b = cli(['blackbox', cfg, '--out', out], key);
    expect(b.code, b.stderr).toBe(0);
    expect(b.stdout).toContain('| student, distilled (hinton) |');
    const r = JSON.parse(fs.readFileSync(path.join(out, 'report.json'), 'utf8'));
    // The teacher's answers over HTTP are the served model's own predictions.
    const teacherAcc = teacherTestLabels.reduce((n, y, i) => n + (y === goldTest[i] ? 1 : 0), 0) / 300;
    expect(r.teacher.accuracy).toBeCloseTo(teacherAcc, 10);
    expect(r.mode).toBe('soft');
    expect(r.train).toEqual({ prompts: 600, extra: 0, used: 600, missing: 0, rejected: 0, targets: { logprobs: 600, votes: 0, hard: 0 } });
    expect(r.test).toEqual({ prompts: 300, missing: 0, rejected: 0 });
    expect(r.teacher.tokens.completion).toBe(900);
    expect(r.teacher.tokens.cost).toBeCloseTo((r.teacher.tokens.prompt / 1000) * 0.5 + 0.9 * 1.5, 8);
    for (const s of [r.students.gold, r.students.distilled]) {
      expect(s.accuracy).toBeGreaterThan(0.5);
      expect(s.agreement).toBeGreaterThan(0.5);
      expect(s.params).toBe(1024 * 16 + 16 + 16 * 2 + 2);
    }
    expect(r.gapClosed).toBeCloseTo((r.students.distilled.accuracy - r.students.gold.accuracy) / (r.teacher.accuracy - r.students.gold.accuracy), 10);
    expect(fs.readFileSync(path.join(out, 'report.md'), 'utf8')).toContain('Gap closed:');
  });

  it('the saved student reloads and predicts as evaluated', async () => {
    const out = path.join(dir, 'run');
    const r = JSON.parse(fs.readFileSync(path.join(out, 'report.json'), 'utf8'));
    const student = await loadTextClassifier(path.join(out, 'student-distilled'));
    const test = readLabeledText(path.join(dir, 'test.txt'), 2);
    const pred = argmaxRows(classifyTexts(student, test.texts).logits, 2);
    expect(pred.reduce((n, y, i) => n + (y === test.labels[i] ? 1 : 0), 0) / 300).toBeCloseTo(r.students.distilled.accuracy, 10);
  });

  it('bad input: one line naming the field or file, non-zero exit, nothing written', () => {
    const out = path.join(tmpDir(), 'bad');
    const expectOneLine = (r: ReturnType<typeof cli>, code: number, msg: string | RegExp) => {
      expect(r.code).toBe(code);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr.trim()).toMatch(msg);
    };
    const badTemplate = config({});
    fs.writeFileSync(badTemplate, fs.readFileSync(badTemplate, 'utf8').replace('model: sst2-teacher', 'model: sst2-teacher\n  template: "no placeholder"'));
    expectOneLine(cli(['collect', badTemplate, '--out', out], key), 2, /config\.teacher\.template: expected a template containing \{text\}/);
    expectOneLine(cli(['collect', config(), '--out', out]), 2, /config\.teacher\.apiKeyEnv names E2E_TEACHER_KEY, but that environment variable is not set/);
    expectOneLine(cli(['collect', config(), '--out', out], { E2E_TEACHER_KEY: 'sk-wrong' }), 1, /401 Incorrect API key provided \(check teacher.apiKeyEnv\)/);
    expect(fs.existsSync(path.join(out, 'answers.jsonl'))).toBe(false);
    expectOneLine(cli(['collect', config({ data: { train: path.join(dir, 'nope.txt'), test: path.join(dir, 'test.txt'), labels } }), '--out', out], key), 1, /nope\.txt: text data file not found/);
    expectOneLine(cli(['blackbox', config(), '--out', path.join(tmpDir(), 'empty')], key), 1, /answers\.jsonl: answer store not found \(run distillery collect first\)/);
    expectOneLine(cli(['serve-teacher', '--model', path.join(dir, 'nothing')]), 1, /nothing: expected a text classifier folder/);
    expect(fs.existsSync(path.join(out, 'report.json'))).toBe(false);
  });
});
