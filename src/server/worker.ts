/**
 * One job in its own process (forked by runner.ts): receives the job spec as its first message, runs the
 * experiment with resume on (so a restarted job continues from its last epoch checkpoint), and forwards the
 * pipeline's events to the parent. It exits when the parent goes away, so a killed server leaves no
 * orphan writing into the job folder.
 */
import fs from 'node:fs';
import path from 'node:path';
import { hintonExperiment, HintonConfigSchema, ExperimentConfigSchema, runExperiment, writeJsonAtomic, type PipelineEvents } from '../index.js';

/** What the runner sends to start a job. */
export interface WorkerSpec {
  form: 'experiment' | 'hinton';
  config: Record<string, unknown>;
  /** The dataset folder (MNIST idx files). */
  data: string;
  /** The job folder: runs, checkpoints, reports. */
  out: string;
  /** An uploaded TF.js teacher folder used instead of training the (single) teacher. */
  teacherDir?: string;
}

/** What the worker sends back. */
export type WorkerMessage =
  | { type: 'log'; line: string }
  | { type: 'runStart'; run: string; epochs: number; resumedFrom: number; skipped: boolean }
  | { type: 'batch'; run: string; epoch: number; batch: number; batches: number; loss: number }
  | { type: 'epoch'; run: string; epoch: number; loss: number; [metric: string]: unknown }
  | { type: 'runEnd'; run: string }
  | { type: 'done' }
  | { type: 'error'; message: string };

const send = (m: WorkerMessage): void => {
  if (process.connected) process.send!(m);
};

/** Puts the uploaded teacher where runExperiment looks for an already trained run, so it is loaded, not trained. */
function seedTeacher(out: string, name: string, epochs: number, teacherDir: string): void {
  const dir = path.join(out, name);
  if (fs.existsSync(path.join(dir, 'training.json'))) return;
  fs.mkdirSync(dir, { recursive: true });
  for (const f of fs.readdirSync(teacherDir)) if (f !== 'model.json') fs.copyFileSync(path.join(teacherDir, f), path.join(dir, f));
  fs.copyFileSync(path.join(teacherDir, 'model.json'), path.join(dir, 'model.json'));
  writeJsonAtomic(path.join(dir, 'training.json'), { epochs, trainSeconds: 0, trainExamples: 0, history: [] });
}

async function run(spec: WorkerSpec): Promise<void> {
  const input = { ...spec.config, data: spec.data };
  const hinton = spec.form === 'hinton' ? HintonConfigSchema.parse(input) : undefined;
  const config = hinton ? hintonExperiment(hinton) : ExperimentConfigSchema.parse(input);
  // The same report fields runHinton adds.
  const reportFields = hinton ? { temperature: hinton.distilled.temperature, alpha: hinton.distilled.alpha } : undefined;
  if (spec.teacherDir) seedTeacher(spec.out, config.teachers[0].name, config.teachers[0].epochs, spec.teacherDir);
  let lastBatch = 0;
  const parent = process.ppid;
  const events: PipelineEvents = {
    log: (line) => send({ type: 'log', line }),
    runStart: (run, info) => send({ type: 'runStart', run, ...info }),
    // At most ~10 batch events a second: enough for a live curve, little for the parent to handle.
    batch: (run, b) => {
      // Training on the cpu backend can run for long stretches without yielding to the event loop, where
      // 'disconnect' would be noticed; a new parent pid means the server died and this process was re-parented.
      if (process.ppid !== parent) process.exit(70);
      const t = performance.now();
      if (t - lastBatch < 100 && b.batch !== b.batches) return;
      lastBatch = t;
      send({ type: 'batch', run, ...b });
    },
    // Returning a promise makes the loop await it: one turn of the event loop per epoch flushes messages.
    epoch: (run, e) => {
      send({ type: 'epoch', run, ...e });
      return new Promise<void>((r) => setImmediate(r));
    },
    runEnd: (run) => send({ type: 'runEnd', run }),
  };
  await runExperiment(config, { out: spec.out, resume: true, events, reportFields, epochEval: 1000 });
}

const exitAfter = (m: WorkerMessage, code: number): void => {
  process.removeAllListeners('disconnect');
  if (!process.connected) process.exit(code);
  process.send!(m, () => process.exit(code));
};

process.on('disconnect', () => process.exit(70));
process.once('message', (spec: WorkerSpec) => {
  run(spec).then(
    () => exitAfter({ type: 'done' }, 0),
    (e: Error) => exitAfter({ type: 'error', message: e?.message ?? String(e) }, 1),
  );
});
