/**
 * A distillation experiment: train one or more teachers (combined into an ensemble when there are several),
 * then train each student on its loss (hard labels, soft targets, or a weighted mix) and transfer set,
 * evaluate every model on the test set, and write one report.
 *
 * Output folder:
 *   config.json                  the resolved config (a resumed run must match it, backend aside)
 *   <run>/                       each trained model (model.json + weights.bin) with training.json beside
 *   checkpoints/<run>/           per-epoch checkpoints of the run in progress
 *   cache/                       offline soft targets, for students with `cache`
 *   report.json, report.md       written last, only when every run is done
 */
import type * as tfl from '@tensorflow/tfjs-layers';
import fs from 'node:fs';
import path from 'node:path';
import type { ExperimentConfig, LossTerm, StudentSpec, TeacherSpec } from '../config/experiment.js';
import { head, loadMnist, type ImageDataset, type Split } from '../data/mnist.js';
import { excludeClasses, fraction, reweightClasses } from '../data/transfer.js';
import { distill, type BatchLog, type EpochLog } from '../distill/loop.js';
import { makeOptimizer } from '../distill/optimizer.js';
import { selectBackend } from '../engine/backend.js';
import { Rng, setSeed } from '../engine/seed.js';
import { DistilleryError } from '../errors.js';
import { measureLatency } from '../eval/latency.js';
import { agreement, argmaxRows, classificationMetrics, predictLogits } from '../eval/metrics.js';
import { writeReport, type Report, type RunReport } from '../eval/report.js';
import { readJson, writeJsonAtomic } from '../fsutil.js';
import { lossByName, losses, schedule, weightedSum, type LossFn } from '../losses/index.js';
import { adjustClassBias } from '../models/bias.js';
import { loadModel, modelBytes, saveModel } from '../models/io.js';
import { buildMlp } from '../models/mlp.js';
import { buildTeacherCache, hashModel, type TeacherCache } from '../teachers/cache.js';
import { ensembleTeacher } from '../teachers/ensemble.js';
import { asTeacher, type Teacher } from '../teachers/teacher.js';

/** What the pipeline tells its caller while it works (the CLI draws progress from it). */
export interface PipelineEvents {
  log?(line: string): void;
  runStart?(run: string, info: { epochs: number; resumedFrom: number; skipped: boolean }): void;
  batch?(run: string, b: BatchLog): void;
  /** May return a promise: training waits for it (the service uses this to flush messages). */
  epoch?(run: string, e: EpochLog): void | Promise<void>;
  runEnd?(run: string): void;
}

export interface PipelineOptions {
  out: string;
  resume?: boolean;
  events?: PipelineEvents;
  /** Native backend threads (default: DISTILLERY_THREADS, else 2). */
  threads?: number;
  /** Extra top-level report fields (e.g. the Hinton pipeline's temperature and alpha). */
  reportFields?: Record<string, unknown>;
  /** After every epoch, the model's accuracy on the first N test examples goes into the epoch log as `testAccuracy` (for live curves). */
  epochEval?: number;
}

interface TrainingRecord {
  epochs: number;
  trainSeconds: number;
  trainExamples: number;
  history: EpochLog[];
}

const identity = (c: ExperimentConfig): string => JSON.stringify({ ...c, backend: undefined });

/** Refuses to mix runs in one folder: an existing run continues only with --resume and the same config. */
function checkOut(out: string, config: ExperimentConfig, resume: boolean): void {
  const cfgFile = path.join(out, 'config.json');
  if (!fs.existsSync(cfgFile)) return;
  if (!resume) {
    throw new DistilleryError('USAGE', `${out}: already holds a run (config.json); pass --resume to continue it, or choose another --out`);
  }
  if (identity(readJson<ExperimentConfig>(cfgFile)) !== identity(config)) {
    throw new DistilleryError('USAGE', `${cfgFile}: the run in this folder used a different config; resume it with the same flags/config, or choose another --out`);
  }
}

