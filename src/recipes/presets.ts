import type { HintonConfigInput } from '../config/schema.js';

/**
 * The paper's MNIST recipe (Hinton, Vinyals & Dean 2015, section 3): teacher 784-1200-1200-10 with dropout
 * and ±2 px jitter, students 784-800-800-10 without regularization, distillation at T = 20 on the
 * un-jittered training set. The paper trained far longer; these epoch counts fit about half an hour on the
 * native backend.
 */
export const hintonFull: HintonConfigInput = {
  task: 'mnist',
  seed: 0,
  teacher: { hidden: [1200, 1200], dropout: 0.5, inputDropout: 0.2, jitter: 2, epochs: 30, batchSize: 128 },
  baseline: { hidden: [800, 800], epochs: 20, batchSize: 128 },
  distilled: { hidden: [800, 800], epochs: 30, batchSize: 128, temperature: 20, alpha: 0.9 },
};

/**
 * A three-minute version for two cores on the wasm backend: the first 5,000 training examples (all 10,000
 * test examples), a 600-600 teacher (dropout, jitter) and 800-800 students, few epochs. Small data is where
 * soft targets help most, so the effect shows clearly.
 */
export const hintonQuick: HintonConfigInput = {
  task: 'mnist',
  seed: 0,
  trainExamples: 5_000,
  teacher: { hidden: [600, 600], dropout: 0.5, inputDropout: 0.2, jitter: 2, epochs: 10, batchSize: 128 },
  baseline: { hidden: [800, 800], epochs: 4, batchSize: 128 },
  distilled: { hidden: [800, 800], epochs: 4, batchSize: 128, temperature: 20, alpha: 0.9 },
};
