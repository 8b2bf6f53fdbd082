import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import fs from 'node:fs';
import path from 'node:path';
import { DistilleryError } from '../errors.js';
import { readJson, writeFileAtomic, writeJsonAtomic } from '../fsutil.js';
import { loadModel, saveModel } from '../models/io.js';

/** What is saved at the end of every epoch, besides the weights. */
export interface CheckpointState<H> {
  epoch: number; // epochs completed
  rngState: number;
  /** The generator behind Math.random, which TF.js uses for dropout masks. */
  globalRngState: number;
  history: H[];
}

interface OptimizerManifest {
  tensors: { name: string; shape: number[] }[];
}

/** Writes the optimizer's state (moments, iteration count) as `dir/optimizer.bin` + `dir/optimizer.json`. */
export async function saveOptimizerState(dir: string, optimizer: tf.Optimizer): Promise<void> {
  const named = await optimizer.getWeights();
  const manifest: OptimizerManifest = { tensors: [] };
  const parts: Float32Array[] = [];
  for (const { name, tensor } of named) {
    manifest.tensors.push({ name, shape: tensor.shape });
    parts.push((await tensor.data()) as Float32Array);
  }
  const total = parts.reduce((n, p) => n + p.length, 0);
  const flat = new Float32Array(total);
  let off = 0;
  for (const p of parts) {
    flat.set(p, off);
    off += p.length;
  }
  writeFileAtomic(path.join(dir, 'optimizer.bin'), new Uint8Array(flat.buffer));
  writeJsonAtomic(path.join(dir, 'optimizer.json'), manifest);
}

/** Restores what `saveOptimizerState` wrote into `optimizer` (variables matched by order). */
export async function loadOptimizerState(dir: string, optimizer: tf.Optimizer): Promise<void> {
  const manifest = readJson<OptimizerManifest>(path.join(dir, 'optimizer.json'));
  const buf = fs.readFileSync(path.join(dir, 'optimizer.bin'));
  const flat = new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
  let off = 0;
  const named = manifest.tensors.map(({ name, shape }) => {
    const n = shape.reduce((a, b) => a * b, 1);
    const tensor = tf.tensor(flat.subarray(off, off + n), shape);
    off += n;
    return { name, tensor };
  });
  await optimizer.setWeights(named);
  named.forEach(({ tensor }) => tensor.dispose());
}

/**
 * Checkpoints live in `dir/epoch-N/` (student, optimizer state, state.json). `dir/latest.json` is
 * written last and atomically, so a kill at any moment leaves the previous complete checkpoint in use.
 */
export async function saveCheckpoint<H>(dir: string, student: tfl.LayersModel, optimizer: tf.Optimizer, state: CheckpointState<H>): Promise<void> {
  const epochDir = path.join(dir, `epoch-${state.epoch}`);
  fs.rmSync(epochDir, { recursive: true, force: true });
  await saveModel(student, path.join(epochDir, 'student'));
  await saveOptimizerState(epochDir, optimizer);
  writeJsonAtomic(path.join(epochDir, 'state.json'), state);
  const prev = readLatest(dir);
  writeJsonAtomic(path.join(dir, 'latest.json'), { epoch: state.epoch });
  if (prev !== undefined && prev !== state.epoch) fs.rmSync(path.join(dir, `epoch-${prev}`), { recursive: true, force: true });
}

function readLatest(dir: string): number | undefined {
  const f = path.join(dir, 'latest.json');
  if (!fs.existsSync(f)) return undefined;
  return readJson<{ epoch: number }>(f).epoch;
}

/**
 * Restores the last checkpoint into `student` and `optimizer`. Returns undefined when there is none.
 */
export async function loadCheckpoint<H>(dir: string, student: tfl.LayersModel, optimizer: tf.Optimizer): Promise<CheckpointState<H> | undefined> {
  const epoch = readLatest(dir);
  if (epoch === undefined) return undefined;
  const epochDir = path.join(dir, `epoch-${epoch}`);
  try {
    const saved = await loadModel(path.join(epochDir, 'student'));
    const weights = saved.getWeights();
    student.setWeights(weights);
    saved.dispose();
    await loadOptimizerState(epochDir, optimizer);
    return readJson<CheckpointState<H>>(path.join(epochDir, 'state.json'));
  } catch (e) {
    if (e instanceof DistilleryError) throw new DistilleryError('CHECKPOINT', `${epochDir}: ${e.message}`);
    throw new DistilleryError('CHECKPOINT', `${epochDir}: unreadable checkpoint (${(e as Error).message})`);
  }
}