type Scheduled = number | { from: number; to: number; epochs: number };
const asSchedule = (v: Scheduled) => (typeof v === 'number' ? v : schedule.linear(v.from, v.to, v.epochs));

/**
 * A student's loss: the weighted sum of its terms, built from the loss registry. A weight or an option given
 * as `{ from, to, epochs }` follows a linear schedule over epochs (e.g. an annealed temperature).
 */
export function lossFromTerms(terms: LossTerm[]): LossFn {
  const fns = terms.map(({ name, weight, ...options }) => {
    const factory = lossByName(name) as (o: object) => LossFn;
    const scheduled = Object.entries(options).filter(([, v]) => typeof v === 'object');
    if (scheduled.length === 0) return { loss: factory(options), weight: asSchedule(weight) };
    const at = (epoch: number) => ({ ...options, ...Object.fromEntries(scheduled.map(([k, v]) => [k, (asSchedule(v as Scheduled) as (e: number) => number)(epoch)])) });
    const loss: LossFn = (inputs) => {
      if (inputs.epoch === undefined) throw new DistilleryError('USAGE', `${name} loss: a scheduled option needs inputs.epoch, got none`);
      return factory(at(inputs.epoch))(inputs);
    };
    return { loss, weight: asSchedule(weight) };
  });
  return fns.length === 1 && fns[0].weight === 1 ? fns[0].loss : weightedSum(fns);
}

/** The activations a student's feature-loss terms compare, on each side. */
function featureNames(terms: LossTerm[]): { studentFeatures?: string[]; teacherFeatures?: string[] } {
  const feats = terms.filter((t): t is Extract<LossTerm, { studentFeature: string }> => 'studentFeature' in t);
  if (feats.length === 0) return {};
  return {
    studentFeatures: [...new Set(feats.map((t) => t.studentFeature))],
    teacherFeatures: [...new Set(feats.map((t) => t.teacherFeature ?? t.studentFeature))],
  };
}

const needsTeacher = (s: StudentSpec): boolean => s.loss.some((t) => t.name !== 'ce' && t.weight !== 0 && !(t.name === 'hinton' && t.alpha === 0));

function transferSet(train: Split, s: StudentSpec, classes: number, rng: Rng): Split {
  let t = train;
  if (s.transfer?.excludeClasses?.length) t = excludeClasses(t, s.transfer.excludeClasses, classes);
  if (s.transfer?.fraction !== undefined && s.transfer.fraction < 1) t = fraction(t, s.transfer.fraction, rng);
  if (s.transfer?.classWeights) t = reweightClasses(t, s.transfer.classWeights, rng);
  return t;
}

interface RunContext {
  config: ExperimentConfig;
  data: ImageDataset;
  out: string;
  events: PipelineEvents;
  epochEval?: number;
}

