/**
 * HTTP errors: every failure is `{ "error": { "code", "message" } }` with a status, never a stack trace.
 * DistilleryError codes map to statuses here, in one place.
 */
import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { z } from 'zod';
import { formatZodError, isDistilleryError, type ErrorCode } from '../index.js';

export type HttpCode = ErrorCode | 'BAD_REQUEST' | 'UNAUTHORIZED' | 'NOT_FOUND' | 'CONFLICT' | 'TOO_LARGE' | 'INTERNAL';

/** An error with an HTTP status; thrown by routes and turned into JSON by `onError`. */
export class HttpError extends Error {
  constructor(
    readonly status: ContentfulStatusCode,
    readonly code: HttpCode,
    message: string,
  ) {
    super(message);
  }
}

export const notFound = (what: string, id: string): HttpError => new HttpError(404, 'NOT_FOUND', `${what} "${id}" not found`);
export const badRequest = (message: string, code: HttpCode = 'BAD_REQUEST'): HttpError => new HttpError(400, code, message);

const STATUS: Partial<Record<ErrorCode, ContentfulStatusCode>> = {
  CONFIG: 400,
  USAGE: 400,
  DATA_FORMAT: 400,
  SHAPE: 400,
  MODEL: 400,
  DATA_MISSING: 404,
};

/** The JSON error body. */
export const errorJson = (c: Context, status: ContentfulStatusCode, code: HttpCode, message: string): Response =>
  c.json({ error: { code, message } }, status);

/** Hono `onError`: known errors keep their message; anything else is a 500 with a generic one. */
export function onError(err: Error, c: Context): Response {
  if (err instanceof HttpError) return errorJson(c, err.status, err.code, err.message);
  if (isDistilleryError(err)) return errorJson(c, STATUS[err.code] ?? 500, err.code, err.message);
  if (process.env.DISTILLERY_DEBUG) console.error(err);
  return errorJson(c, 500, 'INTERNAL', 'internal error');
}

/** Validates a value with a zod schema; a failure is a 400 naming the first failing path (`body.dataset: ...`). */
export function validate<S extends z.ZodType>(schema: S, input: unknown, root: string): z.infer<S> {
  const r = schema.safeParse(input);
  if (!r.success) throw badRequest(formatZodError(r.error, input, root), 'CONFIG');
  return r.data;
}

/** Reads a JSON body, or a 400 saying it is not JSON. */
export async function jsonBody(c: Context): Promise<unknown> {
  try {
    return await c.req.json();
  } catch {
    throw badRequest('body: expected a JSON object (Content-Type: application/json)');
  }
}
