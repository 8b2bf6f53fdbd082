/**
 * A client for any OpenAI-compatible chat-completions endpoint, made for collecting many answers unattended:
 * each request has a timeout; 429 waits for Retry-After; 5xx, timeouts, dropped connections and unreadable
 * bodies are retried with exponential backoff and jitter, up to a per-request cap and a cap on retries across
 * the whole collection. Auth and unknown-model errors stop everything at once (no amount of retrying fixes them).
 */
import { z } from 'zod';
import { DistilleryError } from '../errors.js';
import type { StoredChoice } from './store.js';

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

/** Sampling parameters, sent as their OpenAI wire names (top_p, max_tokens, top_logprobs). */
export interface ChatParams {
  temperature?: number;
  topP?: number;
  maxTokens?: number;
  n?: number;
  seed?: number;
  logprobs?: boolean;
  topLogprobs?: number;
  /** Up to 4 strings that end a choice (sent as `stop`). */
  stop?: string[];
}

export interface RetryPolicy {
  /** Retries of one request after its first try. */
  perRequest: number;
  /** Retries across everything this client sends; once spent, failures are final. */
  total: number;
  /** First backoff; doubles each retry, with jitter (half fixed, half random). */
  baseMs: number;
  maxMs: number;
  /** Longest Retry-After honoured. */
  maxRetryAfterMs: number;
}

export interface EndpointOptions {
  /** e.g. `http://127.0.0.1:8080/v1` */
  baseUrl: string;
  model: string;
  apiKey?: string;
  timeoutMs: number;
  retry: RetryPolicy;
  /** Random source for jitter (tests pass a seeded one). */
  random?: () => number;
}

export type FailureReason = 'http429' | 'http5xx' | 'http4xx' | 'timeout' | 'network' | 'bad-response';

export interface ClientStats {
  requests: number;
  retries: number;
  failures: Record<FailureReason, number>;
}

export interface ChatResult {
  choices: StoredChoice[];
  usage: { promptTokens: number; completionTokens: number };
  attempts: number;
  ms: number;
}

/** A request that failed for good: out of retries, or refused (4xx). */
export class TeacherRequestError extends Error {
  constructor(
    readonly reason: FailureReason,
    readonly attempts: number,
    message: string,
    readonly status?: number,
  ) {
    super(message);
  }
}

const TopSchema = z.object({ token: z.string(), logprob: z.number() });
const ResponseSchema = z.object({
  choices: z
    .array(
      z.object({
        index: z.number().int().optional(),
        message: z.object({ content: z.string().nullable() }),
        finish_reason: z.string().nullable().optional(),
        logprobs: z
          .object({ content: z.array(TopSchema.extend({ top_logprobs: z.array(TopSchema).optional() })).nullable().optional() })
          .nullable()
          .optional(),
      }),
    )
    .min(1),
  usage: z.object({ prompt_tokens: z.number(), completion_tokens: z.number() }).optional(),
});

