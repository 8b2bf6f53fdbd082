import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { selectBackend } from '../engine/backend.js';
import { DistilleryError } from '../errors.js';
import { registerNativeBackend } from './index.js';

// This file runs in its own worker: pointing the loader at a missing file simulates an unbuilt addon.
process.env.DISTILLERY_NATIVE_PATH = '/nonexistent/distillery_native.node';

describe('without the addon', () => {
  it('registerNativeBackend throws the one-line BACKEND error with the install hint', () => {
    let err: unknown;
    try {
      registerNativeBackend({});
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(DistilleryError);
    expect((err as DistilleryError).code).toBe('BACKEND');
    expect((err as DistilleryError).message).toBe('backend native: addon not built (install libopenblas-dev, then npm rebuild)');
    expect((err as DistilleryError).message).not.toContain('\n');
  });
  it('selectBackend("auto") falls back to wasm with a note', async () => {
    const info = await selectBackend('auto');
    expect(info.name).toBe('wasm');
    expect(info.note).toContain('native unavailable');
    expect(tf.getBackend()).toBe('wasm');
  });
  it('selectBackend("native") is an error, not a silent fallback', async () => {
    await expect(selectBackend('native')).rejects.toMatchObject({ code: 'BACKEND' });
  });
});
