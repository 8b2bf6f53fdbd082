import type * as tfl from '@tensorflow/tfjs-layers';
import * as tf from '@tensorflow/tfjs-layers';
import { DistilleryError } from '../errors.js';

/**
 * An MLP's named activations: `hidden-1` … `hidden-N` are the outputs of its hidden dense layers (after ReLU,
 * before dropout), in order. Feature losses (hints, hidden-state cosine) compare them between student and teacher.
 */
export function hiddenLayers(model: tfl.LayersModel): Map<string, tfl.layers.Layer> {
  const dense = model.layers.filter((l) => l.getClassName() === 'Dense');
  return new Map(dense.slice(0, -1).map((l, i) => [`hidden-${i + 1}`, l]));
}

/**
 * A model sharing `model`'s layers (and weights) whose outputs are [logits, ...the named activations].
 *
 * @example featureModel(student, ['hidden-2']).apply(x, { training: true }) // [logits [B, C], hidden-2 [B, H]]
 */
export function featureModel(model: tfl.LayersModel, names: string[], role = 'model'): tfl.LayersModel {
  const layers = hiddenLayers(model);
  const outputs = names.map((n) => {
    const layer = layers.get(n);
    if (!layer) throw new DistilleryError('CONFIG', `${role} features: unknown activation "${n}", expected one of ${[...layers.keys()].join(', ') || '(none: no hidden layers)'}`);
    return layer.output as tfl.SymbolicTensor;
  });
  return tf.model({ inputs: model.inputs, outputs: [model.outputs[0], ...outputs] });
}
