import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTeacherServer, type RunningServer } from '../src/blackbox/serve.js';
import { loadServedModel } from '../src/blackbox/served-models.js';
import { selectBackend } from '../src/engine/backend.js';
import { readLlamaCheckpoint } from '../src/models/llama/checkpoint.js';
import { generate } from '../src/models/llama/generate.js';
import { llamaFromCheckpoint } from '../src/models/llama/model.js';
import { encode, readLlamaTokenizer, type LlamaTokenizer } from '../src/models/llama/tokenizer.js';

// The real pretrained fastText language identifier, served on loopback and called with the official client.
let server: RunningServer;
let client: OpenAI;
beforeAll(async () => {
  server = await startTeacherServer(await loadServedModel('fasttext:lid176'), { port: 0, apiKey: 'sk-test' });
  client = new OpenAI({ baseURL: server.url, apiKey: 'sk-test', maxRetries: 0, timeout: 10_000 });
});
afterAll(() => server?.close());

describe('serve-teacher with the official openai client', () => {
  it('lists the served model', async () => {
    const models = [];
    for await (const m of client.models.list()) models.push(m);
    expect(models.map((m) => [m.id, m.object, m.owned_by])).toEqual([['fasttext-lid176', 'model', 'distillery']]);
    expect((await client.models.retrieve('fasttext-lid176')).id).toBe('fasttext-lid176');
  });

  it('answers with the language and top logprobs, fills usage, and repeats itself under a seed', async () => {
    const ask = (content: string) =>
      client.chat.completions.create({ model: 'fasttext-lid176', messages: [{ role: 'system', content: 'Which language?' }, { role: 'user', content }], logprobs: true, top_logprobs: 3, temperature: 0 });
    const fr = await ask("Le chat dort sur le canapé pendant que la pluie tombe.");
    expect(fr.object).toBe('chat.completion');
    expect(fr.choices[0].message.content).toBe('fr');
    const lp = fr.choices[0].logprobs!.content![0];
    expect(lp.token).toBe('fr');
    expect(lp.top_logprobs.map((t) => t.token)).toHaveLength(3);
    expect(lp.top_logprobs[0]).toMatchObject({ token: 'fr', logprob: lp.logprob });
    expect(Math.exp(lp.logprob)).toBeGreaterThan(0.9);
    expect(lp.top_logprobs[1].logprob).toBeLessThan(lp.logprob);
    expect(fr.usage).toEqual({ prompt_tokens: 13, completion_tokens: 1, total_tokens: 14 });
    expect((await ask('Der Hund läuft schnell über die grüne Wiese.')).choices[0].message.content).toBe('de');

    const sample = () =>
      client.chat.completions.create({ model: 'fasttext-lid176', messages: [{ role: 'user', content: 'ok' }], n: 8, temperature: 2, seed: 7 });
    const a = await sample();
    expect(a.choices).toHaveLength(8);
    expect(a.choices.map((c) => c.index)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(a.choices[0].logprobs).toBeNull();
    expect((await sample()).choices.map((c) => c.message.content)).toEqual(a.choices.map((c) => c.message.content));
  });

  it('maps errors to the client error classes with OpenAI-shaped bodies', async () => {
    const bad = new OpenAI({ baseURL: server.url, apiKey: 'sk-wrong', maxRetries: 0 });
    await expect(bad.models.list()).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
    await expect(client.chat.completions.create({ model: 'gpt-x', messages: [{ role: 'user', content: 'hi' }] })).rejects.toMatchObject({
      status: 404,
      code: 'model_not_found',
    });
    await expect(client.chat.completions.create({ model: 'fasttext-lid176', messages: [{ role: 'user', content: 'hi' }], temperature: 5 })).rejects.toMatchObject({
      status: 400,
      param: 'temperature',
      message: expect.stringContaining('body.temperature: expected number ≤ 2, got 5'),
    });
    const raw = await fetch(`${server.url}/chat/completions`, { method: 'POST', headers: { authorization: 'Bearer sk-test' }, body: '{"model":' });
    expect([raw.status, await raw.json()]).toEqual([400, { error: { message: expect.stringContaining('expected JSON'), type: 'invalid_request_error', param: null, code: 'invalid_json' } }]);
    const get = await fetch(`${server.url}/chat/completions`, { headers: { authorization: 'Bearer sk-test' } });
    expect(get.status).toBe(405);
    const none = await fetch(`${server.url}/v1/nothing`, { headers: { authorization: 'Bearer sk-test' } });
    expect(none.status).toBe(404);
  });
});

describe('serve-teacher serving a llama2.c checkpoint (stories260K) to the official openai client', () => {
  let lm: RunningServer;
  let c: OpenAI;
  let tok: LlamaTokenizer;
  beforeAll(async () => {
    await selectBackend('cpu');
    tok = readLlamaTokenizer('models/stories260K/tok512.bin');
    lm = await startTeacherServer(await loadServedModel('models/stories260K/stories260K.bin', undefined, { tokenizer: 'models/stories260K/tok512.bin' }), { port: 0 });
    c = new OpenAI({ baseURL: lm.url, apiKey: 'unused', maxRetries: 0, timeout: 30_000 });
  });
  afterAll(() => lm?.close());

  it('samples n completions of the last user message, repeatably per seed, counting usage in model tokens', async () => {
    expect((await c.models.list()).data.map((m) => m.id)).toEqual(['stories260K']);
    const prompt = 'Once upon a time, Lily';
    const ask = (seed: number) =>
      c.chat.completions.create({ model: 'stories260K', messages: [{ role: 'system', content: 'ignored' }, { role: 'user', content: prompt }], n: 3, temperature: 1, top_p: 0.95, seed, max_tokens: 20, logprobs: true, top_logprobs: 2 });
    const a = await ask(3);
    expect(a.choices).toHaveLength(3);
    expect((await ask(3)).choices.map((ch) => ch.message.content)).toEqual(a.choices.map((ch) => ch.message.content));
    expect(new Set(a.choices.map((ch) => ch.message.content)).size).toBeGreaterThan(1);
    let generated = 0;
    for (const ch of a.choices) {
      const lp = ch.logprobs!.content!;
      generated += lp.length;
      // The sampled tokens spell the answer; each token's bytes are given, alternatives best first.
      expect(Buffer.concat(lp.map((t) => Buffer.from(t.bytes!))).toString('utf8')).toBe(ch.message.content);
      for (const t of lp) {
        expect(t.logprob).toBeLessThanOrEqual(0);
        expect(t.top_logprobs).toHaveLength(2);
        expect(t.top_logprobs[0].logprob).toBeGreaterThanOrEqual(t.top_logprobs[1].logprob);
      }
      expect(lp.length).toBeLessThanOrEqual(20);
      expect(ch.finish_reason).toBe(lp.length === 20 ? 'length' : 'stop');
    }
    expect(a.usage).toEqual({ prompt_tokens: encode(tok, prompt, { bos: true }).length, completion_tokens: generated, total_tokens: encode(tok, prompt, { bos: true }).length + generated });
  });

  it('batches concurrent requests without changing a seeded request\'s answers', async () => {
    const ask = (content: string, seed: number) =>
      c.chat.completions.create({ model: 'stories260K', messages: [{ role: 'user', content }], n: 2, temperature: 1, seed, max_tokens: 12 }).then((r) => r.choices.map((ch) => ch.message.content));
    const alone = await ask('Once upon a time', 5);
    // Same prompt length and parameters: decoded in one batch with the others.
    const together = await Promise.all([ask('Once upon a time', 5), ask('Once upon a time', 6), ask('One day, a cat', 5), ask('The dog ran', 9)]);
    expect(together[0]).toEqual(alone);
    expect(together[1]).not.toEqual(alone);
  });

  it('decodes greedily at temperature 0, ends at a stop string or at max_tokens, and refuses a prompt longer than the context', async () => {
    const ref = generate(llamaFromCheckpoint(readLlamaCheckpoint('models/stories260K/stories260K.bin')), tok, { prompt: 'Once upon a time', maxTokens: 40, temperature: 0 });
    const greedy = await c.chat.completions.create({ model: 'stories260K', messages: [{ role: 'user', content: 'Once upon a time' }], temperature: 0, max_tokens: 40 });
    expect(greedy.choices[0].message.content).toBe(ref.text);
    expect(greedy.choices[0].finish_reason).toBe('length');
    expect(greedy.usage!.completion_tokens).toBe(40);
    const stopped = await c.chat.completions.create({ model: 'stories260K', messages: [{ role: 'user', content: 'Once upon a time' }], temperature: 0, max_tokens: 60, stop: ['.'] });
    expect(stopped.choices[0].finish_reason).toBe('stop');
    expect(ref.text.startsWith(`${stopped.choices[0].message.content}.`)).toBe(true);
    await expect(c.chat.completions.create({ model: 'stories260K', messages: [{ role: 'user', content: 'word '.repeat(600) }] })).rejects.toMatchObject({
      status: 400,
      code: 'context_length_exceeded',
    });
  });
});
