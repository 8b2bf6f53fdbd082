/**
 * `distillery lm CONFIG`: sample transfer data from the teacher (cached), train every student of the
 * config on the same data, evaluate teacher and students on held-out teacher samples (and a held-out
 * corpus), and write OUT/report.json and OUT/report.md. Interrupted runs resume: finished samples and
 * students are kept, a student in training continues from its last checkpoint.
 *
 * Files: OUT/samples-train.jsonl, OUT/samples-heldout.jsonl, OUT/students/NAME/{student.bin, result.json,
 * ckpt/}, OUT/report.json, OUT/report.md.
 */
import fs from 'node:fs';
import path from 'node:path';
import { selectBackend } from '../engine/backend.js';
import { setSeed } from '../engine/seed.js';
import { DistilleryError } from '../errors.js';
import { readJson, writeFileAtomic, writeJsonAtomic } from '../fsutil.js';
import { generate } from '../models/llama/generate.js';
import { type LlamaModel, disposeLlama, llamaFromCheckpoint } from '../models/llama/model.js';
import { readLlamaCheckpoint } from '../models/llama/checkpoint.js';
import { type LlamaTokenizer, readLlamaTokenizer } from '../models/llama/tokenizer.js';
import { type ParamCount, createLlama, llamaParams, makeTrainable, studentConfig, studentFromTeacher, writeLlamaCheckpoint } from '../models/llama/trainable.js';
import type { LlamaConfig } from '../models/llama/checkpoint.js';
import type { LmConfig, LmStudentSpec } from './config.js';
import { corpusWindows, samplableLlama, sampleStories } from './data.js';
import { type LmEval, evaluateLm, generationSpeed } from './eval.js';
import { type LmTeacher, loadLmTeacher } from './teachers.js';
import { type LmExample, trainLm } from './train.js';

export interface LmStudentResult {
  name: string;
  init: LmStudentSpec['init'];
  loss: LmStudentSpec['loss'];
  config: LlamaConfig;
  params: ParamCount;
  /** Non-embedding parameters as a fraction of the teacher's. */
  nonEmbeddingRatio: number;
  bytes: number;
  heldOut: LmEval;
  corpus?: LmEval;
  tokensPerSecond: number;
  /** tokensPerSecond / the teacher's, same backend. */
  speedup: number;
  trainSeconds: number;
  finalLoss: number;
  samples: string[];
}

export interface LmReport {
  name: string;
  backend: string;
  teacher: { id: string; kind: string; params?: ParamCount; bytes?: number; heldOut: LmEval; corpus?: LmEval; tokensPerSecond: number; samples: string[] };
  data: { trainSequences: number; trainTokens: number; heldOutSequences: number; corpusTrainWindows: number; corpusHeldOutWindows: number };
  train: LmConfig['train'];
  students: LmStudentResult[];
  prompts: string[];
  seconds: number;
}

export interface RunLmOptions {
  out: string;
  log?: (line: string) => void;
}

/** Builds a student as its spec says: cut from the teacher, or random with the teacher's head size by default. */
function buildStudent(spec: LmStudentSpec, teacher: LmTeacher, seed: number): LlamaModel {
  if ('fromTeacher' in spec.init) {
    if (!teacher.llama) throw new DistilleryError('CONFIG', `students.${spec.name}.init.fromTeacher: expected a llama2.c teacher (weights to copy), got a ${teacher.kind} teacher`);
    return studentFromTeacher(teacher.llama, spec.init.fromTeacher);
  }
  const r = spec.init.random;
  const t = teacher.llama?.config;
  const dim = r.dim ?? teacher.dim;
  const headSize = t ? t.dim / t.nHeads : 8;
  const nHeads = r.nHeads ?? Math.max(1, Math.round(dim / headSize));
  const group = t ? t.nHeads / t.nKvHeads : 1;
  const nKvHeads = r.nKvHeads ?? (nHeads % group === 0 ? nHeads / group : nHeads);
  const hiddenDim = r.hiddenDim ?? (t ? Math.round((t.hiddenDim * dim) / t.dim) : 4 * dim);
  return createLlama({ dim, hiddenDim, nLayers: r.nLayers, nHeads, nKvHeads, vocabSize: teacher.vocabSize, seqLen: teacher.seqLen, sharedClassifier: true }, seed);
}

