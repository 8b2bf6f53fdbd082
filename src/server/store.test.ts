import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect, it } from 'vitest';
import { openStore } from './store.js';

it('keeps jobs, their events and states across reopening', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'distillery-store-'));
  let store = openStore(dir);
  store.addDataset({ id: 'ds_000000000001', name: 'mini', kind: 'mnist', bytes: 10, info: { classes: 10 } });
  const job = store.addJob({ id: 'job_000000000001', name: 'j', form: 'hinton', config: { seed: 1 }, datasetId: 'ds_000000000001', teacherId: null });
  expect(job).toMatchObject({ state: 'queued', attempts: 0, startedAt: null, config: { seed: 1 } });
  expect(store.addEvent(job.id, 'state', { state: 'queued' })).toBe(1);
  expect(store.addEvent(job.id, 'epoch', { run: 'teacher', epoch: 1 })).toBe(2);
  store.updateJob(job.id, { state: 'running', attempts: 1, pid: 42 });
  expect(store.activeJobsUsing('ds_000000000001')).toEqual([job.id]);
  store.close();

  store = openStore(dir);
  expect(store.getJob(job.id)).toMatchObject({ state: 'running', attempts: 1, pid: 42 });
  expect(store.jobsIn('running').map((j) => j.id)).toEqual([job.id]);
  expect(store.events(job.id, 1)).toEqual([{ seq: 2, type: 'epoch', data: { run: 'teacher', epoch: 1 } }]);
  expect(store.getDataset('ds_000000000001')?.info).toEqual({ classes: 10 });
  store.deleteJob(job.id);
  expect(store.getJob(job.id)).toBeUndefined();
  expect(store.events(job.id)).toEqual([]);
  store.close();
});
