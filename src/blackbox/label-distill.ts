/**
 * Label distillation from a black-box teacher: the answers in the store become teacher logits
 * (log-probabilities over the label tokens, or vote frequencies, or hard labels), a small hashed-n-gram
 * student learns them through `distill`, and a same-size student trained on gold labels alone is the
 * baseline. Teacher accuracy and agreement come from the teacher's own answers to the test prompts.
 */
import * as tf from '@tensorflow/tfjs-core';
import path from 'node:path';
import { textSplit } from '../data/text.js';
import { distill } from '../distill/loop.js';
import { selectBackend } from '../engine/backend.js';
import { setSeed } from '../engine/seed.js';
import { DistilleryError } from '../errors.js';
import { agreement, argmaxRows, classificationMetrics, predictLogits } from '../eval/metrics.js';
import { writeFileAtomic, writeJsonAtomic } from '../fsutil.js';
import { crossEntropy } from '../losses/ce.js';
import { lossByName } from '../losses/index.js';
import type { LossFn } from '../losses/types.js';
import { buildMlp } from '../models/mlp.js';
import { saveTextClassifier } from '../models/text-classifier.js';
import type { TeacherCache } from '../teachers/cache.js';
import { tokenCost, type TokenCount } from './collect.js';
import type { BlackboxConfig } from './config.js';
import { promptJobs, readTextTask, type PromptJob } from './prompts.js';
import { AnswerStore, type StoredAnswer } from './store.js';
import { labelTargets, type LabelTarget, type TargetKind } from './verify.js';

export interface StudentResult {
  accuracy: number;
  nll: number;
  /** Fraction of test prompts where the student's label equals the teacher's answer. */
  agreement: number;
  params: number;
  bytes: number;
  trainSeconds: number;
}

export interface BlackboxReport {
  task: 'blackbox-text';
  teacher: { model: string; baseUrl: string; accuracy: number; tokens: TokenCount; requests: number };
  /** Transfer-set prompts (train + unlabeled extra): with usable answers, missing from the store, answered but naming no label. */
  train: { prompts: number; extra: number; used: number; missing: number; rejected: number; targets: Record<TargetKind, number> };
  test: { prompts: number; missing: number; rejected: number };
  /** Training form of the distilled student: the configured KD loss on soft targets, or cross-entropy on the teacher's labels. */
  mode: 'soft' | 'hard';
  loss: BlackboxConfig['loss'];
  students: { gold: StudentResult; distilled: StudentResult };
  /** (distilled − gold) / (teacher − gold) in test accuracy. */
  gapClosed: number;
  backend: string;
  seed: number;
  seconds: number;
}

export interface BlackboxOptions {
  out: string;
  store: string;
  log?(line: string): void;
}

/** The answers for each prompt id, in sample order, and how many jobs had none. */
function answersByPrompt(store: AnswerStore, jobs: PromptJob[]): { answers: Map<string, StoredAnswer[]>; missing: Set<string> } {
  const answers = new Map<string, StoredAnswer[]>();
  const missing = new Set<string>();
  for (const j of jobs) {
    const a = store.get(j.key);
    if (!a) missing.add(j.promptId);
    else answers.set(j.promptId, [...(answers.get(j.promptId) ?? []), a]);
  }
  for (const id of missing) answers.delete(id);
  return { answers, missing };
}

const memoryCache = (logits: Float32Array, classes: number): TeacherCache => ({
  count: logits.length / classes,
  classes,
  file: '(answer store)',
  read(rows) {
    const out = new Float32Array(rows.length * classes);
    for (let i = 0; i < rows.length; i++) out.set(logits.subarray(rows[i] * classes, (rows[i] + 1) * classes), i * classes);
    return out;
  },
  close() {},
});

/**
 * Trains and evaluates from the answer store; writes OUT/report.json, OUT/report.md and both students.
 *
 * @example const report = await runBlackbox(parseWith(BlackboxConfigSchema, yaml), { out: 'out/sst2', store: 'out/sst2/answers.jsonl' })
 */
