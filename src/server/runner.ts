/**
 * The job runner: a queue with a concurrency limit, each job in a forked worker process, and the state
 * machine queued → running → succeeded | failed | cancelled kept in SQLite. On start it takes back jobs a
 * crashed server left "running" and resumes them from their last epoch checkpoint.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { JobRow, Store } from './store.js';
import type { WorkerMessage, WorkerSpec } from './worker.js';

/** An event as the SSE stream sends it: persisted ones carry `seq`, live batch events do not. */
export interface LiveEvent {
  seq?: number;
  type: string;
  data: Record<string, unknown>;
}

export interface RunnerOptions {
  store: Store;
  dataDir: string;
  concurrency: number;
  /** How much lower than the server's the workers' CPU priority is (nice increment, default 10; 0 = the same). */
  workerNice?: number;
}

const require = createRequire(import.meta.url);
const TSX = pathToFileURL(path.join(path.dirname(require.resolve('tsx/package.json')), 'dist', 'loader.mjs')).href;
const WORKER = fileURLToPath(new URL('./worker.ts', import.meta.url));

export const jobDir = (dataDir: string, id: string): string => path.join(dataDir, 'jobs', id);

/** Whether `pid` is a live worker of ours (checked by its command line, so a reused pid is left alone). */
function isOurWorker(pid: number): boolean {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(WORKER);
  } catch {
    return false;
  }
}

/**
 * Creates the runner. `bus` emits `LiveEvent`s under the job id for the SSE route.
 *
 * @example const runner = createRunner({ store, dataDir, concurrency: 2 }); runner.start(); runner.enqueue(job.id)
 */
export function createRunner(opts: RunnerOptions) {
  const { store, dataDir } = opts;
  const bus = new EventEmitter();
  bus.setMaxListeners(0);
  const children = new Map<string, ChildProcess>();
  const cancelling = new Set<string>();
  let stopped = false;

  const emit = (jobId: string, type: string, data: Record<string, unknown>, persist = true): void => {
    const seq = persist ? store.addEvent(jobId, type, data) : undefined;
    bus.emit(jobId, { seq, type, data } satisfies LiveEvent);
  };

  const setState = (job: JobRow, state: JobRow['state'], extra: Partial<JobRow> = {}): void => {
    store.updateJob(job.id, { state, ...extra });
    emit(job.id, 'state', { state, ...(extra.error ? { error: extra.error } : {}) });
  };

  function finish(job: JobRow, result: { done: boolean; error?: string; code: number | null; signal: string | null }): void {
    children.delete(job.id);
    if (stopped) return; // shutting down: the job stays "running" and resumes on the next start
    const finishedAt = new Date().toISOString();
    if (cancelling.delete(job.id)) setState(job, 'cancelled', { finishedAt, pid: null });
    else if (result.done && result.code === 0) setState(job, 'succeeded', { finishedAt, pid: null });
    else {
      const why = result.error ?? `worker exited with ${result.signal ? `signal ${result.signal}` : `code ${result.code}`}`;
      setState(job, 'failed', { finishedAt, pid: null, error: why.split(dataDir + path.sep).join('') });
    }
    pump();
  }

  function launch(job: JobRow): void {
    const out = jobDir(dataDir, job.id);
    fs.mkdirSync(out, { recursive: true });
    const spec: WorkerSpec = {
      form: job.form,
      config: job.config,
      data: path.join(dataDir, 'datasets', job.datasetId),
      out,
      ...(job.teacherId ? { teacherDir: path.join(dataDir, 'teachers', job.teacherId) } : {}),
    };
    // Concurrent jobs share the cores rather than each starting a thread per core.
    const threads = process.env.DISTILLERY_THREADS ?? String(Math.max(1, Math.floor(os.availableParallelism() / opts.concurrency)));
    const child = fork(WORKER, [], {
      execArgv: ['--import', TSX],
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      serialization: 'json',
      env: { ...process.env, DISTILLERY_THREADS: threads },
    });
    children.set(job.id, child);
    try {
      // Training runs at a lower priority, so the API answers promptly while jobs use the rest of the CPU.
      const nice = opts.workerNice ?? 10;
      if (child.pid && nice) os.setPriority(child.pid, Math.min(19, os.getPriority() + nice));
    } catch {
      /* not permitted here: run at the same priority */
    }
    const attempts = job.attempts + 1;
    store.updateJob(job.id, { pid: child.pid ?? null, attempts, startedAt: job.startedAt ?? new Date().toISOString() });
    setState(job, 'running');
    if (attempts > 1) emit(job.id, 'log', { line: `attempt ${attempts}: resuming from the last checkpoint` });
    let done = false;
    let error: string | undefined;
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-2000)));
    child.on('message', (m: WorkerMessage) => {
      if (m.type === 'done') done = true;
      else if (m.type === 'error') error = m.message;
      else if (m.type === 'batch') emit(job.id, 'batch', { ...m, type: undefined }, false);
      else emit(job.id, m.type, { ...m, type: undefined });
    });
    child.on('error', (e) => (error ??= e.message));
    child.on('exit', (code, signal) => {
      if (!done && !error && stderr.trim()) error = stderr.trim().split('\n').pop();
      finish(job, { done, error, code, signal });
    });
    child.send(spec);
  }

  function pump(): void {
    if (stopped) return;
    for (const job of store.jobsIn('queued')) {
      if (children.size >= opts.concurrency) return;
      if (!children.has(job.id)) launch(job);
    }
  }

  return {
    bus,
    /** Takes back jobs left running by a previous server (killing any stale worker) and starts the queue. */
    start(): void {
      for (const job of store.jobsIn('running')) {
        if (children.has(job.id)) continue;
        if (job.pid && isOurWorker(job.pid)) {
          try {
            process.kill(job.pid, 'SIGKILL');
          } catch {
            /* already gone */
          }
        }
        store.updateJob(job.id, { state: 'queued', pid: null });
        emit(job.id, 'state', { state: 'queued', note: 'server restarted; the job resumes from its last checkpoint' });
      }
      pump();
    },
    /** Call after adding a queued job. */
    enqueue: (): void => pump(),
    /** Cancels a queued or running job; returns false when it had already finished. */
    cancel(job: JobRow): boolean {
      if (job.state === 'queued') {
        setState(job, 'cancelled', { finishedAt: new Date().toISOString() });
        return true;
      }
      const child = children.get(job.id);
      if (job.state !== 'running' || !child) return false;
      cancelling.add(job.id);
      child.kill('SIGKILL');
      return true;
    },
    isRunning: (id: string): boolean => children.has(id),
    /** Stops the workers (jobs stay "running" in the store and resume on the next start). */
    async stop(): Promise<void> {
      stopped = true;
      const exits = [...children.values()].map((c) => new Promise((r) => (c.exitCode !== null ? r(null) : c.once('exit', r))));
      for (const c of children.values()) c.kill('SIGKILL');
      await Promise.all(exits);
    },
  };
}

export type Runner = ReturnType<typeof createRunner>;