async function trainModel(
  ctx: RunContext,
  spec: TeacherSpec | StudentSpec,
  index: number,
  plan: (rng: Rng) => {
    data: Split;
    loss: LossFn;
    teacher?: Teacher | tfl.LayersModel;
    teacherCache?: TeacherCache;
    studentFeatures?: string[];
    teacherFeatures?: string[];
  },
): Promise<tfl.LayersModel> {
  const { config, data, out, events } = ctx;
  const run = spec.name;
  const modelDir = path.join(out, run);
  const recordFile = path.join(modelDir, 'training.json');
  if (fs.existsSync(recordFile) && fs.existsSync(path.join(modelDir, 'model.json'))) {
    const rec = readJson<TrainingRecord>(recordFile);
    events.runStart?.(run, { epochs: rec.epochs, resumedFrom: rec.epochs, skipped: true });
    return loadModel(modelDir);
  }
  // Each run has its own seed, so a resumed later run does not depend on what earlier runs drew.
  const rng = setSeed(config.seed * 1000 + index);
  const model = buildMlp({
    inputSize: data.train.features,
    hidden: spec.hidden,
    classes: data.classes,
    dropout: spec.dropout,
    inputDropout: spec.inputDropout,
    maxNorm: spec.maxNorm,
    name: run,
  });
  const p = plan(rng);
  let announced = false;
  const result = await distill({
    student: model,
    teacher: p.teacher,
    teacherCache: p.teacherCache,
    studentFeatures: p.studentFeatures,
    teacherFeatures: p.teacherFeatures,
    data: p.data,
    loss: p.loss,
    optimizer: makeOptimizer(spec.optimizer),
    epochs: spec.epochs,
    batchSize: spec.batchSize,
    jitter: spec.jitter,
    rng,
    checkpointDir: path.join(out, 'checkpoints', run),
    callbacks: {
      onBatchEnd: (b) => {
        if (!announced) {
          events.runStart?.(run, { epochs: spec.epochs, resumedFrom: b.epoch - 1, skipped: false });
          announced = true;
        }
        events.batch?.(run, b);
      },
      onEpochEnd: (e) => {
        if (ctx.epochEval) {
          const test = head(data.test, ctx.epochEval);
          const { logits, classes } = predictLogits(asTeacher(model), test);
          e.testAccuracy = classificationMetrics(logits, classes, test.labels).testAccuracy;
        }
        return events.epoch?.(run, e);
      },
    },
  });
  p.teacherCache?.close();
  if ('biasAdjust' in spec && spec.biasAdjust) {
    adjustClassBias(model, Object.fromEntries(Object.entries(spec.biasAdjust).map(([k, v]) => [Number(k), v])));
  }
  await saveModel(model, modelDir);
  const record: TrainingRecord = {
    epochs: spec.epochs,
    trainSeconds: result.history.reduce((s, h) => s + h.seconds, 0),
    trainExamples: p.data.count,
    history: result.history,
  };
  writeJsonAtomic(recordFile, record);
  fs.rmSync(path.join(out, 'checkpoints', run), { recursive: true, force: true });
  events.runEnd?.(run);
  return model;
}

function evaluate(t: Teacher, test: Split, reference?: Int32Array): Omit<RunReport, 'params' | 'bytes' | 'epochs' | 'trainSeconds'> & { pred: Int32Array } {
  const { logits, classes } = predictLogits(t, test);
  const m = classificationMetrics(logits, classes, test.labels);
  const lat = measureLatency(t, test.features);
  const pred = argmaxRows(logits, classes);
  return {
    testErrors: m.testErrors,
    testAccuracy: m.testAccuracy,
    nll: m.nll,
    ece: m.ece,
    msPerSample: lat.msPerSample,
    samplesPerSec: lat.samplesPerSec,
    ...(reference ? { agreementWithTeacher: agreement(pred, reference) } : {}),
    pred,
  };
}

/**
 * Runs an experiment end to end. Interrupted runs resume from their last epoch checkpoint with
 * `resume: true`; finished runs are loaded, not retrained.
 */
