import fs from 'node:fs';
import path from 'node:path';
import { createApp } from '../src/server/app.js';
import { prepareDataDir } from '../src/server/files.js';
import { createRunner } from '../src/server/runner.js';
import { openStore } from '../src/server/store.js';
import { tmpDir, writeMiniMnist } from './helpers.js';

export const TOKEN = 'test-token-123456';
export const auth = { Authorization: `Bearer ${TOKEN}` };

/** An app over a fresh data dir, with its store and runner (call `close` when done). */
export function testApp(opts: { maxUploadBytes?: number; concurrency?: number } = {}) {
  const dataDir = tmpDir('distillery-server-');
  prepareDataDir(dataDir);
  const store = openStore(dataDir);
  // Workers at the same priority as the tests: on a busy machine niced training would make them slow.
  const runner = createRunner({ store, dataDir, concurrency: opts.concurrency ?? 2, workerNice: 0 });
  runner.start();
  const app = createApp({ store, runner, dataDir, token: TOKEN, maxUploadBytes: opts.maxUploadBytes ?? 20 << 20 });
  return {
    app,
    store,
    runner,
    dataDir,
    close: async () => {
      await runner.stop();
      store.close();
    },
  };
}

/** The four MNIST idx files of a small real subset, as { name, bytes }. */
export function miniMnistFiles(opts: { train?: number; test?: number; gzip?: boolean } = {}): { name: string; bytes: Buffer }[] {
  const dir = writeMiniMnist(tmpDir(), { train: 300, test: 100, ...opts });
  return fs.readdirSync(dir).sort().map((name) => ({ name, bytes: fs.readFileSync(path.join(dir, name)) }));
}

/** A multipart body with `files` (and `name`). */
export function form(files: { name: string; bytes: Uint8Array }[], name?: string): FormData {
  const f = new FormData();
  if (name) f.set('name', name);
  for (const file of files) f.append('files', new File([file.bytes as Uint8Array<ArrayBuffer>], file.name));
  return f;
}

/** A Hinton-form config that trains in about a second on the cpu backend. */
export const tinyHinton = (over: Record<string, unknown> = {}) => ({
  backend: 'cpu',
  seed: 1,
  teacher: { hidden: [16], epochs: 1, batchSize: 64, jitter: 0 },
  baseline: { hidden: [8], epochs: 1, batchSize: 64 },
  distilled: { hidden: [8], epochs: 1, batchSize: 64, temperature: 4, alpha: 0.9 },
  ...over,
});

/** Polls a job until it has finished. */
export async function waitForJob(get: () => Promise<{ state: string }>, timeoutMs = 60_000): Promise<{ state: string; [k: string]: unknown }> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const j = await get();
    if (['succeeded', 'failed', 'cancelled'].includes(j.state)) return j;
    if (Date.now() > deadline) throw new Error(`job still ${j.state} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
