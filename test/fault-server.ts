import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Rng } from '../src/engine/seed.js';

export const FAULTS = ['429', '500', '503', 'timeout', 'drop', 'truncated', 'invalid-json', 'bad-shape'] as const;
export type Fault = (typeof FAULTS)[number];

export interface FaultServerOptions {
  seed: number;
  /** Probability that a request gets one of FAULTS (chosen uniformly) instead of an answer. */
  faultRate: number;
  /** Texts that always get this status. */
  always?: (text: string) => 500 | 400 | undefined;
  /** Delay before every answer. */
  delayMs?: number;
  /** Answer 400 to requests asking for logprobs, like servers that do not offer them. */
  refuseLogprobs?: boolean;
  /** The label answered for a text. */
  answer: (text: string) => string;
}

export interface FaultServer {
  url: string;
  /** Requests received per prompt text. */
  asked: Map<string, number>;
  /** Complete answers sent per prompt text. */
  answered: Map<string, number>;
  faults: Record<Fault, number>;
  close(): Promise<void>;
}

const bump = (m: Map<string, number>, k: string) => m.set(k, (m.get(k) ?? 0) + 1);

/**
 * An OpenAI-shaped test server that misbehaves at random (seeded): 429 with Retry-After, 500, 503, requests
 * left hanging, dropped connections, bodies cut short, non-JSON bodies and JSON of the wrong shape.
 */
export async function startFaultServer(o: FaultServerOptions): Promise<FaultServer> {
  const rng = new Rng(o.seed);
  const asked = new Map<string, number>();
  const answered = new Map<string, number>();
  const faults = Object.fromEntries(FAULTS.map((f) => [f, 0])) as Record<Fault, number>;
  const hanging = new Set<http.ServerResponse>();
  const server = http.createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    const text: string = body.messages.at(-1).content;
    bump(asked, text);
    const json = (status: number, value: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(JSON.stringify(value));
    };
    const error = (status: number, message: string, headers: Record<string, string> = {}) =>
      json(status, { error: { message, type: 'server_error', param: null, code: null } }, headers);
    if (o.refuseLogprobs && body.logprobs) return error(400, 'logprobs is not supported by this model');
    const always = o.always?.(text);
    if (always) return error(always, always === 400 ? 'bad request' : 'always failing');
    if (rng.next() < o.faultRate) {
      const f = FAULTS[rng.int(FAULTS.length)];
      faults[f]++;
      switch (f) {
        case '429':
          return error(429, 'Rate limit reached', { 'retry-after': '0' });
        case '500':
          return error(500, 'The server had an error');
        case '503':
          return error(503, 'Overloaded', { 'retry-after': '0' });
        case 'timeout':
          hanging.add(res);
          return;
        case 'drop':
          return req.socket.destroy();
        case 'truncated': {
          const full = JSON.stringify({ choices: [{ message: { content: o.answer(text) } }] });
          res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(full.length) });
          res.write(full.slice(0, full.length >> 1));
          return setTimeout(() => req.socket.destroy(), 5);
        }
        case 'invalid-json':
          res.writeHead(200, { 'content-type': 'application/json' });
          return res.end('<html>502 Bad Gateway</html>');
        case 'bad-shape':
          return json(200, { choices: [] });
      }
    }
    if (o.delayMs) await new Promise((r) => setTimeout(r, o.delayMs));
    const label = o.answer(text);
    json(200, {
      id: 'x',
      object: 'chat.completion',
      choices: [{ index: 0, message: { role: 'assistant', content: label }, logprobs: !body.logprobs ? null : { content: [{ token: label, logprob: -0.1, top_logprobs: [{ token: label, logprob: -0.1 }] }] }, finish_reason: 'stop' }],
      usage: { prompt_tokens: text.split(' ').length, completion_tokens: 1, total_tokens: text.split(' ').length + 1 },
    });
    bump(answered, text);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`,
    asked,
    answered,
    faults,
    close: () =>
      new Promise<void>((r) => {
        for (const h of hanging) h.destroy();
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