export async function runExperiment(config: ExperimentConfig, opts: PipelineOptions): Promise<Report> {
  const events = opts.events ?? {};
  const data = loadMnist({ dir: config.data });
  if (config.trainExamples) data.train = head(data.train, config.trainExamples);
  checkOut(opts.out, config, opts.resume ?? false);
  const backend = await selectBackend(config.backend, { threads: opts.threads });
  events.log?.(`backend: ${backend.name}${backend.note ? ` (${backend.note})` : ''}`);
  writeJsonAtomic(path.join(opts.out, 'config.json'), config);
  events.log?.(`data: ${data.source}, ${data.train.count} train / ${data.test.count} test examples`);
  const ctx: RunContext = { config, data, out: opts.out, events, epochEval: opts.epochEval };

  // Teachers: trained on the full training set with their own regularization.
  const teachers = new Map<string, tfl.LayersModel>();
  let index = 0;
  for (const spec of config.teachers) {
    const model = await trainModel(ctx, spec, index++, () => ({ data: data.train, loss: losses.ce() }));
    teachers.set(spec.name, model);
  }
  const ensemble =
    config.teachers.length > 1
      ? ensembleTeacher([...teachers.values()], { combine: config.ensemble?.combine ?? 'mean-probs', weights: config.ensemble?.weights })
      : undefined;
  const teacherFor = (s: StudentSpec): { teacher: Teacher | tfl.LayersModel; id: string } => {
    const name = s.teacher ?? (ensemble ? 'ensemble' : config.teachers[0].name);
    if (name === 'ensemble') {
      const id = JSON.stringify({ ensemble: config.ensemble ?? null, members: [...teachers.values()].map(hashModel) });
      return { teacher: ensemble!, id };
    }
    const m = teachers.get(name)!;
    return { teacher: m, id: hashModel(m) };
  };

  // Students: each on its transfer set and loss; soft targets from memory or from the offline cache.
  const students = new Map<string, tfl.LayersModel>();
  for (const spec of config.students) {
    const model = await trainModel(ctx, spec, index++, (rng) => {
      const transfer = transferSet(data.train, spec, data.classes, rng);
      const loss = lossFromTerms(spec.loss);
      if (!needsTeacher(spec)) return { data: transfer, loss };
      const { teacher, id } = teacherFor(spec);
      const features = featureNames(spec.loss);
      if (!spec.cache) return { data: transfer, loss, teacher, ...features };
      const { cache, computed } = buildTeacherCache({
        dir: path.join(opts.out, 'cache'),
        teacher: asTeacher(teacher),
        teacherId: id,
        split: transfer,
        store: spec.cache.format === 'topk' ? { format: 'topk', k: spec.cache.k } : { format: 'dense' },
        onWarning: (m) => events.log?.(`warning: ${m}`),
      });
      events.log?.(`${spec.name}: soft targets ${computed ? 'computed into' : 'read from'} ${cache.file}`);
      return { data: transfer, loss, teacher, teacherCache: cache, ...features };
    });
    students.set(spec.name, model);
  }

  events.log?.('evaluating on the test set');
  const runs: Record<string, RunReport> = {};
  const record = (name: string) => readJson<TrainingRecord>(path.join(opts.out, name, 'training.json'));
  const reference = ensemble ?? asTeacher(teachers.get(config.teachers[0].name)!);
  const refEval = evaluate(reference, data.test);
  for (const spec of config.teachers) {
    const m = teachers.get(spec.name)!;
    const { pred: _, ...e } = ensemble ? evaluate(asTeacher(m), data.test) : refEval;
    const rec = record(spec.name);
    runs[spec.name] = { ...e, params: m.countParams(), bytes: modelBytes(path.join(opts.out, spec.name)), epochs: rec.epochs, trainSeconds: rec.trainSeconds, hidden: spec.hidden };
  }
  if (ensemble) {
    const { pred: _, ...e } = refEval;
    runs.ensemble = {
      ...e,
      params: config.teachers.reduce((n, t) => n + runs[t.name].params, 0),
      bytes: config.teachers.reduce((n, t) => n + runs[t.name].bytes, 0),
      epochs: 0,
      trainSeconds: config.teachers.reduce((n, t) => n + runs[t.name].trainSeconds, 0),
    };
  }
  for (const spec of config.students) {
    const m = students.get(spec.name)!;
    const { pred: _, ...e } = evaluate(asTeacher(m), data.test, refEval.pred);
    const rec = record(spec.name);
    runs[spec.name] = {
      ...e,
      params: m.countParams(),
      bytes: modelBytes(path.join(opts.out, spec.name)),
      epochs: rec.epochs,
      trainSeconds: rec.trainSeconds,
      hidden: spec.hidden,
      ...(rec.trainExamples !== data.train.count ? { trainExamples: rec.trainExamples } : {}),
    };
  }
  for (const m of [...teachers.values(), ...students.values()]) m.dispose();

  const report: Report = {
    task: config.task,
    backend: backend.name,
    seed: config.seed,
    ...opts.reportFields,
    trainExamples: data.train.count,
    testExamples: data.test.count,
    runs,
    createdAt: new Date().toISOString(),
  } as Report;
  writeReport(opts.out, report);
  fs.rmSync(path.join(opts.out, 'checkpoints'), { recursive: true, force: true });
  return report;
}
