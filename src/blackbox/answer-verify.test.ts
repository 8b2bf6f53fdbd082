import { describe, expect, it } from 'vitest';
import { commandVerifier, exactMatchVerifier, finalAnswer, functionVerifier, loadFunctionVerifier, regexVerifier } from './verify.js';

const ctx = (expected: string, text = '347+85=') => ({ promptId: 'train:0', text, expected });
const good = '7+5+0=12\n4+8+1=13\n3+0+1=04\nanswer: 432';
const bad = '7+5+0=12\n4+8+1=13\n3+0+1=04\nanswer: 433';

describe('answer verifiers for rejection sampling', () => {
  it('parses the final answer after "answer:", else after the last =, or with a configured regex', () => {
    expect(finalAnswer(good)).toBe('432');
    expect(finalAnswer('The answer is 17.')).toBe('17');
    expect(finalAnswer('3+4=7\n7*2 = 14')).toBe('14');
    expect(finalAnswer('no final line')).toBeUndefined();
    expect(finalAnswer('#### 12\nthen #### 42', '####\\s*(\\S+)')).toBe('42');
    expect(finalAnswer('result 5', /result \d/)).toBe('result 5');
  });

  it('exact match compares the parsed answer with the prompt\'s expected answer (or a fixed one)', () => {
    const v = exactMatchVerifier();
    expect(v.verify({ content: good }, ctx('432'))).toBe('432');
    expect(v.verify({ content: bad }, ctx('432'))).toBeUndefined();
    expect(v.verify({ content: '7+5+0=12' }, ctx('432'))).toBeUndefined();
    expect(exactMatchVerifier('433').verify({ content: bad })).toBe('433');
    expect(exactMatchVerifier(undefined, { parse: 'ANSWER=(\\w+)', ignoreCase: true }).verify({ content: 'ANSWER=Paris' }, ctx('paris'))).toBe('Paris');
    expect(() => v.verify({ content: good }, { promptId: 'train:3', text: '' })).toThrow('exact verifier: prompt train:3 has no expected answer (field "expected" of the prompts file)');
  });

  it('regex accepts a match, with {expected} standing for the escaped expected answer', () => {
    const v = regexVerifier('^answer: {expected}$', 'm');
    expect(v.verify({ content: good }, ctx('432'))).toBe('answer: 432');
    expect(v.verify({ content: bad }, ctx('432'))).toBeUndefined();
    expect(v.verify({ content: 'answer: 4.2' }, ctx('4.2'))).toBe('answer: 4.2');
    expect(v.verify({ content: 'answer: 452' }, ctx('4.2'))).toBeUndefined();
    expect(regexVerifier(/\d+$/).verify({ content: good })).toBe('432');
    expect(() => regexVerifier('(')).toThrow(/regex verifier: expected a valid regular expression, got \/\(\//);
  });

  it('function verifiers run a JS function, inline or imported from a module file', async () => {
    const inline = functionVerifier((a, c) => (a.endsWith(c.expected!) ? 'ok' : false));
    expect(await inline.verify({ content: good }, ctx('432'))).toBe('ok');
    expect(await inline.verify({ content: bad }, ctx('432'))).toBeUndefined();
    const loaded = await loadFunctionVerifier('test/fixtures/verify-fn.mjs', 'lastLine');
    expect(loaded.name).toBe('function:verify-fn.mjs#lastLine');
    expect(await loaded.verify({ content: good }, ctx('432'))).toBe(good);
    expect(await loaded.verify({ content: bad }, ctx('432'))).toBeUndefined();
    await expect(loadFunctionVerifier('test/fixtures/verify-fn.mjs', 'notAFunction')).rejects.toThrow('test/fixtures/verify-fn.mjs: expected export "notAFunction" to be a function, got number');
    await expect(loadFunctionVerifier('test/fixtures/missing.mjs')).rejects.toThrow(/test\/fixtures\/missing.mjs: cannot import verifier module/);
  });

  it('command verifiers run sh -c with the answer on stdin and the prompt in the environment; exit 0 accepts', async () => {
    const v = commandVerifier('test "$(tail -n 1)" = "answer: $DISTILLERY_EXPECTED" && test "$DISTILLERY_PROMPT" = "347+85=" && test "$DISTILLERY_FINAL" = 432');
    expect(await v.verify({ content: good }, ctx('432'))).toBe(good);
    expect(await v.verify({ content: bad }, ctx('432'))).toBeUndefined();
    expect(await v.verify({ content: good }, ctx('432', 'other'))).toBeUndefined();
    // A command that ignores its stdin is fine too.
    expect(await commandVerifier('exit 0').verify({ content: 'x'.repeat(1 << 20) }, ctx('1'))).toBe('x'.repeat(1 << 20));
    expect(v.stats).toEqual({ runs: 3, accepted: 1, timeouts: 0 });
  });

  it('a command past its timeout is killed with what it started, and the answer rejected', async () => {
    const v = commandVerifier('sleep 5; exit 0', { timeoutMs: 200 });
    const t0 = performance.now();
    expect(await v.verify({ content: good }, ctx('432'))).toBeUndefined();
    expect(performance.now() - t0).toBeLessThan(2000);
    expect(v.stats).toEqual({ runs: 1, accepted: 0, timeouts: 1 });
  });
});
