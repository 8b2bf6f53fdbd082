/**
 * The Hinton MNIST experiment: a regularized teacher, a student trained on hard labels (the baseline),
 * and the same student trained on the teacher's soft targets at temperature T (the distilled student).
 *
 * Layout of the output folder:
 *   config.json                   the resolved config (a resumed run must match it)
 *   teacher/ baseline/ distilled/ saved models (model.json + weights.bin) with training.json beside
 *   checkpoints/<run>/            per-epoch checkpoints of the run in progress
 *   report.json, report.md        written last, only when every run is done
 */
import type * as tfl from '@tensorflow/tfjs-layers';
import fs from 'node:fs';
import path from 'node:path';
import { head, loadMnist, type ImageDataset } from '../data/mnist.js';
import { selectBackend } from '../engine/backend.js';
import { setSeed } from '../engine/seed.js';
import { DistilleryError } from '../errors.js';
import { readJson, writeJsonAtomic } from '../fsutil.js';
import { agreement, argmaxRows, classificationMetrics, predictLogits } from '../eval/metrics.js';
import { measureLatency } from '../eval/latency.js';
import { writeReport, type Report, type RunReport } from '../eval/report.js';
import { hinton } from '../losses/hinton.js';
import { loadModel, modelBytes, saveModel } from '../models/io.js';
import { buildMlp } from '../models/mlp.js';
import { asTeacher } from '../teachers/teacher.js';
import { distill, type BatchLog, type EpochLog } from '../distill/loop.js';
import { makeOptimizer } from '../distill/optimizer.js';
import type { HintonConfig } from '../config/schema.js';

export type RunName = 'teacher' | 'baseline' | 'distilled';
const RUNS: RunName[] = ['teacher', 'baseline', 'distilled'];

/** What the pipeline tells its caller while it works (the CLI draws progress bars from it). */
export interface PipelineEvents {
  log?(line: string): void;
  runStart?(run: RunName, info: { epochs: number; resumedFrom: number; skipped: boolean }): void;
  batch?(run: RunName, b: BatchLog): void;
  epoch?(run: RunName, e: EpochLog): void;
  runEnd?(run: RunName): void;
}

export interface PipelineOptions {
  out: string;
  resume?: boolean;
  events?: PipelineEvents;
}

interface TrainingRecord {
  epochs: number;
  trainSeconds: number;
  history: EpochLog[];
}

/** The config a resumed run must match: everything but the backend (resuming on another backend is fine). */
const identity = (c: HintonConfig): string => JSON.stringify({ ...c, backend: undefined });

/** Refuses to mix runs in one folder: an existing run continues only with --resume and the same config. */
function checkOut(out: string, config: HintonConfig, resume: boolean): void {
  const cfgFile = path.join(out, 'config.json');
  if (!fs.existsSync(cfgFile)) return;
  if (!resume) {
    throw new DistilleryError('USAGE', `${out}: already holds a run (config.json); pass --resume to continue it, or choose another --out`);
  }
  if (identity(readJson<HintonConfig>(cfgFile)) !== identity(config)) {
    throw new DistilleryError('USAGE', `${cfgFile}: the run in this folder used a different config; resume it with the same flags/config, or choose another --out`);
  }
}