const greedySamples = (model: LlamaModel, tok: LlamaTokenizer, prompts: string[], n: number): string[] =>
  prompts.map((prompt) => prompt + generate(model, tok, { prompt, maxTokens: n, temperature: 0 }).text);

/**
 * Runs an LM distillation config end to end.
 *
 * @example const report = await runLm(loadConfigFile('examples/lm-distilbert.yaml', LmConfigSchema), { out: 'out/lm' })
 */
export async function runLm(config: LmConfig, opts: RunLmOptions): Promise<LmReport> {
  const log = opts.log ?? (() => {});
  const started = performance.now();
  const names = config.students.map((s) => s.name);
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup) throw new DistilleryError('CONFIG', `students: expected unique names, got "${dup}" twice`);
  const backend = await selectBackend(config.backend);
  setSeed(config.seed);
  fs.mkdirSync(opts.out, { recursive: true });
  const teacher = await loadLmTeacher(config.teacher);
  try {
    const tok = readLlamaTokenizer(config.teacher.tokenizer);
    if (tok.pieces.length !== teacher.vocabSize) {
      throw new DistilleryError('MODEL', `${config.teacher.tokenizer}: expected ${teacher.vocabSize} tokens (the teacher's vocabulary), got ${tok.pieces.length}`);
    }
    // Every student must be buildable before any sampling or training starts.
    for (const spec of config.students) {
      if ('fromTeacher' in spec.init) {
        if (!teacher.llama) throw new DistilleryError('CONFIG', `students.${spec.name}.init.fromTeacher: expected a llama2.c teacher (weights to copy), got a ${teacher.kind} teacher`);
        studentConfig(teacher.llama.config, spec.init.fromTeacher);
      }
    }
    // Transfer data: teacher samples (train and held-out use different seeds), then the corpus.
    const s = config.data.samples;
    const sampleSeed = s.seed ?? config.seed;
    const sampleOpts = { maxTokens: s.maxTokens, temperature: s.temperature, topP: s.topP, batch: s.batch };
    const progress = (what: string) => (done: number, total: number) => log(`${what}: ${done}/${total} stories`);
    const trainStories = (await sampleStories(teacher.sampler, tok, path.join(opts.out, 'samples-train.jsonl'), { ...sampleOpts, count: s.count, seed: sampleSeed, onProgress: progress('sampling train') })).stories;
    const heldStories = (await sampleStories(teacher.sampler, tok, path.join(opts.out, 'samples-heldout.jsonl'), { ...sampleOpts, count: s.heldOut, seed: sampleSeed + 1_000_003, onProgress: progress('sampling held-out') })).stories;
    const train: LmExample[] = trainStories.map((tokens) => ({ tokens }));
    const heldOut: LmExample[] = heldStories.map((tokens) => ({ tokens }));
    let corpusHeld: LmExample[] = [];
    let corpusTrain = 0;
    if (config.data.corpus) {
      const c = corpusWindows(tok, config.data.corpus.file, config.train.seqLen, config.data.corpus.heldOut, config.data.corpus.maxChars);
      train.push(...c.train);
      corpusHeld = c.heldOut;
      corpusTrain = c.train.length;
    }
    if (train.length === 0) throw new DistilleryError('CONFIG', 'data: expected training sequences (data.samples.count > 0 or data.corpus), got none');
    if (heldOut.length === 0 && corpusHeld.length === 0) throw new DistilleryError('CONFIG', 'data: expected held-out data (data.samples.heldOut > 0 or data.corpus.heldOut > 0), got none');
    const evalSeqLen = Math.min(teacher.seqLen, 256);
    const evalOn = async (m: LlamaModel | LmTeacher, t?: LmTeacher) => ({
      heldOut: heldOut.length ? await evaluateLm(m, heldOut, { seqLen: evalSeqLen, teacher: t }) : { tokens: 0, ce: NaN, perplexity: NaN },
      corpus: corpusHeld.length ? await evaluateLm(m, corpusHeld, { seqLen: evalSeqLen, teacher: t }) : undefined,
    });
    log(`teacher ${teacher.id}: evaluating`);
    const teacherEval = await evalOn(teacher);
    const teacherFile = 'checkpoint' in config.teacher ? config.teacher.checkpoint : undefined;
    const report: LmReport = {
      name: config.name ?? 'lm',
      backend: backend.name,
      teacher: {
        id: teacher.id,
        kind: teacher.kind,
        params: teacher.llama ? llamaParams(teacher.llama.config) : undefined,
        bytes: teacherFile ? fs.statSync(teacherFile).size : undefined,
        ...teacherEval,
        tokensPerSecond: NaN,
        samples: teacher.llama ? greedySamples(teacher.llama, tok, config.eval.prompts, config.eval.sampleTokens) : [],
      },
      data: {
        trainSequences: train.length,
        trainTokens: train.reduce((n, e) => n + e.tokens.length, 0),
        heldOutSequences: heldOut.length,
        corpusTrainWindows: corpusTrain,
        corpusHeldOutWindows: corpusHeld.length,
      },
      train: config.train,
      students: [],
      prompts: config.eval.prompts,
      seconds: 0,
    };
    log(`teacher: held-out CE ${teacherEval.heldOut.ce.toFixed(4)}`);
    for (const spec of config.students) {
      const dir = path.join(opts.out, 'students', spec.name);
      const resultFile = path.join(dir, 'result.json');
      if (fs.existsSync(resultFile) && fs.existsSync(path.join(dir, 'student.bin'))) {
        log(`${spec.name}: already trained (${resultFile})`);
        report.students.push(readJson<LmStudentResult>(resultFile));
        continue;
      }
      const { model } = makeTrainable(buildStudent(spec, teacher, config.seed));
      try {
        const params = llamaParams(model.config);
        log(`${spec.name}: ${model.config.nLayers} layers, dim ${model.config.dim}, ${params.nonEmbedding} non-embedding parameters; training ${config.train.steps} steps`);
        const every = Math.max(1, Math.floor(config.train.steps / 20));
        const t0 = performance.now();
        const r = await trainLm(model, train, {
          ...config.train,
          lr: spec.lr ?? config.train.lr,
          seed: config.seed,
          loss: spec.loss,
          teacher,
          checkpointDir: path.join(dir, 'ckpt'),
          onStep: (st) => {
            if (st.step % every === 0 || st.step === st.steps) {
              const parts = Object.entries(st.parts).map(([k, v]) => `${k} ${v.toFixed(3)}`).join(', ');
              log(`${spec.name}: step ${st.step}/${st.steps} loss ${st.loss.toFixed(4)} (${parts}) lr ${st.lr.toExponential(2)} ${((performance.now() - t0) / 1000).toFixed(0)} s`);
            }
          },
        });
        const file = path.join(dir, 'student.bin');
        writeLlamaCheckpoint(model, file);
        const ev = await evalOn(model, teacher);
        const result: LmStudentResult = {
          name: spec.name,
          init: spec.init,
          loss: spec.loss,
          config: model.config,
          params,
          nonEmbeddingRatio: teacher.llama ? params.nonEmbedding / llamaParams(teacher.llama.config).nonEmbedding : NaN,
          bytes: fs.statSync(file).size,
          ...ev,
          tokensPerSecond: NaN, // measured below, interleaved with the teacher
          speedup: NaN,
          trainSeconds: r.seconds,
          finalLoss: r.losses.slice(-10).reduce((a, b) => a + b, 0) / Math.min(10, r.losses.length),
          samples: greedySamples(model, tok, config.eval.prompts, config.eval.sampleTokens),
        };
        writeJsonAtomic(resultFile, result);
        fs.rmSync(path.join(dir, 'ckpt'), { recursive: true, force: true });
        log(`${spec.name}: held-out CE ${ev.heldOut.ce.toFixed(4)}, KL ${ev.heldOut.kl?.toFixed(4)}, top-1 ${(100 * (ev.heldOut.top1Agreement ?? 0)).toFixed(1)}%`);
        report.students.push(result);
      } finally {
        disposeLlama(model);
      }
    }
    // Generation speed: teacher and students in turn, three rounds, each model's median, so that a change
    // in machine load affects all of them alike.
    log('measuring generation speed (greedy, one sequence)');
    const models = [teacher.sampler, ...report.students.map((st) => samplableLlama(llamaFromCheckpoint(readLlamaCheckpoint(path.join(opts.out, 'students', st.name, 'student.bin'))), st.name))];
    const rates: number[][] = models.map(() => []);
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < models.length; i++) rates[i].push(await generationSpeed(models[i], config.eval.generationTokens, 1));
    }
    const median = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
    report.teacher.tokensPerSecond = median(rates[0]);
    report.students.forEach((st, i) => {
      st.tokensPerSecond = median(rates[i + 1]);
      st.speedup = st.tokensPerSecond / report.teacher.tokensPerSecond;
      log(`${st.name}: ${st.tokensPerSecond.toFixed(0)} tokens/s, ${st.speedup.toFixed(2)}x the teacher's ${report.teacher.tokensPerSecond.toFixed(0)}`);
    });
    for (const m of models.slice(1)) m.dispose?.();
    report.seconds = (performance.now() - started) / 1000;
    writeJsonAtomic(path.join(opts.out, 'report.json'), report);
    writeFileAtomic(path.join(opts.out, 'report.md'), lmMarkdown(report));
    return report;
  } finally {
    teacher.dispose();
  }
}