class Retryable extends Error {
  constructor(
    readonly reason: FailureReason,
    message: string,
    readonly waitMs?: number,
  ) {
    super(message);
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** `retry-after-ms` (OpenAI), else `retry-after` in seconds or as an HTTP date. */
export function retryAfterMs(headers: Headers, now = Date.now()): number | undefined {
  const ms = Number(headers.get('retry-after-ms'));
  if (headers.has('retry-after-ms') && Number.isFinite(ms) && ms >= 0) return ms;
  const v = headers.get('retry-after');
  if (!v) return undefined;
  const s = Number(v);
  if (Number.isFinite(s) && s >= 0) return s * 1000;
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** Body of an OpenAI-shaped error, for messages: `error.message`, else the start of the text. */
function errorText(body: string): string {
  try {
    const e = JSON.parse(body) as { error?: { message?: string } };
    if (e?.error?.message) return e.error.message;
  } catch {
    // not JSON: show the text
  }
  return body.slice(0, 120).replace(/\s+/g, ' ');
}

/**
 * One OpenAI-compatible endpoint. `chat()` is safe to call concurrently; the caller bounds concurrency.
 *
 * @example
 * const t = new HttpTeacher({ baseUrl: 'http://127.0.0.1:8080/v1', model: 'sst2', timeoutMs: 30_000, retry })
 * const { choices } = await t.chat([{ role: 'user', content: 'a fine film' }], { logprobs: true, topLogprobs: 2 })
 */
export class HttpTeacher {
  readonly stats: ClientStats = { requests: 0, retries: 0, failures: { http429: 0, http5xx: 0, http4xx: 0, timeout: 0, network: 0, 'bad-response': 0 } };
  private retriesLeft: number;
  /** Whether the server ever answered: before that, a refused connection means a wrong address. */
  private answered = false;
  /** Set when the server refused a request with logprobs (400): later requests go without them. */
  logprobsRefused = false;
  private readonly random: () => number;

  constructor(readonly opts: EndpointOptions) {
    this.retriesLeft = opts.retry.total;
    this.random = opts.random ?? Math.random;
  }

  /** Sends one chat completion, retrying as the policy allows. Throws TeacherRequestError or DistilleryError('TEACHER'). */
  async chat(messages: ChatMessage[], params: ChatParams, signal?: AbortSignal): Promise<ChatResult> {
    const body = () => {
      const logprobs = params.logprobs && !this.logprobsRefused;
      return JSON.stringify({
        model: this.opts.model,
        messages,
        temperature: params.temperature,
        top_p: params.topP,
        max_tokens: params.maxTokens,
        n: params.n,
        seed: params.seed,
        logprobs: logprobs || undefined,
        top_logprobs: logprobs ? params.topLogprobs : undefined,
        stop: params.stop?.length ? params.stop : undefined,
      });
    };
    const t0 = performance.now();
    for (let attempt = 1; ; attempt++) {
      signal?.throwIfAborted();
      const withLogprobs = Boolean(params.logprobs) && !this.logprobsRefused;
      try {
        const r = await this.once(body(), params.n ?? 1);
        return { ...r, attempts: attempt, ms: Math.round(performance.now() - t0) };
      } catch (e) {
        if (e instanceof TeacherRequestError && e.status === 400 && withLogprobs && /logprob/i.test(e.message)) {
          // Logprobs are used when the server offers them: a server that refuses them (400 naming logprobs) is asked again without.
          this.logprobsRefused = true;
          continue;
        }
        if (!(e instanceof Retryable)) throw e;
        this.stats.failures[e.reason]++;
        if (attempt > this.opts.retry.perRequest || this.retriesLeft <= 0) {
          const why = attempt > this.opts.retry.perRequest ? `${this.opts.retry.perRequest} retries` : 'the total retry budget';
          throw new TeacherRequestError(e.reason, attempt, `${e.message} (gave up after ${why})`);
        }
        this.retriesLeft--;
        this.stats.retries++;
        const { baseMs, maxMs, maxRetryAfterMs } = this.opts.retry;
        const backoff = Math.min(maxMs, baseMs * 2 ** (attempt - 1));
        const wait = e.waitMs !== undefined ? Math.min(e.waitMs, maxRetryAfterMs) : backoff / 2 + (this.random() * backoff) / 2;
        await sleep(wait);
      }
    }
  }

  private async once(body: string, n: number): Promise<Omit<ChatResult, 'attempts' | 'ms'>> {
    const url = `${this.opts.baseUrl.replace(/\/+$/, '')}/chat/completions`;
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (this.opts.apiKey) headers.authorization = `Bearer ${this.opts.apiKey}`;
    this.stats.requests++;
    let res: Response;
    let text: string;
    try {
      res = await fetch(url, { method: 'POST', headers, body, signal: AbortSignal.timeout(this.opts.timeoutMs) });
      text = await res.text();
    } catch (e) {
      const err = e as Error;
      if (err.name === 'TimeoutError' || err.name === 'AbortError') throw new Retryable('timeout', `${url}: no answer within ${this.opts.timeoutMs} ms`);
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      if (cause?.code === 'ECONNREFUSED' && !this.answered) {
        // Nothing listens there: a wrong baseUrl, not a passing fault.
        throw new DistilleryError('TEACHER', `${url}: connection refused (is the teacher server running? check teacher.baseUrl)`);
      }
      throw new Retryable('network', `${url}: ${cause?.code ?? cause?.message ?? err.message}`);
    }
    this.answered = true;
    if (res.status === 401 || res.status === 403) {
      throw new DistilleryError('TEACHER', `${url}: ${res.status} ${errorText(text)} (check teacher.apiKeyEnv)`);
    }
    if (res.status === 404) throw new DistilleryError('TEACHER', `${url}: 404 ${errorText(text)} (check teacher.baseUrl and teacher.model)`);
    if (res.status === 429) throw new Retryable('http429', `${url}: 429 ${errorText(text)}`, retryAfterMs(res.headers));
    if (res.status >= 500 || res.status === 408 || res.status === 409) {
      throw new Retryable('http5xx', `${url}: ${res.status} ${errorText(text)}`, res.status === 503 ? retryAfterMs(res.headers) : undefined);
    }
    if (res.status !== 200) {
      this.stats.failures.http4xx++;
      throw new TeacherRequestError('http4xx', 1, `${url}: ${res.status} ${errorText(text)}`, res.status);
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new Retryable('bad-response', `${url}: response is not JSON (${text.length} bytes: "${text.slice(0, 40)}")`);
    }
    const parsed = ResponseSchema.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new Retryable('bad-response', `${url}: unexpected response shape at ${issue.path.join('.') || '(root)'}: ${issue.message}`);
    }
    const { choices, usage } = parsed.data;
    if (choices.length !== n) throw new Retryable('bad-response', `${url}: expected ${n} choices, got ${choices.length}`);
    return {
      choices: choices.map((c) => ({
        content: c.message.content ?? '',
        ...(c.finish_reason ? { finishReason: c.finish_reason } : {}),
        ...(c.logprobs?.content
          ? { tokens: c.logprobs.content.map((t) => ({ token: t.token, logprob: t.logprob, top: (t.top_logprobs ?? []).map(({ token, logprob }) => ({ token, logprob })) })) }
          : {}),
      })),
      usage: { promptTokens: usage?.prompt_tokens ?? 0, completionTokens: usage?.completion_tokens ?? 0 },
    };
  }
}
