import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { DistilleryError } from '../errors.js';
import { selectBackend } from './backend.js';
import { Rng, restoreMathRandom, setSeed } from './seed.js';

describe('backend selection', () => {
  it('wasm and cpu start, and the active backend is reported', async () => {
    expect((await selectBackend('wasm')).name).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
    expect((await selectBackend('cpu')).name).toBe('cpu');
    expect(tf.getBackend()).toBe('cpu');
  });

  it('an unknown backend is a USAGE error listing the valid ones', async () => {
    const e = await selectBackend('tpu').catch((x) => x);
    expect(e).toBeInstanceOf(DistilleryError);
    expect(e.message).toBe('--backend: expected one of auto|native|wasm|cpu, got "tpu"');
  });
});

describe('seeding', () => {
  it('the same seed gives the same weights and dropout masks', () => {
    const draw = () => {
      setSeed(42);
      const w = tf.randomUniform([5]).dataSync();
      const mask = tf.randomUniform([5]).dataSync();
      return [...w, ...mask];
    };
    const a = draw();
    expect(draw()).toEqual(a);
    setSeed(43);
    expect(Array.from(tf.randomUniform([5]).dataSync())).not.toEqual(a.slice(0, 5));
    restoreMathRandom();
  });

  it('Rng shuffles are permutations and repeatable', () => {
    const a = new Rng(5).shuffle(Int32Array.from({ length: 100 }, (_, i) => i));
    const b = new Rng(5).shuffle(Int32Array.from({ length: 100 }, (_, i) => i));
    expect(Array.from(a)).toEqual(Array.from(b));
    expect(Array.from(a).sort((x, y) => x - y)).toEqual(Array.from({ length: 100 }, (_, i) => i));
  });
});
