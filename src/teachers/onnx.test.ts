import * as tf from '@tensorflow/tfjs-core';
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import fixture from '../../test/fixtures/tiny_mlp.json' with { type: 'json' };
import { tmpDir } from '../../test/helpers.js';
import '../engine/setup.js';
import { precomputedTeacher, precomputeLogits } from './async.js';
import { functionTeacher } from './function.js';
import { onnxTeacher } from './onnx.js';
import { teacherLogitsFor } from './teacher.js';

// A seeded 8-16-4 MLP exported by PyTorch, with PyTorch's logits: test/fixtures/make_onnx_teacher.py
const MODEL = path.join(import.meta.dirname, '../../test/fixtures/tiny_mlp.onnx');
const x = new Float32Array(fixture.x.flat()); // [5, 8]
const B = fixture.x.length;

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('onnx teacher', () => {
  it('gives the logits PyTorch computed for the same model and inputs', async () => {
    const teacher = await onnxTeacher(MODEL);
    expect([teacher.inputName, teacher.outputName]).toEqual([fixture.input, fixture.output]);
    const { data, shape } = await teacher.logitsAsync(x, [B, 8]);
    expect(shape).toEqual([5, 4]);
    fixture.logits.flat().forEach((v, i) => expect(data[i]).toBeCloseTo(v, 5));
    // the batch axis is dynamic: two rows give the first two rows' logits
    const two = await teacher.logitsAsync(x.subarray(0, 16), [2, 8]);
    fixture.logits.slice(0, 2).flat().forEach((v, i) => expect(two.data[i]).toBeCloseTo(v, 5));
    await teacher.dispose();
  });

  it('precomputeLogits runs it in batches into one array; precomputedTeacher serves those rows synchronously', async () => {
    const teacher = await onnxTeacher(MODEL, { inputName: 'pixels', outputName: 'logits' });
    const z = await precomputeLogits(teacher, x, B, 8, 2); // batches of 2, 2, 1
    expect(z.classes).toBe(4);
    fixture.logits.flat().forEach((v, i) => expect(z.data[i]).toBeCloseTo(v, 5));
    const sync = precomputedTeacher(x, 8, z);
    const again = teacherLogitsFor(sync, x, B, 8, 3); // what the distill loop does with a sync teacher
    expect(Array.from(again.data)).toEqual(Array.from(z.data));
    const rows = tf.tensor2d([fixture.x[3], fixture.x[1]]);
    expect(Array.from(sync.logits(rows).dataSync())).toEqual([...z.data.subarray(12, 16), ...z.data.subarray(4, 8)]);
    expect(() => sync.logits(tf.zeros([1, 8]))).toThrow('precomputed teacher: input row 0 is not in the precomputed set');
    await teacher.dispose();
  });

  it('precomputeLogits also takes a synchronous teacher', async () => {
    const z = await precomputeLogits(functionTeacher((v) => tf.mul(v, 2) as tf.Tensor2D), x, B, 8, 3);
    expect(Array.from(z.data)).toEqual(Array.from(x).map((v) => v * 2));
  });

  it('bad files, names and shapes fail with one line saying what was expected', async () => {
    await expect(onnxTeacher('missing.onnx')).rejects.toThrow('missing.onnx: ONNX model file not found');
    const junk = path.join(tmpDir(), 'junk.onnx');
    fs.writeFileSync(junk, 'not a model');
    await expect(onnxTeacher(junk)).rejects.toThrow(/junk\.onnx: expected an ONNX model, got [^\n]+$/);
    await expect(onnxTeacher(MODEL, { inputName: 'x' })).rejects.toThrow('tiny_mlp.onnx: unknown input "x", expected one of pixels');
    const teacher = await onnxTeacher(MODEL);
    await expect(teacher.logitsAsync(x, [5, 7])).rejects.toThrow('input: expected 5 × 7 = 35 floats for [5, 7], got 40');
    await expect(teacher.logitsAsync(x.subarray(0, 35), [5, 7])).rejects.toThrow(/inference on \[5, 7\] failed/);
    await teacher.dispose();
  });
});
