/**
 * Sequence distillation with rejection sampling (as in Sky-T1): a generative teacher behind an
 * OpenAI-compatible API answers every training prompt k times (`distillery collect`), a verifier checks
 * each stored answer against the prompt's expected answer, and students of one shape are trained on
 * (a) every teacher sample, (b) the verified samples only, (c) the gold answers, then evaluated on held-out
 * problems by greedy decoding and exact match of the final answer.
 * The task and the verification step live in rejection-verify.ts.
 */
import fs from 'node:fs';
import path from 'node:path';
import { selectBackend } from '../engine/backend.js';
import { DistilleryError } from '../errors.js';
import { writeFileAtomic, writeJsonAtomic } from '../fsutil.js';
import { sampleBatch } from '../models/llama/batch.js';
import { readLlamaCheckpoint, type LlamaConfig } from '../models/llama/checkpoint.js';
import { disposeLlama, llamaFromCheckpoint, type LlamaModel } from '../models/llama/model.js';
import { BOS, encode, readLlamaTokenizer, type LlamaTokenizer } from '../models/llama/tokenizer.js';
import { trainLm, type LmExample } from '../lm/train.js';
import { createLlama, llamaParams, makeTrainable, writeLlamaCheckpoint } from '../models/llama/trainable.js';
import type { RejectionConfig } from './config.js';
import { type CheckedSample, type RejectionProblem, type VerifyReport, readRejectionTask, verifierFromConfig, verifyAnswers, verifySummary } from './rejection-verify.js';
import type { Verifier } from './verify.js';

/** A Llama config from a shape in a rejection config. */
export function llamaConfigOf(shape: { dim: number; hiddenDim?: number; nLayers: number; nHeads: number; nKvHeads?: number; seqLen: number }, vocabSize: number): LlamaConfig {
  return {
    dim: shape.dim,
    hiddenDim: shape.hiddenDim ?? Math.max(4, Math.round((8 * shape.dim) / 3 / 4) * 4),
    nLayers: shape.nLayers,
    nHeads: shape.nHeads,
    nKvHeads: shape.nKvHeads ?? shape.nHeads,
    vocabSize,
    seqLen: shape.seqLen,
    sharedClassifier: true,
  };
}

/**
 * A training sequence: BOS, prompt, answer, and BOS again when the answer ended (the end-of-text token the
 * models stop at). The loss starts at the answer's first token.
 */
export function sequenceExample(tok: LlamaTokenizer, prompt: string, answer: string, ended = true): LmExample {
  const pre = encode(tok, prompt, { bos: true });
  const all = encode(tok, prompt + answer, { bos: true });
  let lossFrom = 0;
  while (lossFrom < pre.length && pre[lossFrom] === all[lossFrom]) lossFrom++;
  return { tokens: ended ? [...all, BOS] : all, lossFrom: Math.max(1, lossFrom) };
}

export interface HeldOutResult {
  accuracy: number;
  correct: number;
  problems: number;
  /** The first few greedy answers, for the report. */
  examples: { text: string; expected: string; answer: string; correct: boolean }[];
}

/**
 * Greedy decoding of every problem (batched by prompt length), scored by exact match of the final answer
 * with `check` (the config's verifier, or exact match).
 *
 * @example const { accuracy } = await heldOutAccuracy(model, tok, task.test, 80, exactMatchVerifier())
 */
export async function heldOutAccuracy(model: LlamaModel, tok: LlamaTokenizer, problems: RejectionProblem[], maxTokens: number, check: Verifier<string>): Promise<HeldOutResult> {
  const groups = new Map<number, number[]>();
  const ids = problems.map((p) => encode(tok, p.text, { bos: true }));
  ids.forEach((x, i) => groups.set(x.length, [...(groups.get(x.length) ?? []), i]));
  const answers = new Array<string>(problems.length);
  for (const members of groups.values()) {
    for (let at = 0; at < members.length; at += 128) {
      const chunk = members.slice(at, at + 128);
      const out = sampleBatch(model, tok, chunk.map((i) => ids[i]), { maxTokens, temperature: 0 });
      chunk.forEach((i, j) => (answers[i] = out[j].text));
    }
  }
  let correct = 0;
  const ok: boolean[] = [];
  for (let i = 0; i < problems.length; i++) {
    const good = (await check.verify({ content: answers[i] }, { promptId: `test:${i}`, text: problems[i].text, expected: problems[i].expected })) !== undefined;
    ok.push(good);
    if (good) correct++;
  }
  return {
    accuracy: problems.length ? correct / problems.length : 0,
    correct,
    problems: problems.length,
    examples: problems.slice(0, 3).map((p, i) => ({ text: p.text, expected: p.expected, answer: answers[i], correct: ok[i] })),
  };
}


export interface TrainedLm {
  file: string;
  params: number;
  examples: number;
  steps: number;
  finalLoss: number;
  trainSeconds: number;
  heldOut: HeldOutResult;
}

