/**
 * The Hinton MNIST experiment: a regularized teacher, a student trained on hard labels (the baseline),
 * and the same student trained on the teacher's soft targets at temperature T (the distilled student).
 * It is an experiment (see experiment.ts) with one teacher and two students.
 */
import type { ExperimentConfig } from '../config/experiment.js';
import type { HintonConfig } from '../config/schema.js';
import type { Report } from '../eval/report.js';
import { runExperiment, type PipelineOptions } from './experiment.js';

export type { PipelineEvents, PipelineOptions } from './experiment.js';
export type RunName = 'teacher' | 'baseline' | 'distilled';

/** The Hinton config as a general experiment: runs named teacher, baseline and distilled. */
export function hintonExperiment(c: HintonConfig): ExperimentConfig {
  const common = { dropout: 0, inputDropout: 0, maxNorm: 0, jitter: 0 };
  return {
    task: c.task,
    ...(c.data !== undefined ? { data: c.data } : {}),
    backend: c.backend,
    seed: c.seed,
    ...(c.trainExamples !== undefined ? { trainExamples: c.trainExamples } : {}),
    teachers: [{ name: 'teacher', ...c.teacher }],
    students: [
      { name: 'baseline', ...common, ...c.baseline, loss: [{ name: 'ce', weight: 1 }] },
      {
        name: 'distilled',
        ...common,
        hidden: c.distilled.hidden,
        epochs: c.distilled.epochs,
        batchSize: c.distilled.batchSize,
        optimizer: c.distilled.optimizer,
        loss: [{ name: 'hinton', weight: 1, temperature: c.distilled.temperature, alpha: c.distilled.alpha }],
      },
    ],
  };
}

/**
 * Trains teacher, baseline and distilled student, evaluates all three and writes the report.
 * Interrupted runs resume from their last epoch checkpoint with `resume: true`; finished runs are loaded, not retrained.
 */
export function runHinton(config: HintonConfig, opts: PipelineOptions): Promise<Report> {
  return runExperiment(hintonExperiment(config), {
    ...opts,
    reportFields: { temperature: config.distilled.temperature, alpha: config.distilled.alpha },
  });
}