/** A story on one Markdown line: its line breaks shown as ⏎. */
const oneLine = (s: string): string => s.replace(/\s*\n\s*/g, ' ⏎ ');

const f = (v: number | undefined, d = 4) => (v === undefined || Number.isNaN(v) ? '–' : v.toFixed(d));

/** The report as Markdown: one table (DistilBERT-style), then samples side by side. */
export function lmMarkdown(r: LmReport): string {
  const hasCorpus = r.teacher.corpus !== undefined;
  const head = ['model', 'layers × dim', 'params (non-emb.)', 'bytes', 'held-out CE', 'ppl', 'KL(t‖s)', 'top-1 agr.', ...(hasCorpus ? ['corpus CE'] : []), 'tokens/s', 'speedup'];
  const t = r.teacher;
  const tc = t.params;
  const rows = [
    [`teacher (${t.id})`, '', tc ? `${tc.total} (${tc.nonEmbedding})` : '', t.bytes ? String(t.bytes) : '', f(t.heldOut.ce), f(t.heldOut.perplexity, 2), '', '', ...(hasCorpus ? [f(t.corpus?.ce)] : []), t.tokensPerSecond.toFixed(0), '1.00x'],
    ...r.students.map((s) => [
      s.name,
      `${s.config.nLayers} × ${s.config.dim}`,
      `${s.params.total} (${s.params.nonEmbedding}, ${(100 * s.nonEmbeddingRatio).toFixed(0)}%)`,
      String(s.bytes),
      f(s.heldOut.ce),
      f(s.heldOut.perplexity, 2),
      f(s.heldOut.kl),
      `${(100 * (s.heldOut.top1Agreement ?? 0)).toFixed(1)}%`,
      ...(hasCorpus ? [f(s.corpus?.ce)] : []),
      s.tokensPerSecond.toFixed(0),
      `${s.speedup.toFixed(2)}x`,
    ]),
  ];
  const table = [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...rows.map((row) => `| ${row.join(' | ')} |`)].join('\n');
  const lossOf = (s: LmStudentResult) =>
    Object.entries(s.loss)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => `${k} ${typeof v === 'number' ? v : JSON.stringify(v)}`)
      .join(', ');
  const recipes = r.students.map((s) => `- **${s.name}**: init ${JSON.stringify(s.init)}; loss ${lossOf(s)}; ${s.trainSeconds.toFixed(0)} s training, final loss ${s.finalLoss.toFixed(4)}`).join('\n');
  const samples = r.prompts
    .map((p, i) => [`### "${p}"`, '', `- teacher: ${oneLine(t.samples[i] ?? '–')}`, ...r.students.map((s) => `- ${s.name}: ${oneLine(s.samples[i])}`)].join('\n'))
    .join('\n\n');
  return [
    `# ${r.name}`,
    '',
    `Backend ${r.backend}. Training data: ${r.data.trainSequences} sequences (${r.data.trainTokens} tokens${r.data.corpusTrainWindows ? `, ${r.data.corpusTrainWindows} corpus windows` : ''}); ` +
      `${r.train.steps} steps × ${r.train.batchSize} sequences of ≤ ${r.train.seqLen} tokens. Held-out: ${r.data.heldOutSequences} teacher samples` +
      `${r.data.corpusHeldOutWindows ? `, ${r.data.corpusHeldOutWindows} corpus windows` : ''}. CE and KL in nats per token; tokens/s: greedy decoding, one sequence.`,
    '',
    table,
    '',
    recipes,
    '',
    '## Greedy samples',
    '',
    samples,
    '',
    `${r.seconds.toFixed(0)} s in all.`,
    '',
  ].join('\n');
}

