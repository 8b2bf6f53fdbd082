/**
 * Bearer-token access to `/api`: one token per data dir, generated on first start (or set with --token)
 * and kept in DATA/token, readable by its owner only.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { MiddlewareHandler } from 'hono';
import { errorJson } from './http.js';

/**
 * The service token: `given` if set (and stored), else the stored one, else a new random one.
 * `created` says whether it is new, so the caller prints it once.
 */
export function loadToken(dataDir: string, given?: string): { token: string; created: boolean } {
  const file = path.join(dataDir, 'token');
  if (given !== undefined) {
    fs.writeFileSync(file, given + '\n', { mode: 0o600 });
    return { token: given, created: false };
  }
  if (fs.existsSync(file)) return { token: fs.readFileSync(file, 'utf8').trim(), created: false };
  const token = crypto.randomBytes(24).toString('base64url');
  fs.writeFileSync(file, token + '\n', { mode: 0o600 });
  return { token, created: true };
}

/** Rejects requests without `Authorization: Bearer <token>` (compared in constant time). */
export function requireToken(token: string): MiddlewareHandler {
  const expected = crypto.createHash('sha256').update(token).digest();
  return async (c, next) => {
    const m = /^Bearer (.+)$/.exec(c.req.header('authorization') ?? '');
    const got = crypto.createHash('sha256').update(m?.[1] ?? '').digest();
    if (!m || !crypto.timingSafeEqual(expected, got)) {
      c.header('WWW-Authenticate', 'Bearer');
      return errorJson(c, 401, 'UNAUTHORIZED', 'expected header Authorization: Bearer <token> (the token is in the data dir, file "token")');
    }
    await next();
  };
}
