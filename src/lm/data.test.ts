import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../engine/backend.js';
import { readLlamaCheckpoint } from '../models/llama/checkpoint.js';
import { type LlamaModel, disposeLlama, llamaFromCheckpoint } from '../models/llama/model.js';
import { type LlamaTokenizer, decode, readLlamaTokenizer } from '../models/llama/tokenizer.js';
import { corpusWindows, samplableLlama, sampleStories } from './data.js';

let teacher: LlamaModel;
let tok: LlamaTokenizer;
let tmp: string;
beforeAll(async () => {
  await selectBackend('native');
  teacher = llamaFromCheckpoint(readLlamaCheckpoint('models/stories260K/stories260K.bin'));
  tok = readLlamaTokenizer('models/stories260K/tok512.bin');
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'lm-data-'));
});
afterAll(() => {
  disposeLlama(teacher);
  fs.rmSync(tmp, { recursive: true, force: true });
});

const opts = { maxTokens: 24, temperature: 1, topP: 0.95, seed: 3 };

describe('teacher samples', () => {
  it('are the same whatever the batch size, and a greedy sample is the reference story', async () => {
    const lm = samplableLlama(teacher, 'stories260K');
    const a = await sampleStories(lm, tok, path.join(tmp, 'a.jsonl'), { ...opts, count: 5, batch: 5 });
    const b = await sampleStories(lm, tok, path.join(tmp, 'b.jsonl'), { ...opts, count: 5, batch: 2 });
    expect(a.sampled).toBe(5);
    expect(b.stories).toEqual(a.stories);
    expect(new Set(a.stories.map((s) => s.join())).size).toBe(5);
    expect(a.stories.every((s) => s[0] === 1 && s.length <= 25)).toBe(true);
    const greedy = await sampleStories(lm, tok, path.join(tmp, 'g.jsonl'), { ...opts, temperature: 0, count: 2, batch: 2 });
    expect(decode(tok, greedy.stories[0])).toBe('Once upon a time, there was a little girl named Lily. She loved to play outsid'); // 24 tokens of the reference story
    expect(greedy.stories[1]).toEqual(greedy.stories[0]);
  });

  it('an interrupted file (torn last line) resumes: complete stories kept, only missing ones sampled', async () => {
    const lm = samplableLlama(teacher, 'stories260K');
    const full = await sampleStories(lm, tok, path.join(tmp, 'full.jsonl'), { ...opts, count: 6, batch: 4 });
    const file = path.join(tmp, 'cut.jsonl');
    const lines = fs.readFileSync(path.join(tmp, 'full.jsonl'), 'utf8').split('\n');
    fs.writeFileSync(file, lines.slice(0, 4).join('\n') + '\n' + lines[4].slice(0, 10)); // meta + 3 stories + a torn line
    const resumed = await sampleStories(lm, tok, file, { ...opts, count: 6, batch: 4 });
    expect(resumed.sampled).toBe(3);
    expect(resumed.stories).toEqual(full.stories);
    expect(fs.readFileSync(file, 'utf8')).toBe(fs.readFileSync(path.join(tmp, 'full.jsonl'), 'utf8'));
    const again = await sampleStories(lm, tok, file, { ...opts, count: 6 });
    expect(again.sampled).toBe(0);
  });

  it('a file made with other settings is an error naming the file, not mixed in', async () => {
    const lm = samplableLlama(teacher, 'stories260K');
    const file = path.join(tmp, 'm.jsonl');
    await sampleStories(lm, tok, file, { ...opts, count: 1 });
    await expect(sampleStories(lm, tok, file, { ...opts, temperature: 0.5, count: 2 })).rejects.toThrow(`${file}: expected samples made with`);
  });
});

describe('corpus windows', () => {
  it('cuts a text file into windows of window + 1 tokens, the last part held out', () => {
    const file = path.join(tmp, 'c.txt');
    fs.writeFileSync(file, 'To be, or not to be, that is the question.\n\nWhether tis nobler in the mind to suffer.\n'.repeat(20));
    const { train, heldOut } = corpusWindows(tok, file, 16, 0.25);
    expect(train.length).toBeGreaterThan(heldOut.length);
    expect(heldOut.length).toBeGreaterThan(0);
    expect(train.slice(0, -1).every((w) => w.tokens.length === 17)).toBe(true);
    expect(decode(tok, train[0].tokens)).toMatch(/^To be, or not to be/);
    expect(() => corpusWindows(tok, path.join(tmp, 'missing.txt'), 16, 0.1)).toThrow(`${path.join(tmp, 'missing.txt')}: cannot read corpus (ENOENT)`);
    fs.writeFileSync(path.join(tmp, 'empty.txt'), '  \n');
    expect(() => corpusWindows(tok, path.join(tmp, 'empty.txt'), 16, 0.1)).toThrow('expected text, got an empty file');
  });
});
