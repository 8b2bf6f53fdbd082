import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { tmpDir } from './helpers.js';

const BIN = path.resolve('bin/distillery.mjs');
const cli = (args: string[]) => {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { ...process.env, CI: '1' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
};
const dir = tmpDir('lm-cli-');
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const config = {
  name: 'tiny-lm',
  backend: 'native',
  teacher: { checkpoint: 'models/stories260K/stories260K.bin', tokenizer: 'models/stories260K/tok512.bin' },
  data: {
    samples: { count: 6, heldOut: 3, maxTokens: 30, batch: 6 },
    corpus: { file: 'data/tinyshakespeare/input.txt', maxChars: 3000, heldOut: 0.3 },
  },
  train: { steps: 3, batchSize: 2, seqLen: 32, checkpointEvery: 2 },
  students: [
    { name: 'distilled', init: { fromTeacher: { layers: [2, 4], hiddenDim: 168 } }, loss: { softCe: { weight: 1, temperature: 2 }, hiddenCosine: { weight: 1 } } },
    { name: 'scratch', init: { random: { nLayers: 1, dim: 32 } }, loss: { hardCe: 1 } },
  ],
  eval: { generationTokens: 10, prompts: ['Once'], sampleTokens: 8 },
};

describe('distillery lm', () => {
  const file = path.join(dir, 'tiny.yaml');
  const out = path.join(dir, 'out');

  it('samples, trains two students, evaluates and reports; the student is a llama2.c file generate can read', () => {
    fs.writeFileSync(file, YAML.stringify(config));
    const r = cli(['lm', file, '--out', out]);
    expect(r.stderr).not.toMatch(/Error/);
    expect(r.code).toBe(0);
    const report = JSON.parse(fs.readFileSync(path.join(out, 'report.json'), 'utf8'));
    expect(report.data).toMatchObject({ trainSequences: 6 + report.data.corpusTrainWindows, heldOutSequences: 3 });
    expect(report.data.corpusHeldOutWindows).toBeGreaterThan(0);
    expect(report.teacher.heldOut.ce).toBeGreaterThan(0.5);
    expect(report.teacher.corpus.ce).toBeGreaterThan(report.teacher.heldOut.ce); // Shakespeare is not the teacher's domain
    const [d, s] = report.students;
    expect(d.config).toMatchObject({ nLayers: 2, dim: 64, hiddenDim: 168 });
    expect(d.nonEmbeddingRatio).toBeLessThanOrEqual(0.4);
    expect(s.config).toMatchObject({ nLayers: 1, dim: 32, nHeads: 4, nKvHeads: 2 });
    for (const st of report.students) {
      expect(st.heldOut.kl).toBeGreaterThan(0);
      expect(st.heldOut.top1Agreement).toBeGreaterThanOrEqual(0);
      expect(st.tokensPerSecond).toBeGreaterThan(0);
      expect(st.samples[0].startsWith('Once')).toBe(true);
      expect(st.bytes).toBe(fs.statSync(path.join(out, 'students', st.name, 'student.bin')).size);
    }
    expect(fs.existsSync(path.join(out, 'students', 'distilled', 'ckpt'))).toBe(false); // finished: checkpoints removed
    const md = fs.readFileSync(path.join(out, 'report.md'), 'utf8');
    expect(md).toMatch(/\| distilled \| 2 × 64 \|/);
    expect(r.stdout).toContain('| scratch | 1 × 32 |');
    const g = cli(['generate', '--model', path.join(out, 'students', 'distilled', 'student.bin'), '--greedy', '--max-tokens', '5']);
    expect(g.code).toBe(0);
  });

  it('a rerun keeps the samples and the finished students', () => {
    const samples = fs.readFileSync(path.join(out, 'samples-train.jsonl'), 'utf8');
    const r = cli(['lm', file, '--out', out]);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('distilled: already trained');
    expect(r.stderr).not.toContain('sampling train');
    expect(fs.readFileSync(path.join(out, 'samples-train.jsonl'), 'utf8')).toBe(samples);
  });

  it.each([
    [{ ...config, students: [{ ...config.students[0], loss: {} }] }, 'config.students.0.loss: expected at least one of hardCe, softCe, jsd, hiddenCosine with a weight > 0'],
    [{ ...config, teacher: { checkpoint: 'nope.bin', tokenizer: config.teacher.tokenizer } }, 'nope.bin: cannot read checkpoint (ENOENT)'],
    [{ ...config, students: [{ ...config.students[0], init: { fromTeacher: { layers: [7] } } }] }, 'student.layers: expected teacher layer indices 0..4, got 7'],
    [{ ...config, students: [config.students[1], config.students[1]] }, 'students: expected unique names, got "scratch" twice'],
    [{ ...config, train: { steps: 0 } }, 'config.train.steps'],
  ])('bad config %# is one line and a non-zero exit, no report', (bad, message) => {
    const f = path.join(dir, 'bad.yaml');
    const o = path.join(dir, 'bad-out');
    fs.writeFileSync(f, YAML.stringify(bad));
    const r = cli(['lm', f, '--out', o]);
    expect(r.code).not.toBe(0);
    expect(r.stderr.trim().split('\n').at(-1)).toContain(message);
    expect(fs.existsSync(path.join(o, 'report.json'))).toBe(false);
  });
});
