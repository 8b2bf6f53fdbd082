import * as tf from '@tensorflow/tfjs-core';
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { tmpDir } from '../../test/helpers.js';
import { selectBackend } from '../engine/backend.js';
import { setSeed } from '../engine/seed.js';
import { loadModel, modelBytes, saveModel } from './io.js';
import { buildMlp } from './mlp.js';

beforeAll(async () => {
  await selectBackend('cpu');
});

describe('saving and loading models', () => {
  it('a saved student reloads and predicts identically', async () => {
    setSeed(1);
    const model = buildMlp({ inputSize: 784, hidden: [32, 16], classes: 10, dropout: 0.5 });
    const dir = path.join(tmpDir(), 'student');
    const bytes = await saveModel(model, dir);
    expect(fs.readdirSync(dir).sort()).toEqual(['model.json', 'weights.bin']);
    const params = 784 * 32 + 32 + 32 * 16 + 16 + 16 * 10 + 10;
    expect(model.countParams()).toBe(params);
    expect(fs.statSync(path.join(dir, 'weights.bin')).size).toBe(params * 4);
    expect(bytes).toBe(modelBytes(dir));

    const reloaded = await loadModel(dir);
    const x = tf.randomUniform([7, 784]);
    const a = (model.predict(x) as tf.Tensor).dataSync();
    const b = (reloaded.predict(x) as tf.Tensor).dataSync();
    expect(Array.from(b)).toEqual(Array.from(a));
    // The browser-facing manifest: TF.js layers format pointing at weights.bin.
    const json = JSON.parse(fs.readFileSync(path.join(dir, 'model.json'), 'utf8'));
    expect(json.format).toBe('layers-model');
    expect(json.weightsManifest[0].paths).toEqual(['weights.bin']);
  });

  it('a max-norm model reloads with its constraint and predicts the same to float precision', async () => {
    setSeed(3);
    const model = buildMlp({ inputSize: 20, hidden: [16], classes: 4, dropout: 0.5, maxNorm: 2 });
    const dir = path.join(tmpDir(), 'teacher');
    await saveModel(model, dir);
    const reloaded = await loadModel(dir);
    // Loading writes weights through the layer, which re-applies max-norm: w·n/(n + 1e-7), a 1e-7 relative change.
    const x = tf.randomUniform([5, 20]);
    const a = (model.predict(x) as tf.Tensor).dataSync();
    const b = (reloaded.predict(x) as tf.Tensor).dataSync();
    a.forEach((v, i) => expect(b[i]).toBeCloseTo(v, 5));
    const cfg = JSON.parse(fs.readFileSync(path.join(dir, 'model.json'), 'utf8')).modelTopology.config.layers[1].config;
    expect(cfg.kernel_constraint.config.max_value).toBe(2);
  });

  it('a missing or truncated weights file is a one-line MODEL error naming the file', async () => {
    setSeed(2);
    const dir = path.join(tmpDir(), 'm');
    await saveModel(buildMlp({ inputSize: 4, hidden: [3], classes: 2 }), dir);
    const w = path.join(dir, 'weights.bin');
    fs.writeFileSync(w, fs.readFileSync(w).subarray(0, 10));
    await expect(loadModel(dir)).rejects.toThrow(`${w}: expected ${(4 * 3 + 3 + 3 * 2 + 2) * 4} weight bytes, got 10`);
    fs.rmSync(w);
    await expect(loadModel(dir)).rejects.toThrow(`${w}: weights file listed in model.json not found`);
    await expect(loadModel(path.join(dir, 'nope'))).rejects.toThrow('model.json: model file not found');
  });
});