export async function runBlackbox(config: BlackboxConfig, opts: BlackboxOptions): Promise<BlackboxReport> {
  const t0 = performance.now();
  const log = opts.log ?? (() => {});
  const task = readTextTask(config.data);
  const C = task.labels.length;
  const store = AnswerStore.open(opts.store);
  const trainJobs = [...promptJobs(config.teacher, 'train', task.train.texts), ...promptJobs(config.teacher, 'transfer', task.transfer)];
  const testJobs = promptJobs(config.teacher, 'test', task.test.texts);
  const train = answersByPrompt(store, trainJobs);
  const test = answersByPrompt(store, testJobs);
  if (train.answers.size === 0) {
    throw new DistilleryError('DATA_MISSING', `${opts.store}: no answers for the ${trainJobs.length} train prompts of this config (run distillery collect with the same config first)`);
  }

  // The transfer set: labeled train prompts, then unlabeled extra prompts, each with a usable teacher answer.
  const pool = [
    ...task.train.texts.map((text, i) => ({ id: `train:${i}`, text, gold: task.train.labels[i] })),
    ...task.transfer.map((text, i) => ({ id: `transfer:${i}`, text, gold: -1 })),
  ];
  const kinds: Record<TargetKind, number> = { logprobs: 0, votes: 0, hard: 0 };
  const used: { text: string; gold: number; target: LabelTarget }[] = [];
  for (const p of pool) {
    const a = train.answers.get(p.id);
    const target = a && labelTargets(a, task.labels);
    if (!target) continue;
    used.push({ text: p.text, gold: p.gold, target });
    kinds[target.kind]++;
  }
  const rejectedTrain = train.answers.size - used.length;
  if (used.length === 0) throw new DistilleryError('DATA_FORMAT', `${opts.store}: none of the ${train.answers.size} train answers names a label (${task.labels.join(', ')})`);
  const mode = kinds.logprobs + kinds.votes === used.length ? 'soft' : 'hard';

  // Teacher on the test prompts: a missing or unreadable answer counts as wrong.
  const teacherTest = new Int32Array(task.test.texts.length).fill(-1);
  let rejectedTest = 0;
  task.test.texts.forEach((_, i) => {
    const a = test.answers.get(`test:${i}`);
    const t = a && labelTargets(a, task.labels);
    if (t) teacherTest[i] = t.label;
    else if (a) rejectedTest++;
  });
  const teacherAccuracy = teacherTest.reduce((n, y, i) => n + (y === task.test.labels[i] ? 1 : 0), 0) / teacherTest.length;

  const backend = await selectBackend(config.backend);
  const s = config.student;
  const featurizer = { buckets: s.buckets, ngrams: s.ngrams };
  const goldSplit = textSplit(task.train, featurizer);
  // Hard-label terms use the gold label where there is one (soft mode), the teacher's label otherwise.
  const transfer = textSplit({ texts: used.map((u) => u.text), labels: Int32Array.from(used, (u) => (mode === 'soft' && u.gold >= 0 ? u.gold : u.target.label)) }, featurizer);
  const testSplit = textSplit(task.test, featurizer);
  const teacherLogits = new Float32Array(used.length * C);
  used.forEach((u, i) => teacherLogits.set(u.target.logits, i * C));

  const trainStudent = async (name: 'gold' | 'distilled'): Promise<StudentResult> => {
    setSeed(config.seed);
    const student = buildMlp({ inputSize: s.buckets, hidden: s.hidden, classes: C, dropout: s.dropout, name: `student_${name}` });
    const ce: LossFn = (i) => crossEntropy(i.studentLogits, i.labels!);
    const soft = name === 'distilled' && mode === 'soft';
    const t1 = performance.now();
    await distill({
      student,
      data: name === 'gold' ? goldSplit : transfer,
      loss: soft ? (lossByName(config.loss.name) as (o: unknown) => LossFn)(config.loss) : ce,
      teacherCache: soft ? memoryCache(teacherLogits, C) : undefined,
      optimizer: tf.train.adam(name === 'gold' ? (config.baseline.learningRate ?? s.learningRate) : s.learningRate),
      epochs: name === 'gold' ? (config.baseline.epochs ?? s.epochs) : s.epochs,
      batchSize: s.batchSize,
      callbacks: { onEpochEnd: (e) => log(`${name} student epoch ${e.epoch} loss ${e.loss.toFixed(4)}`) },
    });
    const trainSeconds = (performance.now() - t1) / 1000;
    const { logits } = predictLogits({ logits: (x) => student.predict(x) as tf.Tensor2D }, testSplit);
    const m = classificationMetrics(logits, C, task.test.labels);
    const bytes = await saveTextClassifier({ model: student, labels: task.labels, featurizer }, path.join(opts.out, `student-${name}`));
    const result = { accuracy: m.testAccuracy, nll: m.nll, agreement: agreement(argmaxRows(logits, C), teacherTest), params: student.countParams(), bytes, trainSeconds };
    student.dispose();
    return result;
  };
  const gold = await trainStudent('gold');
  const distilled = await trainStudent('distilled');

  let requests = 0;
  let prompt = 0;
  let completion = 0;
  for (const a of store.records()) (requests += a.attempts), (prompt += a.usage.promptTokens), (completion += a.usage.completionTokens);
  store.close();
  const report: BlackboxReport = {
    task: 'blackbox-text',
    teacher: { model: config.teacher.model, baseUrl: config.teacher.baseUrl, accuracy: teacherAccuracy, tokens: tokenCost(prompt, completion, config.teacher.pricing), requests },
    train: { prompts: pool.length, extra: task.transfer.length, used: used.length, missing: train.missing.size, rejected: rejectedTrain, targets: kinds },
    test: { prompts: task.test.texts.length, missing: test.missing.size, rejected: rejectedTest },
    mode,
    loss: config.loss,
    students: { gold, distilled },
    gapClosed: teacherAccuracy === gold.accuracy ? 0 : (distilled.accuracy - gold.accuracy) / (teacherAccuracy - gold.accuracy),
    backend: backend.name,
    seed: config.seed,
    seconds: (performance.now() - t0) / 1000,
  };
  writeJsonAtomic(path.join(opts.out, 'report.json'), report);
  writeFileAtomic(path.join(opts.out, 'report.md'), blackboxMarkdown(report));
  return report;
}

