import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTeacherServer, type RunningServer } from '../src/blackbox/serve.js';
import { loadServedModel } from '../src/blackbox/served-models.js';

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
