/**
 * The service's state in SQLite (better-sqlite3, WAL): datasets, teachers, jobs and each job's event log.
 * Files live beside it in the data dir; a row is written only after its files are complete, so a crash never
 * leaves a row pointing at half a dataset.
 */
import Database from 'better-sqlite3';
import path from 'node:path';

export type JobState = 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';
export const FINISHED: readonly JobState[] = ['succeeded', 'failed', 'cancelled'];

export interface DatasetRow {
  id: string;
  name: string;
  kind: 'mnist' | 'table' | 'jsonl' | 'text';
  bytes: number;
  createdAt: string;
  info: Record<string, unknown>;
}

export interface TeacherRow {
  id: string;
  name: string;
  kind: 'tfjs' | 'onnx' | 'endpoint';
  createdAt: string;
  info: Record<string, unknown>;
}

export interface JobRow {
  id: string;
  name: string;
  state: JobState;
  form: 'experiment' | 'hinton';
  /** The validated config as submitted (without `data`, which the runner sets). */
  config: Record<string, unknown>;
  datasetId: string;
  teacherId: string | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  error: string | null;
  /** How many times a worker was started (more than one after a restart resumed it). */
  attempts: number;
  pid: number | null;
}

export interface JobEvent {
  seq: number;
  type: string;
  data: Record<string, unknown>;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS datasets (id TEXT PRIMARY KEY, name TEXT NOT NULL, kind TEXT NOT NULL, bytes INTEGER NOT NULL, created_at TEXT NOT NULL, info TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS teachers (id TEXT PRIMARY KEY, name TEXT NOT NULL, kind TEXT NOT NULL, created_at TEXT NOT NULL, info TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS jobs (
  id TEXT PRIMARY KEY, name TEXT NOT NULL, state TEXT NOT NULL, form TEXT NOT NULL, config TEXT NOT NULL,
  dataset_id TEXT NOT NULL, teacher_id TEXT, created_at TEXT NOT NULL, started_at TEXT, finished_at TEXT,
  error TEXT, attempts INTEGER NOT NULL DEFAULT 0, pid INTEGER);
CREATE TABLE IF NOT EXISTS events (job_id TEXT NOT NULL, seq INTEGER NOT NULL, type TEXT NOT NULL, data TEXT NOT NULL, PRIMARY KEY (job_id, seq));
`;

type Raw = Record<string, unknown>;
const now = (): string => new Date().toISOString();

const toDataset = (r: Raw): DatasetRow => ({
  id: r.id as string,
  name: r.name as string,
  kind: r.kind as DatasetRow['kind'],
  bytes: r.bytes as number,
  createdAt: r.created_at as string,
  info: JSON.parse(r.info as string),
});

const toTeacher = (r: Raw): TeacherRow => ({
  id: r.id as string,
  name: r.name as string,
  kind: r.kind as TeacherRow['kind'],
  createdAt: r.created_at as string,
  info: JSON.parse(r.info as string),
});

const toJob = (r: Raw): JobRow => ({
  id: r.id as string,
  name: r.name as string,
  state: r.state as JobState,
  form: r.form as JobRow['form'],
  config: JSON.parse(r.config as string),
  datasetId: r.dataset_id as string,
  teacherId: (r.teacher_id as string | null) ?? null,
  createdAt: r.created_at as string,
  startedAt: (r.started_at as string | null) ?? null,
  finishedAt: (r.finished_at as string | null) ?? null,
  error: (r.error as string | null) ?? null,
  attempts: r.attempts as number,
  pid: (r.pid as number | null) ?? null,
});

/**
 * Opens (or creates) `DIR/distillery.db`.
 *
 * @example const store = openStore('/var/lib/distillery'); store.listJobs()
 */
export function openStore(dataDir: string) {
  const db = new Database(path.join(dataDir, 'distillery.db'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('busy_timeout = 5000');
  db.exec(SCHEMA);
  const q = {
    addDataset: db.prepare('INSERT INTO datasets (id, name, kind, bytes, created_at, info) VALUES (@id, @name, @kind, @bytes, @createdAt, @info)'),
    getDataset: db.prepare('SELECT * FROM datasets WHERE id = ?'),
    listDatasets: db.prepare('SELECT * FROM datasets ORDER BY created_at DESC, id'),
    deleteDataset: db.prepare('DELETE FROM datasets WHERE id = ?'),
    addTeacher: db.prepare('INSERT INTO teachers (id, name, kind, created_at, info) VALUES (@id, @name, @kind, @createdAt, @info)'),
    getTeacher: db.prepare('SELECT * FROM teachers WHERE id = ?'),
    listTeachers: db.prepare('SELECT * FROM teachers ORDER BY created_at DESC, id'),
    deleteTeacher: db.prepare('DELETE FROM teachers WHERE id = ?'),
    addJob: db.prepare(
      `INSERT INTO jobs (id, name, state, form, config, dataset_id, teacher_id, created_at) VALUES (@id, @name, 'queued', @form, @config, @datasetId, @teacherId, @createdAt)`,
    ),
    getJob: db.prepare('SELECT * FROM jobs WHERE id = ?'),
    listJobs: db.prepare('SELECT * FROM jobs ORDER BY created_at DESC, id'),
    jobsIn: db.prepare('SELECT * FROM jobs WHERE state = ? ORDER BY created_at, id'),
    jobsUsing: db.prepare('SELECT id FROM jobs WHERE (dataset_id = @id OR teacher_id = @id) AND state IN (\'queued\', \'running\')'),
    deleteJob: db.prepare('DELETE FROM jobs WHERE id = ?'),
    deleteEvents: db.prepare('DELETE FROM events WHERE job_id = ?'),
    addEvent: db.prepare('INSERT INTO events (job_id, seq, type, data) VALUES (?, ?, ?, ?)'),
    lastSeq: db.prepare('SELECT COALESCE(MAX(seq), 0) AS seq FROM events WHERE job_id = ?'),
    events: db.prepare('SELECT seq, type, data FROM events WHERE job_id = ? AND seq > ? ORDER BY seq'),
  };

  return {
    db,
    addDataset(d: Omit<DatasetRow, 'createdAt'>): DatasetRow {
      const row = { ...d, createdAt: now() };
      q.addDataset.run({ ...row, info: JSON.stringify(row.info) });
      return row;
    },
    getDataset: (id: string): DatasetRow | undefined => {
      const r = q.getDataset.get(id) as Raw | undefined;
      return r && toDataset(r);
    },
    listDatasets: (): DatasetRow[] => (q.listDatasets.all() as Raw[]).map(toDataset),
    deleteDataset: (id: string): void => void q.deleteDataset.run(id),

    addTeacher(t: Omit<TeacherRow, 'createdAt'>): TeacherRow {
      const row = { ...t, createdAt: now() };
      q.addTeacher.run({ ...row, info: JSON.stringify(row.info) });
      return row;
    },
    getTeacher: (id: string): TeacherRow | undefined => {
      const r = q.getTeacher.get(id) as Raw | undefined;
      return r && toTeacher(r);
    },
    listTeachers: (): TeacherRow[] => (q.listTeachers.all() as Raw[]).map(toTeacher),
    deleteTeacher: (id: string): void => void q.deleteTeacher.run(id),
    /** Ids of unfinished jobs that use this dataset or teacher (which then cannot be deleted). */
    activeJobsUsing: (id: string): string[] => (q.jobsUsing.all({ id }) as { id: string }[]).map((r) => r.id),

    addJob(j: Pick<JobRow, 'id' | 'name' | 'form' | 'config' | 'datasetId' | 'teacherId'>): JobRow {
      q.addJob.run({ ...j, config: JSON.stringify(j.config), createdAt: now() });
      return toJob(q.getJob.get(j.id) as Raw);
    },
    getJob: (id: string): JobRow | undefined => {
      const r = q.getJob.get(id) as Raw | undefined;
      return r && toJob(r);
    },
    listJobs: (): JobRow[] => (q.listJobs.all() as Raw[]).map(toJob),
    jobsIn: (state: JobState): JobRow[] => (q.jobsIn.all(state) as Raw[]).map(toJob),
    /** Updates the named columns of a job (camelCase keys as in JobRow). */
    updateJob(id: string, fields: Partial<Pick<JobRow, 'state' | 'startedAt' | 'finishedAt' | 'error' | 'attempts' | 'pid'>>): void {
      const cols: Record<string, string> = { state: 'state', startedAt: 'started_at', finishedAt: 'finished_at', error: 'error', attempts: 'attempts', pid: 'pid' };
      const keys = Object.keys(fields);
      if (!keys.length) return;
      db.prepare(`UPDATE jobs SET ${keys.map((k) => `${cols[k]} = @${k}`).join(', ')} WHERE id = @id`).run({ ...fields, id });
    },
    deleteJob: db.transaction((id: string) => {
      q.deleteEvents.run(id);
      q.deleteJob.run(id);
    }),

    /** Appends an event to a job's log; returns its sequence number (1, 2, ...). */
    addEvent(jobId: string, type: string, data: Record<string, unknown>): number {
      const seq = ((q.lastSeq.get(jobId) as { seq: number }).seq ?? 0) + 1;
      q.addEvent.run(jobId, seq, type, JSON.stringify(data));
      return seq;
    },
    events: (jobId: string, after = 0): JobEvent[] =>
      (q.events.all(jobId, after) as Raw[]).map((r) => ({ seq: r.seq as number, type: r.type as string, data: JSON.parse(r.data as string) })),
    close: (): void => {
      db.close();
    },
  };
}

export type Store = ReturnType<typeof openStore>;
