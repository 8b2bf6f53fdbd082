import { unzipSync, zipSync } from 'fflate';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildMlp, loadModel, saveModel, selectBackend } from '../src/index.js';
import { auth, form, miniMnistFiles, testApp, tinyHinton, waitForJob } from './server-helpers.js';
import { tmpDir } from './helpers.js';

let t: ReturnType<typeof testApp>;
const req = (p: string, init: RequestInit = {}) => t.app.request(p, { ...init, headers: { ...auth, ...(init.headers as Record<string, string>) } });
const get = async (p: string) => (await req(p)).json();
const postJson = (p: string, body: unknown) => req(p, { method: 'POST', body: JSON.stringify(body), headers: { 'Content-Type': 'application/json' } });
const upload = (p: string, files: { name: string; bytes: Uint8Array }[], name?: string) => req(p, { method: 'POST', body: form(files, name) });

async function expectError(res: Response, status: number, message: string | RegExp) {
  const body = await res.json();
  expect({ status: res.status, body }).toMatchObject({ status, body: { error: { code: expect.any(String), message: typeof message === 'string' ? expect.stringContaining(message) : expect.stringMatching(message) } } });
  expect(JSON.stringify(body)).not.toMatch(/\n\s+at |stack/);
}

let mnistId: string;
beforeAll(async () => {
  t = testApp({ maxUploadBytes: 2 << 20 });
  const res = await upload('/api/datasets', miniMnistFiles({ gzip: true }), 'mini');
  expect(res.status).toBe(201);
  mnistId = (await res.json()).id;
});
afterAll(async () => t.close());