const pct = (x: number) => `${(100 * x).toFixed(2)}%`;

/** The report as a Markdown table plus a line on targets and cost. */
export function blackboxMarkdown(r: BlackboxReport): string {
  const row = (name: string, s: StudentResult) =>
    `| ${name} | ${pct(s.accuracy)} | ${pct(s.agreement)} | ${s.params.toLocaleString('en-US')} | ${(s.bytes / 1024).toFixed(1)} KiB |`;
  return [
    '| model | test accuracy | agreement with teacher | params | size |',
    '| --- | --- | --- | --- | --- |',
    `| teacher (${r.teacher.model}, via API) | ${pct(r.teacher.accuracy)} | — | — | — |`,
    row('student, gold labels only', r.students.gold),
    row(`student, distilled (${r.mode === 'soft' ? r.loss.name : 'ce on teacher labels'})`, r.students.distilled),
    '',
    `Gap closed: ${(100 * r.gapClosed).toFixed(1)}% = (distilled − gold) / (teacher − gold). ` +
      `Transfer prompts used ${r.train.used}/${r.train.prompts}${r.train.extra ? ` (${r.train.extra} of them unlabeled extra text)` : ''} (targets: ${r.train.targets.logprobs} logprobs, ${r.train.targets.votes} votes, ${r.train.targets.hard} hard; ` +
      `${r.train.missing} missing, ${r.train.rejected} rejected); test prompts ${r.test.prompts} (${r.test.missing} missing, ${r.test.rejected} rejected).`,
    `Teacher usage in the store: ${r.teacher.requests} requests, ${r.teacher.tokens.prompt} prompt + ${r.teacher.tokens.completion} completion tokens, $${r.teacher.tokens.cost.toFixed(4)}.`,
    '',
  ].join('\n');
}
