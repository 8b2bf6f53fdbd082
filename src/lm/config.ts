/**
 * The `distillery lm CONFIG` file: one teacher, its sampled transfer data (and an optional text corpus),
 * and any number of students, each with its own initialization and loss mix, trained on the same
 * batches for the same steps and compared in one report.
 */
import { z } from 'zod';

const posInt = z.number().int().positive();
const weight = z.number().min(0);

export const LmLossSchema = z
  .strictObject({
    hardCe: weight.optional(),
    softCe: z.strictObject({ weight, temperature: z.number().positive().default(1), topK: posInt.optional() }).optional(),
    jsd: z.strictObject({ weight, beta: z.number().min(0).max(1).default(0.5), temperature: z.number().positive().default(1) }).optional(),
    hiddenCosine: z.strictObject({ weight, pairs: z.array(z.tuple([z.number().int().min(0), z.number().int().min(0)])).optional() }).optional(),
  })
  .refine((l) => [l.hardCe, l.softCe?.weight, l.jsd?.weight, l.hiddenCosine?.weight].some((w) => (w ?? 0) > 0), {
    message: 'expected at least one of hardCe, softCe, jsd, hiddenCosine with a weight > 0',
  });

export const StudentInitSchema = z.union([
  z.strictObject({
    /** Copy these teacher layers (default every other one), optionally narrower (see trainable.ts). */
    fromTeacher: z.strictObject({ layers: z.array(z.number().int().min(0)).min(1).optional(), dim: posInt.optional(), hiddenDim: posInt.optional() }),
  }),
  z.strictObject({
    random: z.strictObject({ nLayers: posInt, dim: posInt.optional(), hiddenDim: posInt.optional(), nHeads: posInt.optional(), nKvHeads: posInt.optional() }),
  }),
]);

export const LmStudentSchema = z.strictObject({
  name: z.string().regex(/^[A-Za-z0-9._-]+$/, 'expected letters, digits, . _ -'),
  init: StudentInitSchema,
  loss: LmLossSchema,
  /** Overrides of the shared training settings for this student. */
  lr: z.number().positive().optional(),
});

export const LmTeacherSchema = z.union([
  z.strictObject({ checkpoint: z.string(), tokenizer: z.string() }),
  z.strictObject({ onnx: z.string(), tokenizer: z.string() }),
  z.strictObject({ transformers: z.string(), tokenizer: z.string() }),
]);

export const LmConfigSchema = z.strictObject({
  name: z.string().optional(),
  seed: z.number().int().default(1),
  backend: z.enum(['auto', 'native', 'wasm', 'cpu']).default('auto'),
  teacher: LmTeacherSchema,
  data: z.strictObject({
    /** Stories sampled from the teacher for training, and separately (another seed) for held-out evaluation. */
    samples: z
      .strictObject({
        count: z.number().int().min(0),
        heldOut: z.number().int().min(0).default(64),
        maxTokens: posInt.default(255),
        temperature: z.number().min(0).default(1),
        topP: z.number().gt(0).max(1).default(1),
        batch: posInt.default(64),
        seed: z.number().int().optional(),
      })
      .default({ count: 0, heldOut: 64, maxTokens: 255, temperature: 1, topP: 1, batch: 64 }),
    /** A text file: its first (1 − heldOut) part joins the training data, the rest is a second held-out set. */
    corpus: z
      .strictObject({
        file: z.string(),
        heldOut: z.number().min(0).lt(1).default(0.1),
        maxChars: posInt.optional(),
      })
      .optional(),
  }),
  train: z.strictObject({
    steps: posInt,
    batchSize: posInt.default(16),
    seqLen: posInt.default(128),
    lr: z.number().positive().default(3e-3),
    minLr: z.number().min(0).optional(),
    warmupSteps: z.number().int().min(0).default(10),
    gradClip: z.number().min(0).default(1),
    checkpointEvery: posInt.default(50),
  }),
  students: z.array(LmStudentSchema).min(1),
  eval: z
    .strictObject({
      /** Tokens decoded (greedy, one sequence) to measure generation speed. */
      generationTokens: posInt.default(200),
      /** Prompts for the side-by-side samples. */
      prompts: z.array(z.string()).default(['Once upon a time', 'Lily and Ben went to the park']),
      sampleTokens: posInt.default(80),
    })
    .default({ generationTokens: 200, prompts: ['Once upon a time', 'Lily and Ben went to the park'], sampleTokens: 80 }),
});

export type LmConfig = z.infer<typeof LmConfigSchema>;
export type LmStudentSpec = z.infer<typeof LmStudentSchema>;
export type LmTeacherSpec = z.infer<typeof LmTeacherSchema>;
