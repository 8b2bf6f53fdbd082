/**
 * The black-box config: one file drives `distillery collect` (prompts → answer store) and
 * `distillery blackbox` (answer store → distilled student → report). Defaults live here only.
 */
import { z } from 'zod';

const positive = z.number().positive();
const count = z.number().int().min(0);

export const ParamsSchema = z.strictObject({
  temperature: z.number().min(0).max(2).default(0),
  topP: z.number().gt(0).max(1).optional(),
  maxTokens: z.number().int().min(1).default(8),
  /** Choices per request. */
  n: z.number().int().min(1).max(128).default(1),
  /** Sample s is asked with seed + s. */
  seed: z.number().int().optional(),
  logprobs: z.boolean().default(true),
  topLogprobs: z.number().int().min(0).max(20).default(5),
  /** Strings that end an answer (generative teachers). */
  stop: z.array(z.string().min(1)).max(4).optional(),
});

export const TeacherEndpointSchema = z.strictObject({
  /** OpenAI-compatible base URL, e.g. http://127.0.0.1:8080/v1 */
  baseUrl: z.url(),
  model: z.string().min(1),
  /** Name of the environment variable holding the API key (the key itself never goes in a config file). */
  apiKeyEnv: z.string().min(1).optional(),
  system: z.string().optional(),
  /** The user message; `{text}` is replaced by the example's text. */
  template: z.string().includes('{text}', { message: 'expected a template containing {text}' }).default('{text}'),
  params: ParamsSchema.prefault({}),
  /** Requests per prompt (sample index 0..samples-1), each with `n` choices. */
  samples: z.number().int().min(1).max(64).default(1),
  concurrency: z.number().int().min(1).max(256).default(4),
  timeoutMs: z.number().int().min(1).default(30_000),
  retry: z
    .strictObject({
      perRequest: count.default(6),
      total: count.default(1000),
      baseMs: positive.default(500),
      maxMs: positive.default(20_000),
      maxRetryAfterMs: count.default(60_000),
    })
    .prefault({}),
  /** US dollars per 1,000 tokens, for the cost line of the report. */
  pricing: z.strictObject({ promptPer1k: z.number().min(0).default(0), completionPer1k: z.number().min(0).default(0) }).prefault({}),
});

export const TextDataSchema = z.strictObject({
  /** `label sentence` per line: the prompts asked (transfer set), with gold labels for the gold-only baseline. */
  train: z.string().min(1),
  test: z.string().min(1),
  /** Label names, in label-id order: what the teacher is asked to answer. */
  labels: z.array(z.string().min(1)).min(2),
  trainLimit: z.number().int().min(1).optional(),
  testLimit: z.number().int().min(1).optional(),
  /** Unlabeled text, one per line: more prompts for the teacher to label (the distilled student's transfer set grows; the gold baseline cannot use them). */
  transfer: z.string().min(1).optional(),
  transferLimit: z.number().int().min(1).optional(),
});

export const TextStudentSchema = z.strictObject({
  buckets: z.number().int().min(1).max(1 << 20).default(2048),
  ngrams: z.number().int().min(1).max(5).default(1),
  hidden: z.array(z.number().int().min(1)).default([32]),
  dropout: z.number().min(0).lt(1).default(0),
  epochs: z.number().int().min(1).default(10),
  batchSize: z.number().int().min(1).default(64),
  learningRate: positive.default(1e-3),
});

export const BlackboxLossSchema = z.discriminatedUnion('name', [
  z.strictObject({ name: z.literal('hinton'), temperature: positive.default(2), alpha: z.number().min(0).max(1).default(0.5) }),
  z.strictObject({ name: z.literal('kd'), temperature: positive.default(2) }),
  z.strictObject({ name: z.literal('reverseKl'), temperature: positive.default(2) }),
  z.strictObject({ name: z.literal('tvd'), temperature: positive.default(1) }),
  z.strictObject({ name: z.literal('jsd'), temperature: positive.default(1), beta: z.number().gt(0).lt(1).default(0.5) }),
]);

export const BlackboxConfigSchema = z.strictObject({
  task: z.literal('blackbox-text').default('blackbox-text'),
  teacher: TeacherEndpointSchema,
  data: TextDataSchema,
  /** Answer store (JSONL); default OUT/answers.jsonl. */
  store: z.string().min(1).optional(),
  student: TextStudentSchema.prefault({}),
  /** Training budget of the gold-label baseline when it should differ from the student's (each tuned on a dev set). */
  baseline: z.strictObject({ epochs: z.number().int().min(1).optional(), learningRate: positive.optional() }).default({}),
  loss: BlackboxLossSchema.default({ name: 'hinton', temperature: 2, alpha: 0.5 }),
  backend: z.enum(['auto', 'native', 'wasm', 'cpu']).default('auto'),
  seed: z.number().int().min(0).default(0),
});

