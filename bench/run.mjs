#!/usr/bin/env node
// `npm run bench`: our native KD step against PyTorch (best of 1 and 2 threads), side by side,
// and the large-step GFLOP/s against the measured OpenBLAS sgemm peak.
// Env: PYTHON (default /usr/bin/python3, else python3), BENCH_STEPS (default 50).
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const steps = process.env.BENCH_STEPS ?? '50';
const python = process.env.PYTHON ?? (existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3');

const json = (cmd, args) => {
  const out = execFileSync(cmd, args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  return JSON.parse(out.trim().split('\n').pop());
};
const ours = (...args) => json(process.execPath, [path.join(root, 'bin/distillery.mjs'), 'bench', ...args, '--json']);
const peer = (...args) => json(python, [path.join(root, 'bench/peers/torch_kd_step.py'), ...args]);

const kd = ours('kd-step', '--backend', 'native', '--batch', '128', '--hidden', '800', '--steps', steps);
let torch;
try {
  const runs = ['1', '2'].map((t) => peer('--threads', t, '--batch', '128', '--hidden', '800', '--steps', steps));
  torch = runs.reduce((a, b) => (b.samples_per_s > a.samples_per_s ? b : a));
} catch (e) {
  console.warn(`PyTorch peer failed (${e.message.split('\n')[0]}); set PYTHON to a python with torch`);
}
const sgemm = ours('sgemm', '--n', '2048');
const big = ours('kd-step', '--backend', 'native', '--batch', '1024', '--hidden', '2048', '--steps', '10');

const f = (v, d = 0) => v.toFixed(d).padStart(9);
console.log('KD step, MLP 784-800-800-10, batch 128, Adam 1e-3, 0.1·CE + 0.9·T²·KL (T=4)');
console.log(`  distillery native  ${f(kd.samples_per_s)} samples/s  ${f(kd.ms_per_step, 2)} ms/step`);
if (torch) {
  console.log(`  pytorch ${torch.version} (${torch.threads} thr) ${f(torch.samples_per_s)} samples/s  ${f(torch.ms_per_step, 2)} ms/step`);
  console.log(`  ratio              ${f(kd.samples_per_s / torch.samples_per_s, 2)}x   (target ≥ 2.00x)`);
}
console.log(`sgemm 2048³ peak     ${f(sgemm.gflops, 1)} GFLOP/s  (pool ${sgemm.gflops_pool.toFixed(1)}, OpenBLAS threads ${sgemm.gflops_openblas_threads.toFixed(1)})`);
console.log(`KD step batch 1024, hidden 2048: ${big.gflops.toFixed(1)} GFLOP/s = ${((100 * big.gflops) / sgemm.gflops).toFixed(0)}% of peak (target ≥ 60%)`);
console.log(JSON.stringify({ ours: kd, peer: torch ?? null, ratio: torch ? kd.samples_per_s / torch.samples_per_s : null, sgemm, big, pct_of_peak: big.gflops / sgemm.gflops }));
