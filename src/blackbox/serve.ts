/**
 * An OpenAI-compatible server for a local model (`distillery serve-teacher`): `GET /v1/models` and
 * `POST /v1/chat/completions` with n, temperature, top_p, seed, logprobs and top_logprobs, `usage` filled,
 * bearer-key auth, and OpenAI-shaped error bodies `{"error": {"message", "type", "param", "code"}}`.
 * The model reads the last user message; a classifier answers with one token, a generative model (llama2.c
 * checkpoint) with a sampled continuation that ends at its end-of-text token, a stop string or max_tokens.
 */
import crypto from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';
import { Rng } from '../engine/seed.js';
import { formatZodError } from '../config/format.js';
import { DistilleryError } from '../errors.js';
import { sampleToken } from './sampling.js';
import type { ServedModel, TokenLogprob } from './served-models.js';

const MAX_BODY = 1 << 20;

const ContentSchema = z.union([z.string(), z.array(z.looseObject({ type: z.string(), text: z.string().optional() }))]);
const RequestSchema = z.looseObject({
  model: z.string().min(1),
  messages: z.array(z.looseObject({ role: z.enum(['system', 'developer', 'user', 'assistant', 'tool']), content: ContentSchema.nullable().optional() })).min(1),
  temperature: z.number().min(0).max(2).nullable().optional(),
  top_p: z.number().gt(0).max(1).nullable().optional(),
  max_tokens: z.number().int().min(1).nullable().optional(),
  max_completion_tokens: z.number().int().min(1).nullable().optional(),
  n: z.number().int().min(1).max(128).nullable().optional(),
  seed: z.number().int().nullable().optional(),
  logprobs: z.boolean().nullable().optional(),
  top_logprobs: z.number().int().min(0).max(20).nullable().optional(),
  stream: z.boolean().nullable().optional(),
  stop: z.union([z.string().min(1), z.array(z.string().min(1)).max(4)]).nullable().optional(),
});

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    readonly code: string | null,
    message: string,
    readonly param: string | null = null,
  ) {
    super(message);
  }
}

const textOf = (c: z.infer<typeof ContentSchema> | null | undefined): string =>
  typeof c === 'string' ? c : (c ?? []).map((p) => p.text ?? '').join(' ');

const countTokens = (s: string): number => s.split(/\s+/).filter(Boolean).length;

const tokenEntry = (t: TokenLogprob) => ({ token: t.token, logprob: t.logprob, bytes: [...Buffer.from(t.token, 'utf8')] });

