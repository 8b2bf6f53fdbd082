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
