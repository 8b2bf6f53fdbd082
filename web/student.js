// A downloaded student in this browser: unzip the TF.js files and load them into TF.js (cpu backend),
// the same model.json + weights.bin the server saved.
import { api } from './api.js';
import { unzipSync } from '/vendor/fflate.js';

/** Loads a zip of model.json + weight files as a tf.LayersModel. */
export async function loadStudentZip(bytes) {
  const files = unzipSync(new Uint8Array(bytes));
  const jsonName = Object.keys(files).find((n) => n.endsWith('model.json'));
  if (!jsonName) throw new Error('the zip holds no model.json');
  const dir = jsonName.slice(0, -'model.json'.length);
  const modelJson = JSON.parse(new TextDecoder().decode(files[jsonName]));
  const parts = modelJson.weightsManifest.flatMap((g) => g.paths.map((p) => files[dir + p]));
  const weightData = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let off = 0;
  for (const p of parts) {
    weightData.set(p, off);
    off += p.byteLength;
  }
  await tf.setBackend('cpu');
  return tf.loadLayersModel(tf.io.fromMemory({
    modelTopology: modelJson.modelTopology,
    weightSpecs: modelJson.weightsManifest.flatMap((g) => g.weights),
    weightData: weightData.buffer,
  }));
}

/** Downloads a job's trained model and loads it. */
export async function loadStudent(jobId, run) {
  const res = await api(`/jobs/${jobId}/models/${encodeURIComponent(run)}.zip`, { raw: true });
  return loadStudentZip(await res.arrayBuffer());
}

/** Predicted classes for rows of features (pixels scaled to [0, 1]). */
export function predictClasses(model, rows) {
  return tf.tidy(() => Array.from(tf.argMax(model.predict(tf.tensor2d(rows)), 1).dataSync()));
}

window.distillery = { loadStudent, loadStudentZip, predictClasses };
