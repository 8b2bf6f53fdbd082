import type { Context, MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { Upload } from '../datasets.js';
import { z } from 'zod';
import { badRequest, errorJson, validate } from '../http.js';
import type { Runner } from '../runner.js';
import type { Store } from '../store.js';

/** What every route module gets. */
export interface ServerDeps {
  store: Store;
  runner: Runner;
  dataDir: string;
  /** Largest accepted upload body, in bytes. */
  maxUploadBytes: number;
}

/** 413 with the JSON error body when a request body is larger than `max` bytes. */
export const limit = (max: number): MiddlewareHandler =>
  bodyLimit({ maxSize: max, onError: (c) => errorJson(c, 413, 'TOO_LARGE', `body: expected at most ${max} bytes (--max-upload-mb), got more`) });

/** A multipart upload: one or more `files` and an optional display `name`. */
export const UploadFormSchema = z.strictObject({
  name: z.string().trim().min(1).max(100).optional(),
  files: z.array(z.instanceof(File)).default([]),
});

/** The `files` fields of a multipart upload, plus its optional `name` field. */
export async function readUploads(c: Context): Promise<{ name?: string; files: Upload[] }> {
  if (!(c.req.header('content-type') ?? '').startsWith('multipart/form-data')) {
    throw badRequest('body: expected multipart/form-data with one or more "files" fields');
  }
  let body: Record<string, unknown>;
  try {
    body = await c.req.parseBody({ all: true });
  } catch {
    throw badRequest('body: unreadable multipart/form-data');
  }
  const form = validate(UploadFormSchema, { ...body, ...(body.files !== undefined ? { files: [body.files].flat() } : {}) }, 'body');
  const files: Upload[] = [];
  for (const f of form.files) files.push({ name: f.name, bytes: new Uint8Array(await f.arrayBuffer()) });
  return { name: form.name, files };
}