async function trainAndEvaluate(
  name: string,
  cfg: LlamaConfig,
  train: RejectionConfig['student']['train'],
  examples: LmExample[],
  file: string,
  ctx: { tok: LlamaTokenizer; test: RejectionProblem[]; maxTokens: number; check: Verifier<string>; seed: number; log(line: string): void },
): Promise<TrainedLm> {
  const { model } = makeTrainable(createLlama(cfg, ctx.seed));
  try {
    const every = Math.max(1, Math.round(train.steps / 10));
    const r = await trainLm(model, examples, {
      steps: train.steps,
      batchSize: train.batchSize,
      seqLen: cfg.seqLen,
      lr: train.lr,
      warmupSteps: train.warmupSteps,
      seed: ctx.seed,
      loss: { hardCe: 1 },
      onStep: (s) => {
        if (s.step % every === 0 || s.step === s.steps) ctx.log(`${name}: step ${s.step}/${s.steps} loss ${s.loss.toFixed(4)}`);
      },
    });
    writeLlamaCheckpoint(model, file);
    const heldOut = await heldOutAccuracy(model, ctx.tok, ctx.test, ctx.maxTokens, ctx.check);
    ctx.log(`${name}: held-out accuracy ${(100 * heldOut.accuracy).toFixed(1)}% (${heldOut.correct}/${heldOut.problems})`);
    const tail = r.losses.slice(-Math.max(1, Math.round(train.steps / 20))).filter(Number.isFinite);
    return { file, params: llamaParams(cfg).total, examples: examples.length, steps: train.steps, finalLoss: tail.reduce((a, b) => a + b, 0) / tail.length, trainSeconds: r.seconds, heldOut };
  } finally {
    disposeLlama(model);
  }
}

/** Where `train-teacher` writes the teacher and `blackbox` looks for it. */
export const teacherFile = (config: RejectionConfig, out: string): string => config.teacherModel?.file ?? path.join(out, 'teacher.bin');

/**
 * Trains the config's teacher (`teacherModel`) on the gold answers of the teacher split and evaluates it on
 * the held-out problems; writes the llama2.c checkpoint and OUT/teacher-report.json.
 *
 * @example const t = await trainTeacher(config, { out: 'out/rejection-arithmetic' })
 */
export async function trainTeacher(config: RejectionConfig, opts: { out: string; log?(line: string): void }): Promise<TrainedLm & { backend: string }> {
  const log = opts.log ?? (() => {});
  if (!config.teacherModel) throw new DistilleryError('CONFIG', 'config.teacherModel: expected the teacher\'s shape and training budget, got none');
  const task = readRejectionTask(config.data);
  const gold = task.teacher.filter((p) => p.gold !== undefined);
  if (gold.length === 0) throw new DistilleryError('DATA_MISSING', 'config.data: expected gold examples for the teacher (data.addition, or data.teacher with "gold" fields), got none');
  const backend = await selectBackend(config.backend);
  const tok = readLlamaTokenizer(config.tokenizer);
  const cfg = llamaConfigOf(config.teacherModel, tok.pieces.length);
  const examples = gold.map((p) => sequenceExample(tok, p.text, p.gold!));
  const file = teacherFile(config, opts.out);
  const check = await verifierFromConfig(config.verifier);
  const t = await trainAndEvaluate('teacher', cfg, config.teacherModel.train, examples, file, { tok, test: task.test, maxTokens: config.evalMaxTokens, check, seed: config.seed, log });
  const result = { ...t, backend: backend.name };
  writeJsonAtomic(path.join(opts.out, 'teacher-report.json'), { ...result, config: cfg });
  return result;
}

export type StudentKind = 'all' | 'verified' | 'gold';

export interface RejectionReport {
  task: 'rejection-lm';
  teacher: { model: string; baseUrl: string; samplesPerPrompt: number; temperature: number; topP?: number; heldOut?: HeldOutResult; file?: string };
  verify: Omit<VerifyReport, 'perPrompt'>;
  student: { config: LlamaConfig; params: number; train: RejectionConfig['student']['train'] };
  students: Partial<Record<StudentKind, TrainedLm>>;
  test: { problems: number };
  backend: string;
  seed: number;
  seconds: number;
}

/**
 * Verifies the stored answers, trains one student per configured data source (all samples, verified
 * samples, gold answers) from the same initialization and budget, evaluates each on the held-out problems
 * by greedy decoding, and writes OUT/report.json, OUT/report.md and OUT/student-<kind>.bin.
 *
 * @example const report = await runRejection(config, { out: 'out/rs', store: 'out/rs/answers.jsonl' })
 */
