import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { tmpDir } from '../../test/helpers.js';
import { AnswerStore, requestKey, type StoredAnswer } from './store.js';

const answer = (key: string, content = 'positive'): StoredAnswer => ({
  v: 1,
  key,
  promptId: `train:${key}`,
  sample: 0,
  model: 'm',
  choices: [{ content }],
  usage: { promptTokens: 3, completionTokens: 1 },
  attempts: 1,
  ms: 1,
  at: '2026-01-01T00:00:00.000Z',
});

describe('AnswerStore', () => {
  it('keys depend on model, messages, params and sample index', () => {
    const m = [{ role: 'user', content: 'hi' }];
    const k = requestKey('a', m, { temperature: 0 }, 0);
    expect(requestKey('a', m, { temperature: 0 }, 0)).toBe(k);
    for (const other of [requestKey('b', m, { temperature: 0 }, 0), requestKey('a', [{ role: 'user', content: 'ho' }], { temperature: 0 }, 0), requestKey('a', m, { temperature: 1 }, 0), requestKey('a', m, { temperature: 0 }, 1)]) {
      expect(other).not.toBe(k);
    }
  });

  it('appends, reopens, ignores and cuts a torn last line, and never writes a key twice', () => {
    const file = path.join(tmpDir(), 'sub', 'answers.jsonl');
    const s = AnswerStore.open(file, { write: true });
    expect(s.append(answer('a'))).toBe(true);
    expect(s.append(answer('b'))).toBe(true);
    expect(s.append(answer('a', 'negative'))).toBe(false);
    s.close();
    fs.appendFileSync(file, '{"v":1,"key":"c","promptId":"tr'); // a write cut short by a kill
    const r = AnswerStore.open(file);
    expect([r.size, r.info.tornBytes, r.get('a')!.choices[0].content]).toEqual([2, 31, 'positive']);
    const w = AnswerStore.open(file, { write: true });
    expect(fs.readFileSync(file, 'utf8').endsWith('}\n')).toBe(true);
    w.append(answer('c'));
    w.close();
    expect(fs.readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l).key)).toEqual(['a', 'b', 'c']);
  });

  it('names the line of a corrupt record, and refuses a second writer while the first is alive', () => {
    const file = path.join(tmpDir(), 'answers.jsonl');
    const s = AnswerStore.open(file, { write: true });
    s.append(answer('a'));
    fs.writeFileSync(`${file}.lock`, String(process.ppid)); // a live process that is not us
    expect(() => AnswerStore.open(file, { write: true })).toThrow(`${file}.lock: store is in use by process ${process.ppid}`);
    fs.writeFileSync(`${file}.lock`, '999999999'); // a dead process: the lock is taken over
    AnswerStore.open(file, { write: true }).close();
    s.close();
    fs.appendFileSync(file, 'garbage\n' + JSON.stringify(answer('b')) + '\n');
    expect(() => AnswerStore.open(file)).toThrow(`${file}:2: expected an answer record`);
    expect(() => AnswerStore.open(path.join(tmpDir(), 'none.jsonl'))).toThrow('answer store not found');
  });
});