async function readBody(req: http.IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) throw new HttpError(413, 'invalid_request_error', 'body_too_large', `request body: expected at most ${MAX_BODY} bytes`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Answers one chat-completions body (already parsed JSON): the response object, or an HttpError. */
export async function chatCompletion(model: ServedModel, body: unknown): Promise<object> {
  const r = RequestSchema.safeParse(body);
  if (!r.success) {
    const param = r.error.issues[0].path.join('.') || null;
    throw new HttpError(400, 'invalid_request_error', 'invalid_value', formatZodError(r.error, body, 'body'), param);
  }
  const q = r.data;
  if (q.model !== model.id) throw new HttpError(404, 'invalid_request_error', 'model_not_found', `The model \`${q.model}\` does not exist; this server has \`${model.id}\``, 'model');
  if (q.stream) throw new HttpError(400, 'invalid_request_error', 'unsupported_value', 'body.stream: streaming is not supported by this server', 'stream');
  if (q.top_logprobs != null && q.top_logprobs > 0 && !q.logprobs) {
    throw new HttpError(400, 'invalid_request_error', 'invalid_value', 'body.top_logprobs: requires logprobs: true', 'top_logprobs');
  }
  const user = [...q.messages].reverse().find((m) => m.role === 'user');
  if (!user) throw new HttpError(400, 'invalid_request_error', 'invalid_value', 'body.messages: expected at least one user message', 'messages');
  const n = q.n ?? 1;
  const temperature = q.temperature ?? 1;
  const seed = q.seed ?? undefined;
  const prompt = textOf(user.content);
  // Seeded: the same seed and prompt give the same answers; unseeded: fresh draws.
  const rng = new Rng(seed !== undefined ? crypto.createHash('sha256').update(`${seed}\n${prompt}`).digest().readUInt32LE(0) : (Math.random() * 2 ** 32) >>> 0);
  const topK = q.logprobs ? (q.top_logprobs ?? 0) : 0;
  let choices: object[];
  let promptTokens: number;
  let completionTokens: number;
  if (model.complete) {
    const stop = q.stop == null ? [] : typeof q.stop === 'string' ? [q.stop] : q.stop;
    const maxTokens = q.max_completion_tokens ?? q.max_tokens ?? undefined;
    let r;
    try {
      r = await model.complete(prompt, { n, temperature, topP: q.top_p ?? 1, rng, logprobs: Boolean(q.logprobs), topLogprobs: topK, stop, maxTokens });
    } catch (e) {
      if (e instanceof DistilleryError && e.code === 'USAGE') throw new HttpError(400, 'invalid_request_error', 'context_length_exceeded', `body.messages: ${e.message}`, 'messages');
      throw e;
    }
    choices = r.choices.map((c, index) => ({
      index,
      message: { role: 'assistant', content: c.text, refusal: null },
      logprobs: q.logprobs
        ? { content: (c.tokens ?? []).map((t) => ({ token: t.token, logprob: t.logprob, bytes: t.bytes, top_logprobs: t.top })), refusal: null }
        : null,
      finish_reason: c.finishReason,
    }));
    promptTokens = r.promptTokens;
    completionTokens = r.completionTokens;
  } else if (model.predict) {
    const dist = await model.predict(prompt);
    choices = Array.from({ length: n }, (_, index) => {
      const pick = dist[sampleToken(dist, temperature, q.top_p ?? 1, rng)];
      return {
        index,
        message: { role: 'assistant', content: pick.token, refusal: null },
        logprobs: q.logprobs ? { content: [{ ...tokenEntry(pick), top_logprobs: dist.slice(0, topK).map(tokenEntry) }], refusal: null } : null,
        finish_reason: 'stop',
      };
    });
    promptTokens = q.messages.reduce((s, m) => s + countTokens(textOf(m.content)), 0);
    completionTokens = n;
  } else {
    throw new HttpError(500, 'server_error', null, `model ${model.id}: expected predict or complete`);
  }
  return {
    id: `chatcmpl-${crypto.randomBytes(12).toString('hex')}`,
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model: model.id,
    system_fingerprint: 'distillery',
    choices,
    usage: { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens },
  };
}

/**
 * The request handler: routes, auth, JSON in and out, errors as OpenAI error bodies.
 *
 * @example http.createServer(teacherHandler(model, { apiKey: 'sk-local' })).listen(8080, '127.0.0.1')
 */
export function teacherHandler(model: ServedModel, opts: { apiKey?: string } = {}): http.RequestListener {
  const created = Math.floor(Date.now() / 1000);
  return async (req, res) => {
    const send = (status: number, body: object) => {
      const text = JSON.stringify(body);
      res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
      res.end(text);
    };
    try {
      const url = new URL(req.url ?? '/', 'http://localhost');
      const route = url.pathname.replace(/\/+$/, '');
      if (opts.apiKey) {
        const auth = req.headers.authorization ?? '';
        const given = auth.startsWith('Bearer ') ? auth.slice(7) : '';
        const a = Buffer.from(given);
        const b = Buffer.from(opts.apiKey);
        if (a.length !== b.length || !crypto.timingSafeEqual(a, b)) {
          throw new HttpError(401, 'invalid_request_error', 'invalid_api_key', given ? 'Incorrect API key provided' : 'Missing bearer API key in the Authorization header');
        }
      }
      if (route === '/v1/models' || route.startsWith('/v1/models/')) {
        if (req.method !== 'GET') throw new HttpError(405, 'invalid_request_error', 'method_not_allowed', `${req.method} ${route}: expected GET`);
        const entry = { id: model.id, object: 'model', created, owned_by: 'distillery' };
        if (route === '/v1/models') return send(200, { object: 'list', data: [entry] });
        const id = decodeURIComponent(route.slice('/v1/models/'.length));
        if (id !== model.id) throw new HttpError(404, 'invalid_request_error', 'model_not_found', `The model \`${id}\` does not exist`);
        return send(200, entry);
      }
      if (route === '/v1/chat/completions') {
        if (req.method !== 'POST') throw new HttpError(405, 'invalid_request_error', 'method_not_allowed', `${req.method} ${route}: expected POST`);
        const raw = await readBody(req);
        let body: unknown;
        try {
          body = JSON.parse(raw);
        } catch {
          throw new HttpError(400, 'invalid_request_error', 'invalid_json', `request body: expected JSON, got ${raw.length} bytes that do not parse`);
        }
        return send(200, await chatCompletion(model, body));
      }
      throw new HttpError(404, 'invalid_request_error', 'unknown_url', `Unknown request URL: ${req.method} ${url.pathname}`);
    } catch (e) {
      if (e instanceof HttpError) return send(e.status, { error: { message: e.message, type: e.type, param: e.param, code: e.code } });
      send(500, { error: { message: `internal error: ${(e as Error).message}`, type: 'server_error', param: null, code: null } });
    }
  };
}

export interface RunningServer {
  /** Base URL for clients, e.g. http://127.0.0.1:8080/v1 */
  url: string;
  port: number;
  close(): Promise<void>;
}

/**
 * Serves `model` on host:port (port 0 picks a free one).
 *
 * @example const server = await startTeacherServer(await loadServedModel('out/teacher'), { port: 0 })
 */
export async function startTeacherServer(model: ServedModel, opts: { host?: string; port?: number; apiKey?: string } = {}): Promise<RunningServer> {
  const host = opts.host ?? '127.0.0.1';
  const server = http.createServer(teacherHandler(model, opts));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}/v1`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
