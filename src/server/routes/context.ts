import type { Context, MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { Upload } from '../datasets.js';
import { badRequest, errorJson } from '../http.js';
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
  const unknown = Object.keys(body).find((k) => k !== 'files' && k !== 'name');
  if (unknown) throw badRequest(`body.${unknown}: unknown field (expected "files" and optionally "name")`);
  const raw = body.files === undefined ? [] : Array.isArray(body.files) ? body.files : [body.files];
  const files: Upload[] = [];
  for (const [i, f] of raw.entries()) {
    if (!(f instanceof File)) throw badRequest(`body.files[${i}]: expected a file, got text`);
    files.push({ name: f.name, bytes: new Uint8Array(await f.arrayBuffer()) });
  }
  const name = typeof body.name === 'string' ? body.name.trim() : undefined;
  if (name !== undefined && (name.length === 0 || name.length > 100)) throw badRequest('body.name: expected 1 to 100 characters');
  return { name, files };
}