async function trainRun(
  run: RunName,
  index: number,
  config: HintonConfig,
  data: ImageDataset,
  out: string,
  teacher: tfl.LayersModel | undefined,
  events: PipelineEvents,
): Promise<tfl.LayersModel> {
  const modelDir = path.join(out, run);
  const recordFile = path.join(modelDir, 'training.json');
  if (fs.existsSync(recordFile) && fs.existsSync(path.join(modelDir, 'model.json'))) {
    const rec = readJson<TrainingRecord>(recordFile);
    events.runStart?.(run, { epochs: rec.epochs, resumedFrom: rec.epochs, skipped: true });
    return loadModel(modelDir);
  }
  // Each run has its own seed, so a resumed later run does not depend on what earlier runs drew.
  const rng = setSeed(config.seed * 1000 + index);
  const spec = config[run];
  const model = buildMlp({
    inputSize: data.train.features,
    hidden: spec.hidden,
    classes: data.classes,
    ...(run === 'teacher' ? { dropout: config.teacher.dropout, inputDropout: config.teacher.inputDropout, maxNorm: config.teacher.maxNorm } : {}),
    name: run,
  });
  const loss =
    run === 'distilled'
      ? hinton({ temperature: config.distilled.temperature, alpha: config.distilled.alpha })
      : hinton({ temperature: 1, alpha: 0 });
  const ckDir = path.join(out, 'checkpoints', run);
  let announced = false;
  const result = await distill({
    student: model,
    teacher: run === 'distilled' ? teacher : undefined,
    data: data.train,
    loss,
    optimizer: makeOptimizer(spec.optimizer),
    epochs: spec.epochs,
    batchSize: spec.batchSize,
    jitter: run === 'teacher' ? config.teacher.jitter : 0,
    rng,
    checkpointDir: ckDir,
    callbacks: {
      onBatchEnd: (b) => {
        if (!announced) {
          events.runStart?.(run, { epochs: spec.epochs, resumedFrom: b.epoch - 1, skipped: false });
          announced = true;
        }
        events.batch?.(run, b);
      },
      onEpochEnd: (e) => events.epoch?.(run, e),
    },
  });
  await saveModel(model, modelDir);
  const record: TrainingRecord = {
    epochs: spec.epochs,
    trainSeconds: result.history.reduce((s, h) => s + h.seconds, 0),
    history: result.history,
  };
  writeJsonAtomic(recordFile, record);
  fs.rmSync(ckDir, { recursive: true, force: true });
  events.runEnd?.(run);
  return model;
}

/**
 * Trains teacher, baseline and distilled student, evaluates all three and writes the report.
 * Interrupted runs resume from their last epoch checkpoint with `resume: true`; finished runs are loaded, not retrained.
 */
export async function runHinton(config: HintonConfig, opts: PipelineOptions): Promise<Report> {
  const events = opts.events ?? {};
  const data = loadMnist({ dir: config.data });
  if (config.trainExamples) data.train = head(data.train, config.trainExamples);
  checkOut(opts.out, config, opts.resume ?? false);
  const backend = await selectBackend(config.backend);
  events.log?.(`backend: ${backend.name}${backend.note ? ` (${backend.note})` : ''}`);
  writeJsonAtomic(path.join(opts.out, 'config.json'), config);
  events.log?.(`data: ${data.source}, ${data.train.count} train / ${data.test.count} test examples`);

  const models: Partial<Record<RunName, tfl.LayersModel>> = {};
  for (const [i, run] of RUNS.entries()) {
    models[run] = await trainRun(run, i, config, data, opts.out, models.teacher, events);
  }

  events.log?.('evaluating on the test set');
  const tp = predictLogits(asTeacher(models.teacher!), data.test);
  const teacherPred = argmaxRows(tp.logits, tp.classes);
  const runs: Record<string, RunReport> = {};
  for (const run of RUNS) {
    const model = models[run]!;
    const t = asTeacher(model);
    const { logits, classes } = predictLogits(t, data.test);
    const m = classificationMetrics(logits, classes, data.test.labels);
    const lat = measureLatency(t, data.test.features);
    const rec = readJson<TrainingRecord>(path.join(opts.out, run, 'training.json'));
    runs[run] = {
      testErrors: m.testErrors,
      testAccuracy: m.testAccuracy,
      nll: m.nll,
      ece: m.ece,
      params: model.countParams(),
      bytes: modelBytes(path.join(opts.out, run)),
      msPerSample: lat.msPerSample,
      samplesPerSec: lat.samplesPerSec,
      ...(run === 'teacher' ? {} : { agreementWithTeacher: agreement(argmaxRows(logits, classes), teacherPred) }),
      epochs: rec.epochs,
      trainSeconds: rec.trainSeconds,
      hidden: config[run].hidden,
    };
  }
  for (const m of Object.values(models)) m?.dispose();

  const report: Report = {
    task: 'mnist',
    backend: backend.name,
    seed: config.seed,
    temperature: config.distilled.temperature,
    alpha: config.distilled.alpha,
    trainExamples: data.train.count,
    testExamples: data.test.count,
    runs,
    createdAt: new Date().toISOString(),
  };
  writeReport(opts.out, report);
  fs.rmSync(path.join(opts.out, 'checkpoints'), { recursive: true, force: true });
  return report;
}
