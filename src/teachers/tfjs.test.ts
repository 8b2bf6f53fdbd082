import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { tmpDir } from '../../test/helpers.js';
import '../engine/setup.js';
import { setSeed } from '../engine/seed.js';
import { saveModel } from '../models/io.js';
import { functionTeacher } from './function.js';
import { loadTfjsTeacher } from './tfjs.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

function smallModel(): tfl.LayersModel {
  const m = tfl.sequential();
  m.add(tfl.layers.dense({ inputShape: [6], units: 8, activation: 'relu', name: 'hidden' }));
  m.add(tfl.layers.dropout({ rate: 0.5, name: 'drop' }));
  m.add(tfl.layers.dense({ units: 3, name: 'out' }));
  return m;
}

describe('tfjs teacher', () => {
  it('loads a saved model folder and gives its logits and named layer outputs, in inference mode', async () => {
    setSeed(4);
    const model = smallModel();
    const dir = path.join(tmpDir(), 'teacher');
    await saveModel(model, dir);
    const teacher = await loadTfjsTeacher(dir, { features: ['hidden'] });
    const x = tf.randomNormal([5, 6], 0, 1, 'float32', 1) as tf.Tensor2D;
    const want = model.predict(x) as tf.Tensor;
    expect(Array.from(teacher.logits(x).dataSync())).toEqual(Array.from(want.dataSync()));
    const f = teacher.features!(x);
    expect(Object.keys(f)).toEqual(['hidden']);
    const hidden = tf.relu(tf.add(tf.matMul(x, model.getLayer('hidden').getWeights()[0]), model.getLayer('hidden').getWeights()[1]));
    expect(f.hidden.shape).toEqual([5, 8]);
    Array.from(f.hidden.dataSync()).forEach((v, i) => expect(v).toBeCloseTo(hidden.dataSync()[i], 5));
    // dropout is off: the same input gives the same logits twice
    expect(Array.from(teacher.logits(x).dataSync())).toEqual(Array.from(teacher.logits(x).dataSync()));
  });

  it('without feature names it has no features(); an unknown name lists the layers', async () => {
    const model = smallModel();
    const dir = path.join(tmpDir(), 'teacher');
    await saveModel(model, dir);
    expect((await loadTfjsTeacher(dir)).features).toBeUndefined();
    await expect(loadTfjsTeacher(dir, { features: ['block9'] })).rejects.toThrow('teacher features: unknown layer "block9", expected one of hidden, drop, out');
    await expect(loadTfjsTeacher(path.join(dir, 'nope'))).rejects.toThrow('model file not found');
  });

  it('functionTeacher exposes a features function when given one', () => {
    const t = functionTeacher((x) => tf.mul(x, 2) as tf.Tensor2D, (x) => ({ half: tf.div(x, 2) }));
    const x = tf.tensor2d([[1, 2]]);
    expect(Array.from(t.logits(x).dataSync())).toEqual([2, 4]);
    expect(Array.from(t.features!(x).half.dataSync())).toEqual([0.5, 1]);
    expect(functionTeacher((v) => v).features).toBeUndefined();
  });
});
