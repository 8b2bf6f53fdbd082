/** `/api/jobs`: create, list, get, cancel, delete; live events (SSE); reports, student downloads, soft targets. */
import { zipSync } from 'fflate';
import { Hono } from 'hono';
import { streamSSE } from 'hono/streaming';
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { isId, newId } from '../files.js';
import { HttpError, jsonBody, notFound, validate } from '../http.js';
import { prepareJob } from '../jobs.js';
import { jobDir, type LiveEvent } from '../runner.js';
import { softTargets } from '../soft-targets.js';
import { FINISHED, type JobRow } from '../store.js';
import { limit, type ServerDeps } from './context.js';

const SoftTargetsQuery = z.strictObject({
  run: z.string().regex(/^[a-zA-Z][\w-]*$/, 'a run name').optional(),
  example: z.coerce.number().int().min(0).default(0),
});

/** Run names of a job's config, teachers first (the ones with saved models once trained). */
function runNames(job: JobRow): string[] {
  const c = job.config as { teachers?: { name: string }[]; students?: { name: string }[] };
  if (job.form === 'hinton') return ['teacher', 'baseline', 'distilled'];
  return [...(c.teachers ?? []), ...(c.students ?? [])].map((r) => r.name);
}

/**
 * Job routes, mounted at `/api/jobs`.
 *
 * @example app.route('/api/jobs', jobRoutes(deps))
 */
export function jobRoutes({ store, runner, dataDir }: ServerDeps): Hono {
  const app = new Hono();
  const find = (id: string): JobRow => {
    const j = isId(id, 'job') ? store.getJob(id) : undefined;
    if (!j) throw notFound('job', id);
    return j;
  };
  const resultFile = (job: JobRow, file: string): string => {
    const f = path.join(jobDir(dataDir, job.id), file);
    if (!fs.existsSync(f)) throw new HttpError(404, 'NOT_FOUND', `job "${job.id}" has no ${file} yet (state ${job.state})`);
    return f;
  };
  const withRuns = (job: JobRow) => ({ ...job, runs: runNames(job), hasReport: fs.existsSync(path.join(jobDir(dataDir, job.id), 'report.json')) });

  app.get('/', (c) => c.json({ jobs: store.listJobs().map(withRuns) }));

  app.post('/', limit(1024 * 1024), async (c) => {
    const job = store.addJob({ id: newId('job'), ...prepareJob(store, await jsonBody(c)) });
    store.addEvent(job.id, 'state', { state: 'queued' });
    runner.enqueue();
    return c.json(withRuns(store.getJob(job.id)!), 201);
  });

  app.get('/:id', (c) => c.json(withRuns(find(c.req.param('id')))));

  app.post('/:id/cancel', (c) => {
    const job = find(c.req.param('id'));
    if (!runner.cancel(job)) throw new HttpError(409, 'CONFLICT', `job "${job.id}" is already ${job.state}`);
    return c.json(withRuns(store.getJob(job.id)!), 202);
  });

  app.delete('/:id', (c) => {
    const job = find(c.req.param('id'));
    if (!FINISHED.includes(job.state)) throw new HttpError(409, 'CONFLICT', `job "${job.id}" is ${job.state}; cancel it first`);
    store.deleteJob(job.id);
    fs.rmSync(jobDir(dataDir, job.id), { recursive: true, force: true });
    return c.json({ deleted: job.id });
  });

  // Stored events first (from Last-Event-ID on), then live ones; the stream ends when the job has finished.
  app.get('/:id/events', (c) => {
    const job = find(c.req.param('id'));
    const after = Number(c.req.header('last-event-id') ?? c.req.query('after') ?? 0) || 0;
    return streamSSE(c, async (stream) => {
      const pending: LiveEvent[] = [];
      let wake: (() => void) | undefined;
      const listener = (e: LiveEvent) => {
        pending.push(e);
        wake?.();
      };
      runner.bus.on(job.id, listener);
      stream.onAbort(() => wake?.());
      try {
        let last = after;
        const write = async (e: LiveEvent) => {
          if (e.seq !== undefined) {
            if (e.seq <= last) return;
            last = e.seq;
          }
          await stream.writeSSE({ event: e.type, data: JSON.stringify(e.data), ...(e.seq !== undefined ? { id: String(e.seq) } : {}) });
        };
        for (const e of store.events(job.id, after)) await write(e);
        let state = store.getJob(job.id)?.state;
        while (!stream.aborted && state && !FINISHED.includes(state)) {
          if (!pending.length) {
            let timer: NodeJS.Timeout | undefined;
            await new Promise<void>((r) => {
              wake = r;
              timer = setTimeout(r, 15_000); // a comment line now and then keeps proxies from closing the stream
            });
            clearTimeout(timer);
            wake = undefined;
            if (!pending.length && !stream.aborted) await stream.write(': keep-alive\n\n');
          }
          for (const e of pending.splice(0)) {
            await write(e);
            if (e.type === 'state') state = e.data.state as JobRow['state'];
          }
        }
        await stream.writeSSE({ event: 'end', data: JSON.stringify({ state: store.getJob(job.id)?.state ?? 'deleted' }) });
      } finally {
        runner.bus.off(job.id, listener);
      }
    });
  });

  app.get('/:id/report.json', (c) => {
    const f = resultFile(find(c.req.param('id')), 'report.json');
    return c.body(fs.readFileSync(f), 200, { 'Content-Type': 'application/json' });
  });

  app.get('/:id/report.md', (c) => {
    const f = resultFile(find(c.req.param('id')), 'report.md');
    return c.body(fs.readFileSync(f), 200, { 'Content-Type': 'text/markdown; charset=utf-8' });
  });

  // A saved model as a zip of model.json + weights.bin (TF.js format); runs come from the config, never the URL.
  app.get('/:id/models/:run', (c) => {
    const job = find(c.req.param('id'));
    const run = c.req.param('run').replace(/\.zip$/, '');
    if (!runNames(job).includes(run)) throw notFound(`run in job ${job.id}`, run);
    const dir = path.join(jobDir(dataDir, job.id), run);
    resultFile(job, path.join(run, 'training.json'));
    const files = Object.fromEntries(fs.readdirSync(dir).filter((f) => f === 'model.json' || f.endsWith('.bin')).map((f) => [`${run}/${f}`, fs.readFileSync(path.join(dir, f))]));
    return c.body(zipSync(files), 200, { 'Content-Type': 'application/zip', 'Content-Disposition': `attachment; filename="${job.id}-${run}.zip"` });
  });

  app.get('/:id/soft-targets', async (c) => {
    const job = find(c.req.param('id'));
    const q = validate(SoftTargetsQuery, c.req.query(), 'query');
    const run = q.run ?? runNames(job)[0];
    if (!runNames(job).includes(run)) throw notFound(`run in job ${job.id}`, run);
    return c.json(await softTargets(path.join(jobDir(dataDir, job.id), run), path.join(dataDir, 'datasets', job.datasetId), run, q.example));
  });
  return app;
}
