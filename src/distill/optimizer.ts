import * as tf from '@tensorflow/tfjs-core';

export interface OptimizerConfig {
  name: 'adam' | 'sgd' | 'momentum';
  learningRate: number;
  momentum: number;
}

/** Builds a TF.js optimizer from its config. */
export function makeOptimizer(c: OptimizerConfig): tf.Optimizer {
  switch (c.name) {
    case 'adam':
      return tf.train.adam(c.learningRate);
    case 'sgd':
      return tf.train.sgd(c.learningRate);
    case 'momentum':
      return tf.train.momentum(c.learningRate, c.momentum);
  }
}
