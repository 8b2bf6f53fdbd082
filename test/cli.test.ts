import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { tmpDir, writeMiniMnist } from './helpers.js';

const BIN = path.resolve('bin/distillery.mjs');
const cli = (args: string[]) => {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { ...process.env, CI: '1' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
};

let data: string;
beforeAll(() => {
  data = writeMiniMnist(tmpDir(), { train: 600, test: 300 });
});

/** A config small enough to run in seconds on the cpu backend. */
function tinyConfig(over: Record<string, unknown> = {}) {
  return {
    task: 'mnist',
    data,
    backend: 'cpu',
    seed: 1,
    teacher: { hidden: [48], epochs: 3, dropout: 0.2, inputDropout: 0, jitter: 1, batchSize: 64 },
    baseline: { hidden: [24], epochs: 3, batchSize: 64 },
    distilled: { hidden: [24], epochs: 3, batchSize: 64, temperature: 4, alpha: 0.9 },
    ...over,
  };
}

function writeConfig(cfg: unknown, name = 'cfg.yaml'): string {
  const f = path.join(tmpDir(), name);
  fs.writeFileSync(f, name.endsWith('.json') ? JSON.stringify(cfg) : YAML.stringify(cfg));
  return f;
}

/** Bad input: one line on stderr naming the problem, non-zero exit, no report written. */
function expectCleanFailure(args: string[], out: string, message: string | RegExp) {
  const r = cli([...args, '--out', out]);
  expect(r.code).not.toBe(0);
  const lines = r.stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(message);
  expect(fs.existsSync(path.join(out, 'report.json'))).toBe(false);
}

describe('distillery CLI', () => {
  it('run: a config file trains teacher, baseline and distilled student and writes the report', () => {
    const out = path.join(tmpDir(), 'out');
    const r = cli(['run', writeConfig(tinyConfig()), '--out', out]);
    expect(r.stderr).toContain('backend: cpu');
    expect(r.code).toBe(0);
    const report = JSON.parse(fs.readFileSync(path.join(out, 'report.json'), 'utf8'));
    expect(report).toMatchObject({ task: 'mnist', backend: 'cpu', seed: 1, temperature: 4, alpha: 0.9, trainExamples: 600, testExamples: 300 });
    expect(Object.keys(report.runs)).toEqual(['teacher', 'baseline', 'distilled']);
    for (const [name, run] of Object.entries<Record<string, number>>(report.runs)) {
      for (const k of ['testErrors', 'testAccuracy', 'nll', 'ece', 'params', 'bytes', 'msPerSample', 'samplesPerSec', 'epochs', 'trainSeconds']) {
        expect(Number.isFinite(run[k]), `${name}.${k}`).toBe(true);
      }
      expect(run.testErrors).toBe(Math.round(300 * (1 - run.testAccuracy)));
      expect(run.epochs).toBe(3);
      expect('agreementWithTeacher' in run).toBe(name !== 'teacher');
      expect(fs.existsSync(path.join(out, name, 'model.json'))).toBe(true);
      expect(run.bytes).toBe(fs.statSync(path.join(out, name, 'model.json')).size + fs.statSync(path.join(out, name, 'weights.bin')).size);
    }
    expect(report.runs.baseline.params).toBe(784 * 24 + 24 + 24 * 10 + 10);
    expect(fs.readFileSync(path.join(out, 'report.md'), 'utf8')).toContain('| distilled | 24 |');
    expect(r.stdout).toContain('| teacher | 48 |');
    expect(fs.existsSync(path.join(out, 'checkpoints'))).toBe(false);
    // The same folder again without --resume is refused rather than silently mixed.
    const again = cli(['run', writeConfig(tinyConfig()), '--out', out]);
    expect(again.code).toBe(2);
    expect(again.stderr.trim()).toBe(`distillery: error: ${out}: already holds a run (config.json); pass --resume to continue it, or choose another --out`);
  });

  it('resumes after kill -9 without retraining finished runs', async () => {
    const out = path.join(tmpDir(), 'out');
    const cfg = writeConfig(tinyConfig({ baseline: { hidden: [32], epochs: 25, batchSize: 32 } }));
    const child = spawn(process.execPath, [BIN, 'run', cfg, '--out', out], { stdio: 'ignore' });
    const latest = path.join(out, 'checkpoints', 'baseline', 'latest.json');
    const deadline = Date.now() + 60_000;
    while (!fs.existsSync(latest) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(fs.existsSync(latest)).toBe(true);
    child.kill('SIGKILL');
    await new Promise((r) => child.on('exit', r));
    const done = JSON.parse(fs.readFileSync(latest, 'utf8')).epoch as number;
    expect(done).toBeGreaterThanOrEqual(1);
    expect(done).toBeLessThan(25);
    expect(fs.existsSync(path.join(out, 'report.json'))).toBe(false);
    const teacherMtime = fs.statSync(path.join(out, 'teacher', 'weights.bin')).mtimeMs;

    const r = cli(['run', cfg, '--out', out, '--resume']);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('teacher: already trained (3 epochs), loaded from disk');
    expect(r.stderr).toMatch(/baseline: training 25 epochs, resuming after epoch \d+/);
    const resumedAfter = Number(/resuming after epoch (\d+)/.exec(r.stderr)![1]);
    expect(resumedAfter).toBeGreaterThanOrEqual(done);
    expect(fs.statSync(path.join(out, 'teacher', 'weights.bin')).mtimeMs).toBe(teacherMtime);
    const report = JSON.parse(fs.readFileSync(path.join(out, 'report.json'), 'utf8'));
    expect(report.runs.baseline.epochs).toBe(25);
    const history = JSON.parse(fs.readFileSync(path.join(out, 'baseline', 'training.json'), 'utf8')).history;
    expect(history.map((h: { epoch: number }) => h.epoch)).toEqual(Array.from({ length: 25 }, (_, i) => i + 1));
  });

  it('missing data dir', () => {
    expectCleanFailure(['demo', '--quick', '--data', '/nonexistent/mnist'], path.join(tmpDir(), 'o'), /^distillery: error: \/nonexistent\/mnist: data directory not found/);
  });

  it('truncated idx file', () => {
    const dir = writeMiniMnist(tmpDir(), { train: 100, test: 50 });
    const f = path.join(dir, 't10k-images-idx3-ubyte');
    fs.writeFileSync(f, fs.readFileSync(f).subarray(0, 5000));
    expectCleanFailure(['demo', '--quick', '--data', dir], path.join(tmpDir(), 'o'), `distillery: error: ${f}: expected 39200 data bytes for dims [50, 28, 28], got 4984 (truncated or padded file)`);
  });

  it('wrong magic', () => {
    const dir = writeMiniMnist(tmpDir(), { train: 100, test: 50 });
    const f = path.join(dir, 'train-images-idx3-ubyte');
    const buf = fs.readFileSync(f);
    buf.writeUInt32BE(1234, 0);
    fs.writeFileSync(f, buf);
    expectCleanFailure(['demo', '--quick', '--data', dir], path.join(tmpDir(), 'o'), `distillery: error: ${f}: expected idx magic 2051, got 1234`);
  });

  it('label out of range', () => {
    const dir = writeMiniMnist(tmpDir(), { train: 100, test: 50 });
    const f = path.join(dir, 'train-labels-idx1-ubyte');
    const buf = fs.readFileSync(f);
    buf[8 + 42] = 10;
    fs.writeFileSync(f, buf);
    expectCleanFailure(['demo', '--quick', '--data', dir], path.join(tmpDir(), 'o'), `distillery: error: ${f}: label at index 42 expected in [0, 9], got 10`);
  });

  it('config with an unknown key', () => {
    const cfg = writeConfig({ ...tinyConfig(), teacher: { ...tinyConfig().teacher, dropuot: 0.5 } });
    expectCleanFailure(['run', cfg], path.join(tmpDir(), 'o'), `distillery: error: ${cfg}: config.teacher.dropuot: unknown key`);
  });

  it('config with a negative temperature (JSON)', () => {
    const cfg = writeConfig({ ...tinyConfig(), distilled: { ...tinyConfig().distilled, temperature: -1 } }, 'cfg.json');
    const out = path.join(tmpDir(), 'o');
    expectCleanFailure(['run', cfg], out, `distillery: error: ${cfg}: config.distilled.temperature: expected number > 0, got -1`);
    expect(fs.existsSync(out)).toBe(false);
  });

  it('unknown backend', () => {
    const out = path.join(tmpDir(), 'o');
    expectCleanFailure(['demo', '--quick', '--backend', 'tpu'], out, 'distillery: error: --backend: expected one of auto|native|wasm|cpu, got "tpu"');
    expect(cli(['demo', '--quick', '--backend', 'tpu']).code).toBe(2);
  });

  it('unknown flag and unknown command', () => {
    const r = cli(['demo', '--quik']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe(`distillery: error: distillery demo: Unknown option '--quik'`);
    const c = cli(['distil']);
    expect(c.code).toBe(2);
    expect(c.stderr.trim()).toBe('distillery: unknown command "distil", expected one of demo, run, bench, train-text, serve-teacher, collect, blackbox, server, generate, lm, help');
  });
});