export async function runRejection(config: RejectionConfig, opts: { out: string; store: string; log?(line: string): void }): Promise<RejectionReport> {
  const t0 = performance.now();
  const log = opts.log ?? (() => {});
  const task = readRejectionTask(config.data);
  const { report: verify, samples } = await verifyAnswers(config, opts);
  log(verifySummary(verify));
  if (verify.samples === 0) throw new DistilleryError('DATA_MISSING', `${opts.store}: no answers for the ${task.train.length} train prompts of this config (run distillery collect with the same config first)`);
  const backend = await selectBackend(config.backend);
  const tok = readLlamaTokenizer(config.tokenizer);
  const cfg = llamaConfigOf(config.student, tok.pieces.length);
  const check = await verifierFromConfig(config.verifier);
  const ctx = { tok, test: task.test, maxTokens: config.evalMaxTokens, check, seed: config.seed, log };
  const ended = (s: CheckedSample) => s.finishReason !== 'length';
  const data: Record<StudentKind, () => LmExample[]> = {
    all: () => samples.map((s) => sequenceExample(tok, s.text, s.content, ended(s))),
    verified: () => samples.filter((s) => s.accepted).map((s) => sequenceExample(tok, s.text, s.content, ended(s))),
    gold: () => {
      const missing = task.train.findIndex((p) => p.gold === undefined);
      if (missing >= 0) throw new DistilleryError('DATA_FORMAT', `config.data: the gold student needs a "gold" answer for every train prompt, train:${missing} has none`);
      return task.train.map((p) => sequenceExample(tok, p.text, p.gold!));
    },
  };
  const students: RejectionReport['students'] = {};
  for (const kind of config.students) {
    const examples = data[kind]();
    if (examples.length === 0) {
      log(`${kind}: no examples (no sample was accepted); skipped`);
      continue;
    }
    students[kind] = await trainAndEvaluate(`student-${kind}`, cfg, config.student.train, examples, path.join(opts.out, `student-${kind}.bin`), ctx);
  }
  // The teacher's own held-out accuracy, when its checkpoint is at hand (greedy, like the students).
  let teacher: RejectionReport['teacher'] = {
    model: config.teacher.model,
    baseUrl: config.teacher.baseUrl,
    samplesPerPrompt: config.teacher.samples * config.teacher.params.n,
    temperature: config.teacher.params.temperature,
    ...(config.teacher.params.topP !== undefined ? { topP: config.teacher.params.topP } : {}),
  };
  const tf = teacherFile(config, opts.out);
  if (fs.existsSync(tf)) {
    const model = llamaFromCheckpoint(readLlamaCheckpoint(tf));
    try {
      teacher = { ...teacher, file: tf, heldOut: await heldOutAccuracy(model, tok, task.test, config.evalMaxTokens, check) };
    } finally {
      disposeLlama(model);
    }
  }
  const { perPrompt: _perPrompt, ...verifyTotals } = verify;
  const report: RejectionReport = {
    task: 'rejection-lm',
    teacher,
    verify: verifyTotals,
    student: { config: cfg, params: llamaParams(cfg).total, train: config.student.train },
    students,
    test: { problems: task.test.length },
    backend: backend.name,
    seed: config.seed,
    seconds: (performance.now() - t0) / 1000,
  };
  writeJsonAtomic(path.join(opts.out, 'report.json'), report);
  writeFileAtomic(path.join(opts.out, 'report.md'), rejectionMarkdown(report));
  return report;
}

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

/** The report as Markdown: acceptance, then held-out accuracy of the teacher and each student. */
export function rejectionMarkdown(r: RejectionReport): string {
  const v = r.verify;
  const names: Record<StudentKind, string> = { all: '(a) all teacher samples', verified: '(b) verified samples only', gold: '(c) gold answers only' };
  const rows = (Object.keys(names) as StudentKind[])
    .filter((k) => r.students[k])
    .map((k) => {
      const s = r.students[k]!;
      return `| student ${names[k]} | ${s.examples} | ${pct(s.heldOut.accuracy)} (${s.heldOut.correct}/${s.heldOut.problems}) | ${s.params.toLocaleString('en-US')} | ${s.trainSeconds.toFixed(1)} |`;
    });
  return [
    `Teacher ${r.teacher.model} sampled ${r.teacher.samplesPerPrompt}× per prompt at temperature ${r.teacher.temperature}${r.teacher.topP !== undefined ? `, top_p ${r.teacher.topP}` : ''}: ` +
      `**${v.accepted}/${v.samples} samples accepted (${pct(v.acceptanceRate)})** by the ${v.verifier.name} verifier; ` +
      `${v.promptsCovered}/${v.prompts} prompts have at least one accepted sample; prompts by number of accepted samples (0..${v.histogram.length - 1}): ${v.histogram.join(', ')}.`,
    '',
    '| model | training examples | held-out accuracy (greedy, exact final answer) | params | train s |',
    '| --- | --- | --- | --- | --- |',
    ...(r.teacher.heldOut ? [`| teacher (${r.teacher.file}) | — | ${pct(r.teacher.heldOut.accuracy)} (${r.teacher.heldOut.correct}/${r.teacher.heldOut.problems}) | — | — |`] : []),
    ...rows,
    '',
    `Students: dim ${r.student.config.dim}, ${r.student.config.nLayers} layers, ${r.student.config.nHeads} heads, ${r.student.train.steps} steps of batch ${r.student.train.batchSize} at lr ${r.student.train.lr}, same initialization (seed ${r.seed}). Backend ${r.backend}, ${r.seconds.toFixed(1)} s.`,
    '',
  ].join('\n');
}
