/**
 * Teachers a job can learn from: TF.js layers models (model.json + weights), ONNX files (checked and stored
 * for pipelines that take them), and records of OpenAI-compatible endpoints (no secrets: the name of the
 * environment variable that holds the key).
 */
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { isDistilleryError, loadModel, onnxTeacher, selectBackend } from '../index.js';
import type { Upload } from './datasets.js';
import { safeFileName } from './files.js';
import { badRequest } from './http.js';
import type { TeacherRow } from './store.js';

let backendReady: Promise<unknown> | undefined;
/** The server process runs small models (upload checks, soft targets) on the pure-JS cpu backend. */
export const ensureBackend = (): Promise<unknown> => (backendReady ??= selectBackend('cpu'));

/** `POST /api/teachers/endpoint` body. */
export const EndpointSchema = z.strictObject({
  name: z.string().min(1).max(100),
  baseUrl: z.url({ protocol: /^https?$/ }),
  model: z.string().min(1).max(200),
  /** Name of the environment variable holding the API key, read by the pipeline that calls it. */
  apiKeyEnv: z.string().regex(/^[A-Z_][A-Z0-9_]*$/, 'an environment variable name like OPENAI_API_KEY').optional(),
});

const rethrow = (e: unknown, dir: string, field: string): never => {
  if (isDistilleryError(e)) throw badRequest(`${field}: ${e.message.split(dir + path.sep).join('')}`, 'MODEL');
  throw e;
};

async function describeTfjs(dir: string, files: Upload[]): Promise<Record<string, unknown>> {
  if (!files.some((f) => f.name === 'model.json')) throw badRequest('files: expected model.json with its weight files (.bin), or one .onnx file', 'MODEL');
  for (const f of files) fs.writeFileSync(path.join(dir, f.name), f.bytes);
  let manifest: { weightsManifest?: { paths?: unknown[] }[] };
  try {
    manifest = JSON.parse(fs.readFileSync(path.join(dir, 'model.json'), 'utf8'));
  } catch {
    throw badRequest('files (model.json): expected JSON', 'MODEL');
  }
  // Weight paths come from the client's model.json: plain names in this folder only.
  for (const [g, group] of (manifest.weightsManifest ?? []).entries()) {
    for (const [i, p] of (group.paths ?? []).entries()) safeFileName(String(p), `model.json weightsManifest[${g}].paths[${i}]`);
  }
  await ensureBackend();
  const model = await loadModel(dir).catch((e) => rethrow(e, dir, 'files'));
  try {
    const input = model.inputs[0].shape;
    const output = model.outputs[0].shape;
    if (model.inputs.length !== 1 || input.length !== 2 || output.length !== 2) {
      throw badRequest(`files (model.json): expected one input [B, D] and output [B, C], got ${JSON.stringify(input)} -> ${JSON.stringify(output)}`, 'MODEL');
    }
    const units = model.layers.map((l) => (l.getConfig() as { units?: number }).units).filter((u): u is number => typeof u === 'number');
    return { format: 'tfjs-layers', features: input[1], classes: output[1], params: model.countParams(), hidden: units.slice(0, -1) };
  } finally {
    model.dispose();
  }
}

async function describeOnnx(dir: string, f: Upload): Promise<Record<string, unknown>> {
  const file = path.join(dir, 'model.onnx');
  fs.writeFileSync(file, f.bytes);
  const t = await onnxTeacher(file).catch((e) => rethrow(e, dir, `files[0] (${f.name})`));
  await t.dispose();
  return { format: 'onnx', inputName: t.inputName, outputName: t.outputName };
}

/**
 * Checks uploaded teacher files into `dir` (a staging folder) and describes them.
 *
 * @example await ingestTeacher(dir, [{ name: 'model.json', bytes }, { name: 'weights.bin', bytes }]) // { kind: 'tfjs', info }
 */
export async function ingestTeacher(dir: string, uploads: Upload[]): Promise<{ kind: TeacherRow['kind']; info: Record<string, unknown> }> {
  if (uploads.length === 0) throw badRequest('files: expected model.json with its weight files, or one .onnx file');
  const files = uploads.map((u, i) => ({ ...u, name: safeFileName(u.name, `files[${i}].name`) }));
  if (files.length === 1 && files[0].name.toLowerCase().endsWith('.onnx')) return { kind: 'onnx', info: await describeOnnx(dir, files[0]) };
  return { kind: 'tfjs', info: await describeTfjs(dir, files) };
}