export type BlackboxConfig = z.infer<typeof BlackboxConfigSchema>;
export type BlackboxConfigInput = z.input<typeof BlackboxConfigSchema>;
export type TeacherEndpointConfig = z.infer<typeof TeacherEndpointSchema>;

/** How a generated answer is checked (rejection sampling). */
export const VerifierConfigSchema = z.discriminatedUnion('name', [
  /** The parsed final answer equals the prompt's expected answer; `parse`: a regex whose first group is the final answer. */
  z.strictObject({ name: z.literal('exact'), parse: z.string().min(1).optional(), ignoreCase: z.boolean().default(false) }),
  /** The pattern matches the answer; `{expected}` stands for the prompt's expected answer. */
  z.strictObject({ name: z.literal('regex'), pattern: z.string().min(1), flags: z.string().regex(/^[imsuy]*$/, { message: 'expected regex flags among imsuy' }).default('') }),
  /** A JS function `(answer, { promptId, text, expected }) => boolean | string` exported by a module file. */
  z.strictObject({ name: z.literal('function'), module: z.string().min(1), export: z.string().min(1).default('default') }),
  /** `sh -c command` with the answer on stdin and DISTILLERY_PROMPT / DISTILLERY_EXPECTED / DISTILLERY_FINAL set; exit 0 accepts. */
  z.strictObject({
    name: z.literal('command'),
    command: z.string().min(1),
    timeoutMs: z.number().int().min(1).default(10_000),
    concurrency: z.number().int().min(1).max(64).default(2),
  }),
]);

/** A Llama's shape (llama2.c header); hiddenDim defaults to 8/3 · dim rounded to a multiple of 4. */
export const LlamaShapeSchema = z.strictObject({
  dim: z.number().int().min(2),
  hiddenDim: z.number().int().min(1).optional(),
  nLayers: z.number().int().min(1),
  nHeads: z.number().int().min(1),
  nKvHeads: z.number().int().min(1).optional(),
  seqLen: z.number().int().min(8).default(64),
});

export const SeqTrainSchema = z.strictObject({
  steps: z.number().int().min(1),
  batchSize: z.number().int().min(1).default(32),
  lr: positive.default(3e-3),
  warmupSteps: count.default(50),
});

/** Prompts with checkable answers: generated addition problems, or JSONL files of {"text", "expected", "gold"}. */
export const RejectionDataSchema = z.union([
  z.strictObject({
    addition: z.strictObject({
      seed: z.number().int().min(0).default(0),
      minDigits: z.number().int().min(1).default(2),
      maxDigits: z.number().int().min(1).max(15).default(3),
      /** Gold worked solutions the teacher is trained on. */
      teacher: z.number().int().min(1).default(5000),
      /** Prompts the teacher is asked k times (the students' training prompts). */
      train: z.number().int().min(1).default(300),
      /** Held-out problems. */
      test: z.number().int().min(1).default(200),
    }),
  }),
  z.strictObject({
    /** JSONL, one {"text", "expected", "gold"?} per line: the prompts asked, with gold answers for the gold-only student. */
    train: z.string().min(1),
    test: z.string().min(1),
    /** JSONL of gold examples to train the teacher on (distillery train-teacher). */
    teacher: z.string().min(1).optional(),
  }),
]);

export const RejectionConfigSchema = z.strictObject({
  task: z.literal('rejection-lm'),
  /** The generative teacher behind an OpenAI-compatible API; samples × params.n answers per prompt. */
  teacher: TeacherEndpointSchema,
  data: RejectionDataSchema,
  verifier: VerifierConfigSchema.default({ name: 'exact', ignoreCase: false }),
  /** llama2.c tokenizer shared by the teacher and the students. */
  tokenizer: z.string().min(1).default('models/stories260K/tok512.bin'),
  /** The teacher `distillery train-teacher` trains on gold solutions (written to file, default OUT/teacher.bin). */
  teacherModel: LlamaShapeSchema.extend({ file: z.string().min(1).optional(), train: SeqTrainSchema }).optional(),
  /** Every student has this shape and training budget; they differ only in their data. */
  student: LlamaShapeSchema.extend({ train: SeqTrainSchema }),
  /** all: every teacher sample; verified: the accepted ones; gold: the prompts' gold answers. */
  students: z.array(z.enum(['all', 'verified', 'gold'])).min(1).default(['all', 'verified', 'gold']),
  /** Generation budget for held-out evaluation (greedy). */
  evalMaxTokens: z.number().int().min(1).default(80),
  store: z.string().min(1).optional(),
  backend: z.enum(['auto', 'native', 'wasm', 'cpu']).default('auto'),
  seed: z.number().int().min(0).default(0),
});

export type VerifierConfig = z.infer<typeof VerifierConfigSchema>;
export type RejectionConfig = z.infer<typeof RejectionConfigSchema>;
export type RejectionConfigInput = z.input<typeof RejectionConfigSchema>;
