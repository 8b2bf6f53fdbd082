/**
 * Job requests: the same config schemas as `distillery run` (experiment or Hinton form), pointed at an
 * uploaded dataset, optionally with an uploaded TF.js teacher in place of training one.
 */
import { z } from 'zod';
import { ExperimentConfigSchema, HintonConfigSchema } from '../index.js';
import { badRequest, validate } from './http.js';
import type { JobRow, Store } from './store.js';

/** `POST /api/jobs` body. */
export const JobBodySchema = z.strictObject({
  name: z.string().min(1).max(100).optional(),
  /** Id of an uploaded MNIST dataset. */
  dataset: z.string().min(1),
  /** Id of an uploaded TF.js teacher, used instead of training the config's (single) teacher. */
  teacher: z.string().min(1).optional(),
  /** An experiment config (teachers/students lists) or the Hinton form (teacher/baseline/distilled), without `data`. */
  config: z.record(z.string(), z.unknown()),
});
export type JobBody = z.infer<typeof JobBodySchema>;

const isExperiment = (c: Record<string, unknown>): boolean => 'teachers' in c || 'students' in c;

/**
 * Checks a job request against the store and the config schemas; returns what to insert. Every problem is a
 * 400 naming its field (`config.distilled.temperature: expected number > 0, got -1`).
 */
export function prepareJob(store: Store, input: unknown): Pick<JobRow, 'name' | 'form' | 'config' | 'datasetId' | 'teacherId'> {
  const body = validate(JobBodySchema, input, 'body');
  const dataset = store.getDataset(body.dataset);
  if (!dataset) throw badRequest(`body.dataset: expected the id of an uploaded dataset, got ${JSON.stringify(body.dataset)}`);
  if (dataset.kind !== 'mnist') throw badRequest(`body.dataset: expected an MNIST dataset (jobs train on idx images), got a ${dataset.kind} dataset`);
  const config: Record<string, unknown> = structuredClone(body.config);
  if ('data' in config) throw badRequest('config.data: set by the server from body.dataset; remove it', 'CONFIG');
  const form = isExperiment(config) ? 'experiment' : 'hinton';

  if (body.teacher !== undefined) {
    const t = store.getTeacher(body.teacher);
    if (!t) throw badRequest(`body.teacher: expected the id of an uploaded teacher, got ${JSON.stringify(body.teacher)}`);
    if (t.kind !== 'tfjs') throw badRequest(`body.teacher: expected a TF.js teacher (${t.kind} teachers are stored for other pipelines)`);
    if (t.info.features !== dataset.info.features || t.info.classes !== dataset.info.classes) {
      throw badRequest(
        `body.teacher: expected a model of ${dataset.info.features} inputs and ${dataset.info.classes} classes for this dataset, got ${t.info.features} and ${t.info.classes}`,
      );
    }
    // The uploaded model replaces training: its spec is only a record, filled in when left out.
    const spec = { hidden: (t.info.hidden as number[]).length ? t.info.hidden : [1], epochs: 1 };
    if (form === 'hinton') config.teacher ??= spec;
    else {
      config.teachers ??= [{ name: 'teacher', ...spec }];
      if (!Array.isArray(config.teachers) || config.teachers.length !== 1) {
        throw badRequest('config.teachers: expected exactly one teacher when body.teacher is given', 'CONFIG');
      }
    }
  }
  const parsed = form === 'experiment' ? validate(ExperimentConfigSchema, config, 'config') : validate(HintonConfigSchema, config, 'config');
  const trainCount = (dataset.info.train as { count: number }).count;
  if (typeof config.trainExamples === 'number' && config.trainExamples > trainCount) {
    throw badRequest(`config.trainExamples: expected ≤ ${trainCount} (the dataset's training examples), got ${config.trainExamples}`, 'CONFIG');
  }
  return { name: body.name ?? `${form} on ${dataset.name}`, form, config: parsed as Record<string, unknown>, datasetId: dataset.id, teacherId: body.teacher ?? null };
}
