import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { tmpDir } from './helpers.js';
import { form, miniMnistFiles, tinyHinton, TOKEN, waitForJob } from './server-helpers.js';

const BIN = path.resolve('bin/distillery.mjs');
const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
});

/** Starts `distillery server` on a free loopback port; resolves with its URL once it listens. */
async function startServer(dataDir: string): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, [BIN, 'server', '--port', '0', '--data-dir', dataDir, '--token', TOKEN, '--concurrency', '1', '--worker-nice', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let out = '';
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', (d) => {
      out += d;
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) resolve(m[1]);
    });
    child.on('exit', (code) => reject(new Error(`server exited with ${code}: ${out}`)));
  });
  return { url, child };
}

/** Whether a process runs (a zombie waiting to be reaped does not count). */
const alive = (pid: number): boolean => {
  try {
    return !/^\d+ \(.*\) Z/.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
};

it('kill -9 of the server mid-training: the restarted server resumes the job from its checkpoint', async () => {
  const dataDir = tmpDir('distillery-crash-');
  const first = await startServer(dataDir);
  const api = (url: string) => (p: string, init: RequestInit = {}) => fetch(url + p, { ...init, headers: { Authorization: `Bearer ${TOKEN}`, ...(init.headers as object) } });
  let call = api(first.url);
  const ds = await (await call('/api/datasets', { method: 'POST', body: form(miniMnistFiles({ train: 300, test: 100 })) })).json();
  const config = tinyHinton({ baseline: { hidden: [32], epochs: 8, batchSize: 32 } });
  const job = await (await call('/api/jobs', { method: 'POST', body: JSON.stringify({ dataset: ds.id, config }), headers: { 'Content-Type': 'application/json' } })).json();

  const latest = path.join(dataDir, 'jobs', job.id, 'checkpoints', 'baseline', 'latest.json');
  const deadline = Date.now() + 60_000;
  while (!(fs.existsSync(latest) && JSON.parse(fs.readFileSync(latest, 'utf8')).epoch >= 2) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  const { pid: workerPid } = await (await call(`/api/jobs/${job.id}`)).json();
  first.child.kill('SIGKILL');
  await new Promise((r) => first.child.once('exit', r));
  const checkpointed = JSON.parse(fs.readFileSync(latest, 'utf8')).epoch as number;
  expect(checkpointed).toBeGreaterThanOrEqual(2);
  expect(checkpointed).toBeLessThan(8);
  // The worker notices its parent is gone and stops, rather than writing on as an orphan.
  const gone = Date.now() + 10_000;
  while (alive(workerPid) && Date.now() < gone) await new Promise((r) => setTimeout(r, 50));
  expect(alive(workerPid)).toBe(false);
  const teacherMtime = fs.statSync(path.join(dataDir, 'jobs', job.id, 'teacher', 'weights.bin')).mtimeMs;

  // A dataset folder whose row was never written (a crash between the two) is swept on start.
  const orphan = path.join(dataDir, 'datasets', 'ds_0123456789ab');
  fs.mkdirSync(orphan);
  fs.writeFileSync(path.join(orphan, 'train-images-idx3-ubyte'), 'partial');

  const second = await startServer(dataDir);
  expect(fs.existsSync(orphan)).toBe(false);
  call = api(second.url);
  const done = await waitForJob(async () => (await call(`/api/jobs/${job.id}`)).json(), 90_000);
  expect(done).toMatchObject({ state: 'succeeded', attempts: 2 });
  const sse = await (await call(`/api/jobs/${job.id}/events`)).text();
  const events = [...sse.matchAll(/event: (\w+)\ndata: (.*)\n/g)].map((m) => ({ type: m[1], data: JSON.parse(m[2]) }));
  const starts = events.filter((e) => e.type === 'runStart' && e.data.run === 'baseline');
  expect(starts).toHaveLength(2);
  // No epoch lost beyond the one in progress: the second worker starts right after the last checkpoint.
  expect(starts[1].data.resumedFrom).toBeGreaterThanOrEqual(checkpointed);
  expect(events.find((e) => e.type === 'runStart' && e.data.run === 'teacher' && e.data.skipped)).toBeDefined();
  expect(fs.statSync(path.join(dataDir, 'jobs', job.id, 'teacher', 'weights.bin')).mtimeMs).toBe(teacherMtime);
  const history = JSON.parse(fs.readFileSync(path.join(dataDir, 'jobs', job.id, 'baseline', 'training.json'), 'utf8')).history;
  expect(history.map((h: { epoch: number }) => h.epoch)).toEqual(Array.from({ length: 8 }, (_, i) => i + 1));
  const report = await (await call(`/api/jobs/${job.id}/report.json`)).json();
  expect(report.runs.baseline.epochs).toBe(8);
  // The datasets and finished state survived too.
  expect((await (await call('/api/datasets')).json()).datasets.map((d: { id: string }) => d.id)).toEqual([ds.id]);
  second.child.kill('SIGTERM');
  await new Promise((r) => second.child.once('exit', r));
});

it('bad server flags: one line, exit 2', async () => {
  const { execFile } = await import('node:child_process');
  const run = (args: readonly string[]) =>
    new Promise<{ code: number | null; stderr: string }>((resolve) => {
      const c = execFile(process.execPath, [BIN, 'server', ...args], (_e, _out, stderr) => resolve({ code: c.exitCode, stderr }));
    });
  const cases = [
    [['--max-upload-mb=0'], 'distillery: error: --max-upload-mb: expected number > 0, got "0"'],
    [['--port', 'http'], 'distillery: error: --port: expected integer ≥ 0, got "http"'],
    [['--concurrency', '0'], 'distillery: error: --concurrency: expected integer ≥ 1, got "0"'],
    [['--token', 'short'], 'distillery: error: --token: expected at least 8 characters'],
    [['--prot', '80'], "distillery: error: distillery server: Unknown option '--prot'"],
  ] as const;
  const results = await Promise.all(cases.map(([args]) => run(args)));
  results.forEach((r, i) => {
    expect(r.stderr.trim()).toBe(cases[i][1]);
    expect(r.code).toBe(2);
  });
});
