import type * as tfc from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import fs from 'node:fs';
import path from 'node:path';
import { DistilleryError } from '../errors.js';
import { writeFileAtomic, writeJsonAtomic } from '../fsutil.js';

type ModelArtifacts = tfc.io.ModelArtifacts;

const WEIGHTS_FILE = 'weights.bin';

function concatWeightData(data: ModelArtifacts['weightData']): Uint8Array {
  if (!data) return new Uint8Array(0);
  const parts = Array.isArray(data) ? data : [data];
  const total = parts.reduce((n, p) => n + p.byteLength, 0);
  const out = new Uint8Array(total);
  let off = 0;
  for (const p of parts) {
    out.set(new Uint8Array(p), off);
    off += p.byteLength;
  }
  return out;
}

/**
 * A TF.js IOHandler on a folder: `model.json` + `weights.bin`, the same files `tf.loadLayersModel`
 * reads over HTTP in a browser. The weights are written first and model.json last, each atomically,
 * so a folder with a model.json always holds a complete model.
 */
export function fileHandler(dir: string): tfc.io.IOHandler {
  return {
    async save(artifacts: ModelArtifacts): Promise<tfc.io.SaveResult> {
      const weights = concatWeightData(artifacts.weightData);
      writeFileAtomic(path.join(dir, WEIGHTS_FILE), weights);
      const modelJson = {
        format: artifacts.format ?? 'layers-model',
        generatedBy: artifacts.generatedBy,
        convertedBy: 'distillery',
        modelTopology: artifacts.modelTopology,
        weightsManifest: [{ paths: [WEIGHTS_FILE], weights: artifacts.weightSpecs ?? [] }],
      };
      writeJsonAtomic(path.join(dir, 'model.json'), modelJson);
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON', weightDataBytes: weights.byteLength } };
    },
    async load(): Promise<ModelArtifacts> {
      const jsonPath = path.join(dir, 'model.json');
      if (!fs.existsSync(jsonPath)) throw new DistilleryError('MODEL', `${jsonPath}: model file not found`);
      let json: {
        modelTopology?: unknown;
        format?: string;
        weightsManifest?: { paths: string[]; weights: tfc.io.WeightsManifestEntry[] }[];
      };
      try {
        json = JSON.parse(fs.readFileSync(jsonPath, 'utf8'));
      } catch (e) {
        throw new DistilleryError('MODEL', `${jsonPath}: invalid JSON (${(e as Error).message})`);
      }
      if (!json.modelTopology || !Array.isArray(json.weightsManifest)) {
        throw new DistilleryError('MODEL', `${jsonPath}: expected a TF.js layers model (modelTopology + weightsManifest), got keys ${Object.keys(json).join(', ')}`);
      }
      const weightSpecs: tfc.io.WeightsManifestEntry[] = [];
      const buffers: Buffer[] = [];
      for (const group of json.weightsManifest) {
        weightSpecs.push(...group.weights);
        for (const p of group.paths) {
          const f = path.join(dir, p);
          if (!fs.existsSync(f)) throw new DistilleryError('MODEL', `${f}: weights file listed in model.json not found`);
          buffers.push(fs.readFileSync(f));
        }
      }
      const all = Buffer.concat(buffers);
      const expected = weightSpecs.reduce((n, s) => n + s.shape.reduce((a, b) => a * b, 1) * 4, 0);
      if (all.byteLength !== expected) {
        throw new DistilleryError('MODEL', `${path.join(dir, WEIGHTS_FILE)}: expected ${expected} weight bytes, got ${all.byteLength}`);
      }
      const weightData = all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength) as ArrayBuffer;
      return { modelTopology: json.modelTopology as object, format: json.format, weightSpecs, weightData };
    },
  };
}

/** Saves a layers model as `DIR/model.json` + `DIR/weights.bin`. Returns the bytes on disk. */
export async function saveModel(model: tfl.LayersModel, dir: string): Promise<number> {
  await model.save(fileHandler(dir));
  return modelBytes(dir);
}

/** Loads a layers model saved by `saveModel` (or any single-folder TF.js layers model). */
export async function loadModel(dir: string): Promise<tfl.LayersModel> {
  return tfl.loadLayersModel(fileHandler(dir));
}

/** Size on disk of a saved model folder (model.json + weight files). */
export function modelBytes(dir: string): number {
  return fs
    .readdirSync(dir)
    .filter((f) => f === 'model.json' || f.endsWith('.bin'))
    .reduce((n, f) => n + fs.statSync(path.join(dir, f)).size, 0);
}