describe('auth and errors', () => {
  it.each([
    ['GET', '/api/jobs'],
    ['POST', '/api/jobs'],
    ['GET', '/api/datasets'],
    ['DELETE', '/api/datasets/ds_000000000000'],
    ['GET', '/api/teachers'],
    ['GET', '/api/openapi.json'],
    ['GET', '/api/jobs/job_000000000000/events'],
  ])('%s %s without a token is 401', async (method, p) => {
    const res = await t.app.request(p, { method });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe('Bearer');
    await expectError(res, 401, /Authorization: Bearer/);
    const wrong = await t.app.request(p, { method, headers: { Authorization: 'Bearer nope' } });
    expect(wrong.status).toBe(401);
  });

  it('unknown routes and ids are JSON 404s; no CORS headers by default', async () => {
    await expectError(await req('/api/nothing'), 404, 'no route GET /api/nothing');
    await expectError(await req('/api/jobs/job_0123456789ab'), 404, 'job "job_0123456789ab" not found');
    await expectError(await req('/api/datasets/nope'), 404, 'dataset "nope" not found');
    await expectError(await req('/api/teachers/tc_0123456789ab'), 404, 'not found');
    const res = await req('/api/jobs', { headers: { Origin: 'http://evil.example' } });
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
  });

  it('serves the dashboard and vendored bundles without a token, nothing else from disk', async () => {
    expect((await t.app.request('/')).headers.get('content-type')).toContain('text/html');
    expect((await t.app.request('/vendor/chart.umd.min.js')).status).toBe(200);
    expect((await t.app.request('/vendor/..%2Fpackage.json')).status).toBe(404);
    expect((await t.app.request('/..%2F..%2Fpackage.json')).status).toBe(404);
    expect((await t.app.request('/vendor/constructor')).status).toBe(404);
  });

  it('the OpenAPI document lists every /api route', async () => {
    const doc = await get('/api/openapi.json');
    expect(doc.openapi).toBe('3.1.0');
    const documented = new Set(Object.entries<Record<string, unknown>>(doc.paths).flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${p}`)));
    const routes = t.app.routes
      .filter((r) => r.path.startsWith('/api/') && r.method !== 'ALL')
      .map((r) => `${r.method} ${r.path.replace(/:(\w+)/g, '{$1}')}`);
    expect(routes.length).toBeGreaterThan(15);
    for (const r of routes) expect(documented, r).toContain(r);
    expect(doc.components.schemas.HintonConfig.properties.distilled).toBeDefined();
  });
});

describe('datasets', () => {
  it('inspects an uploaded MNIST dataset: counts, classes, shapes', async () => {
    const d = await get(`/api/datasets/${mnistId}`);
    expect(d).toMatchObject({ id: mnistId, name: 'mini', kind: 'mnist', info: { classes: 10, features: 784, train: { count: 300, shape: [300, 28, 28] }, test: { count: 100, shape: [100, 28, 28] } } });
    expect(d.info.train.classCounts.reduce((a: number, b: number) => a + b, 0)).toBe(300);
    expect((await get('/api/datasets')).datasets.map((x: { id: string }) => x.id)).toContain(mnistId);
  });

  it('accepts a zip of the idx files and CSV/TSV/JSONL/text files', async () => {
    const zip = zipSync(Object.fromEntries(miniMnistFiles({ train: 50, test: 20 }).map((f) => [`mnist/${f.name}`, f.bytes])));
    const z = await upload('/api/datasets', [{ name: 'mnist.zip', bytes: zip }]);
    expect(z.status).toBe(201);
    expect((await z.json()).info.train.count).toBe(50);
    const cases: [string, string, Record<string, unknown>][] = [
      ['spam.csv', 'label,text\nham,"hi, there"\nspam,win\n', { kind: 'table', info: { rows: 2, columns: ['label', 'text'] } }],
      ['spam.tsv', 'label\ttext\nham\thi\n', { kind: 'table', info: { rows: 1 } }],
      ['qa.jsonl', '{"q":"a"}\n{"q":"b","a":1}\n', { kind: 'jsonl', info: { records: 2, keys: ['q', 'a'] } }],
      ['book.txt', 'one\ntwo\nthree\n', { kind: 'text', info: { lines: 3 } }],
    ];
    for (const [name, text, expected] of cases) {
      const res = await upload('/api/datasets', [{ name, bytes: Buffer.from(text) }]);
      expect(res.status, name).toBe(201);
      expect(await res.json()).toMatchObject(expected);
    }
  });

  it('refuses bad content with the file and problem named, and leaves nothing behind', async () => {
    const before = fs.readdirSync(path.join(t.dataDir, 'datasets')).length;
    const files = miniMnistFiles({ train: 20, test: 10 });
    const bad = files.map((f) => (f.name === 'train-images-idx3-ubyte' ? { ...f, bytes: Buffer.concat([Buffer.from([0, 0, 8, 4]), f.bytes.subarray(4)]) } : f));
    await expectError(await upload('/api/datasets', bad), 400, 'files[2] (train-images-idx3-ubyte): expected idx magic 2051, got 2052');
    await expectError(await upload('/api/datasets', files.slice(1)), 400, 'files: expected the four MNIST files, missing t10k-images-idx3-ubyte(.gz)');
    const truncated = files.map((f) => (f.name === 't10k-labels-idx1-ubyte' ? { ...f, bytes: f.bytes.subarray(0, 12) } : f));
    await expectError(await upload('/api/datasets', truncated), 400, /t10k-labels-idx1-ubyte\): expected 10 data bytes/);
    await expectError(await upload('/api/datasets', [{ name: 'x.csv', bytes: Buffer.from('a,b\n1\n') }]), 400, 'files[0] (x.csv) line 2: expected 2 fields, got 1');
    await expectError(await upload('/api/datasets', [{ name: 'x.jsonl', bytes: Buffer.from('{"a":1}\n{oops\n') }]), 400, 'line 2: expected a JSON object');
    await expectError(await upload('/api/datasets', [{ name: 'x.txt', bytes: Buffer.from([0xff, 0xfe, 0x00]) }]), 400, 'expected UTF-8 text');
    await expectError(await upload('/api/datasets', [{ name: 'x.exe', bytes: Buffer.from('MZ') }]), 400, /files\[0\]\.name: expected MNIST idx files/);
    await expectError(await upload('/api/datasets', []), 400, 'files: expected at least one file');
    await expectError(await req('/api/datasets', { method: 'POST', body: 'x' }), 400, 'expected multipart/form-data');
    const textField = new FormData();
    textField.set('files', 'not a file');
    await expectError(await req('/api/datasets', { method: 'POST', body: textField }), 400, 'body.files.0: expected File, got "not a file"');
    const extra = form(files);
    extra.set('owner', 'me');
    await expectError(await req('/api/datasets', { method: 'POST', body: extra }), 400, 'body.owner: unknown key');
    expect(fs.readdirSync(path.join(t.dataDir, 'datasets')).length).toBe(before);
    expect(fs.readdirSync(path.join(t.dataDir, 'tmp'))).toEqual([]);
  });

  it('refuses path traversal in file names and zip entries', async () => {
    const outside = path.join(t.dataDir, '..', 'evil.csv');
    await expectError(await upload('/api/datasets', [{ name: '../evil.csv', bytes: Buffer.from('a,b\n1,2\n') }]), 400, 'files[0].name: expected a plain file name');
    await expectError(await upload('/api/datasets', [{ name: '..', bytes: Buffer.from('x') }]), 400, 'expected a plain file name');
    const zip = zipSync({ '../../evil.csv': Buffer.from('a,b\n1,2\n') });
    await expectError(await upload('/api/datasets', [{ name: 'x.zip', bytes: zip }]), 400, 'escapes its folder');
    expect(fs.existsSync(outside)).toBe(false);
    await expectError(await req('/api/datasets/..%2F..%2Fdistillery.db'), 404, 'not found');
  });

  it('an upload over --max-upload-mb is a 413', async () => {
    await expectError(await upload('/api/datasets', [{ name: 'big.txt', bytes: Buffer.alloc(3 << 20, 97) }]), 413, 'body: expected at most 2097152 bytes');
  });

  it('deletes a dataset', async () => {
    const res = await upload('/api/datasets', [{ name: 'gone.txt', bytes: Buffer.from('x\n') }]);
    const { id } = await res.json();
    expect(fs.existsSync(path.join(t.dataDir, 'datasets', id, 'gone.txt'))).toBe(true);
    expect(await (await req(`/api/datasets/${id}`, { method: 'DELETE' })).json()).toEqual({ deleted: id });
    expect(fs.existsSync(path.join(t.dataDir, 'datasets', id))).toBe(false);
    await expectError(await req(`/api/datasets/${id}`), 404, 'not found');
    await expectError(await req(`/api/datasets/${id}`, { method: 'DELETE' }), 404, 'not found');
  });
});

describe('teachers', () => {
  let teacherId: string;
  it('uploads a TF.js model, lists, inspects and deletes it', async () => {
    await selectBackend('cpu');
    const dir = tmpDir();
    const m = buildMlp({ inputSize: 784, hidden: [12], classes: 10 });
    await saveModel(m, dir);
    const files = ['model.json', 'weights.bin'].map((name) => ({ name, bytes: fs.readFileSync(path.join(dir, name)) }));
    const res = await upload('/api/teachers', files, 'small');
    expect(res.status).toBe(201);
    const tc = await res.json();
    expect(tc).toMatchObject({ name: 'small', kind: 'tfjs', info: { features: 784, classes: 10, params: m.countParams(), hidden: [12] } });
    teacherId = tc.id;
    expect((await get('/api/teachers')).teachers.map((x: { id: string }) => x.id)).toContain(tc.id);
    expect((await get(`/api/teachers/${tc.id}`)).id).toBe(tc.id);
    // A weights manifest pointing outside the folder is refused.
    const evil = JSON.parse(files[0].bytes.toString());
    evil.weightsManifest[0].paths = ['../../token'];
    await expectError(await upload('/api/teachers', [{ name: 'model.json', bytes: Buffer.from(JSON.stringify(evil)) }]), 400, 'model.json weightsManifest[0].paths[0]: expected a plain file name');
    await expectError(await upload('/api/teachers', [files[0]]), 400, /weights file listed in model.json not found/);
    await expectError(await upload('/api/teachers', [{ name: 'bad.onnx', bytes: Buffer.from('not onnx') }]), 400, /files\[0\] \(bad.onnx\): .*expected an ONNX model/);
    const second = await (await upload('/api/teachers', files)).json();
    expect(await (await req(`/api/teachers/${second.id}`, { method: 'DELETE' })).json()).toEqual({ deleted: second.id });
    await expectError(await req(`/api/teachers/${second.id}`), 404, 'not found');
  });

  it('registers an OpenAI-compatible endpoint, with path-precise 400s', async () => {
    const res = await postJson('/api/teachers/endpoint', { name: 'local llm', baseUrl: 'http://127.0.0.1:8000/v1', model: 'qwen', apiKeyEnv: 'OPENAI_API_KEY' });
    expect(res.status).toBe(201);
    expect(await res.json()).toMatchObject({ kind: 'endpoint', info: { baseUrl: 'http://127.0.0.1:8000/v1', model: 'qwen' } });
    await expectError(await postJson('/api/teachers/endpoint', { name: 'x', baseUrl: 'ftp://x', model: 'm' }), 400, /^body\.baseUrl: /);
    await expectError(await postJson('/api/teachers/endpoint', { name: 'x', baseUrl: 'http://x', model: 'm', apiKey: 'sk' }), 400, 'body.apiKey: unknown key');
    await expectError(await req('/api/teachers/endpoint', { method: 'POST', body: '{', headers: { 'Content-Type': 'application/json' } }), 400, 'body: expected a JSON object');
  });

  it('a job learns from the uploaded teacher instead of training one', async () => {
    const res = await postJson('/api/jobs', { dataset: mnistId, teacher: teacherId, config: { backend: 'cpu', students: [{ name: 'student', hidden: [8], epochs: 1, batchSize: 64, loss: [{ name: 'kd', temperature: 4 }] }] } });
    expect(res.status).toBe(201);
    const job = await res.json();
    expect(job.config.teachers).toEqual([expect.objectContaining({ name: 'teacher', hidden: [12] })]);
    expect((await waitForJob(() => get(`/api/jobs/${job.id}`))).state).toBe('succeeded');
    const report = await get(`/api/jobs/${job.id}/report.json`);
    expect(report.runs.teacher.params).toBe(784 * 12 + 12 + 12 * 10 + 10);
    expect(report.runs.student.agreementWithTeacher).toBeGreaterThanOrEqual(0);
    await expectError(await postJson('/api/jobs', { dataset: mnistId, teacher: 'tc_0123456789ab', config: tinyHinton() }), 400, 'body.teacher: expected the id of an uploaded teacher');
  });
});

describe('jobs', () => {
  it('refuses bad job bodies with the failing path', async () => {
    await expectError(await postJson('/api/jobs', { dataset: mnistId, config: tinyHinton({ distilled: { hidden: [8], epochs: 1, temperature: -1 } }) }), 400, 'config.distilled.temperature: expected number > 0, got -1');
    await expectError(await postJson('/api/jobs', { dataset: mnistId, config: { ...tinyHinton(), data: '/etc' } }), 400, 'config.data: set by the server');
    await expectError(await postJson('/api/jobs', { dataset: 'ds_0123456789ab', config: tinyHinton() }), 400, 'body.dataset: expected the id of an uploaded dataset, got "ds_0123456789ab"');
    await expectError(await postJson('/api/jobs', { config: tinyHinton() }), 400, 'body.dataset: expected string, got nothing');
    await expectError(await postJson('/api/jobs', { dataset: mnistId, config: tinyHinton(), extra: 1 }), 400, 'body.extra: unknown key');
    await expectError(await postJson('/api/jobs', { dataset: mnistId, config: { teachers: [], students: [] } }), 400, 'config.teachers: expected length ≥ 1, got []');
    await expectError(await postJson('/api/jobs', { dataset: mnistId, config: tinyHinton({ trainExamples: 5000 }) }), 400, 'config.trainExamples: expected ≤ 300');
    expect((await get('/api/jobs')).jobs.every((j: { state: string }) => j.state !== 'failed')).toBe(true);
  });

  it('runs a job: events, report, student download, soft targets, delete', async () => {
    const res = await postJson('/api/jobs', { name: 'tiny', dataset: mnistId, config: tinyHinton() });
    expect(res.status).toBe(201);
    const job = await res.json();
    expect(job).toMatchObject({ name: 'tiny', state: expect.stringMatching(/queued|running/), form: 'hinton', runs: ['teacher', 'baseline', 'distilled'] });
    await expectError(await req(`/api/jobs/${job.id}/report.json`), 404, 'has no report.json yet');

    // The event stream replays from the start and ends when the job does.
    const sse = await (await req(`/api/jobs/${job.id}/events`)).text();
    const events = [...sse.matchAll(/event: (\w+)\ndata: (.*)\n/g)].map((m) => ({ type: m[1], data: JSON.parse(m[2]) }));
    expect(events.filter((e) => e.type === 'state').map((e) => e.data.state)).toEqual(['queued', 'running', 'succeeded']);
    expect(events.filter((e) => e.type === 'epoch').map((e) => e.data.run)).toEqual(['teacher', 'baseline', 'distilled']);
    expect(events.at(-1)).toEqual({ type: 'end', data: { state: 'succeeded' } });
    const replay = await (await req(`/api/jobs/${job.id}/events`, { headers: { 'Last-Event-ID': '3' } })).text();
    expect(replay).not.toMatch(/^id: [123]$/m);
    expect(replay).toMatch(/^id: 4$/m);

    const done = await get(`/api/jobs/${job.id}`);
    expect(done).toMatchObject({ state: 'succeeded', attempts: 1, hasReport: true, error: null });
    const report = await get(`/api/jobs/${job.id}/report.json`);
    expect(Object.keys(report.runs)).toEqual(['teacher', 'baseline', 'distilled']);
    expect(report.testExamples).toBe(100);
    expect(await (await req(`/api/jobs/${job.id}/report.md`)).text()).toContain('| distilled |');

    const zipRes = await req(`/api/jobs/${job.id}/models/distilled.zip`);
    expect(zipRes.headers.get('content-type')).toBe('application/zip');
    const files = unzipSync(new Uint8Array(await zipRes.arrayBuffer()));
    expect(Object.keys(files).sort()).toEqual(['distilled/model.json', 'distilled/weights.bin']);
    const dir = tmpDir();
    for (const [n, b] of Object.entries(files)) fs.writeFileSync(path.join(dir, path.basename(n)), b);
    const model = await loadModel(dir);
    expect(model.countParams()).toBe(report.runs.distilled.params);
    await expectError(await req(`/api/jobs/${job.id}/models/..%2F..%2Ftoken`), 404, 'not found');
    await expectError(await req(`/api/jobs/${job.id}/models/nobody`), 404, 'run in job');

    const soft = await get(`/api/jobs/${job.id}/soft-targets?example=3`);
    expect(soft).toMatchObject({ run: 'teacher', example: 3, height: 28, width: 28 });
    expect(soft.temperatures.map((x: { temperature: number }) => x.temperature)).toEqual([1, 4, 20]);
    for (const { probs } of soft.temperatures) expect(probs.reduce((a: number, b: number) => a + b, 0)).toBeCloseTo(1, 6);
    // Higher temperature, softer targets: the top probability falls.
    const top = soft.temperatures.map((x: { probs: number[] }) => Math.max(...x.probs));
    expect(top[0]).toBeGreaterThan(top[2]);
    await expectError(await req(`/api/jobs/${job.id}/soft-targets?example=100`), 400, 'query.example: expected integer < 100 (test examples), got 100');
    await expectError(await req(`/api/jobs/${job.id}/soft-targets?example=-1`), 400, /^query\.example: /);
    await expectError(await req(`/api/jobs/${job.id}/soft-targets?run=../x`), 400, /^query\.run: /);

    await expectError(await req(`/api/jobs/${job.id}/cancel`, { method: 'POST' }), 409, 'is already succeeded');
    expect(await (await req(`/api/jobs/${job.id}`, { method: 'DELETE' })).json()).toEqual({ deleted: job.id });
    expect(fs.existsSync(path.join(t.dataDir, 'jobs', job.id))).toBe(false);
    await expectError(await req(`/api/jobs/${job.id}`), 404, 'not found');
    await expectError(await req(`/api/jobs/${job.id}/events`), 404, 'not found');
  });

  it('cancels a running job; an unfinished job and its dataset cannot be deleted', async () => {
    const job = await (await postJson('/api/jobs', { dataset: mnistId, config: tinyHinton({ baseline: { hidden: [8], epochs: 200, batchSize: 16 } }) })).json();
    await expectError(await req(`/api/jobs/${job.id}`, { method: 'DELETE' }), 409, 'cancel it first');
    await expectError(await req(`/api/datasets/${mnistId}`, { method: 'DELETE' }), 409, job.id);
    await waitForJob(async () => ({ state: (await get(`/api/jobs/${job.id}`)).state === 'running' ? 'succeeded' : 'waiting' }));
    const res = await req(`/api/jobs/${job.id}/cancel`, { method: 'POST' });
    expect(res.status).toBe(202);
    expect((await waitForJob(() => get(`/api/jobs/${job.id}`))).state).toBe('cancelled');
    expect(await (await req(`/api/jobs/${job.id}`, { method: 'DELETE' })).json()).toEqual({ deleted: job.id });
  });

  it('a job whose data cannot be read fails with the reason', async () => {
    const res = await upload('/api/datasets', miniMnistFiles({ train: 30, test: 10 }));
    const ds = await res.json();
    fs.rmSync(path.join(t.dataDir, 'datasets', ds.id, 't10k-images-idx3-ubyte'));
    const job = await (await postJson('/api/jobs', { dataset: ds.id, config: tinyHinton() })).json();
    const done = await waitForJob(() => get(`/api/jobs/${job.id}`));
    expect(done).toMatchObject({ state: 'failed', error: expect.stringContaining('t10k-images-idx3-ubyte: file not found') });
    expect(done.error).not.toContain(t.dataDir);
  });
});
