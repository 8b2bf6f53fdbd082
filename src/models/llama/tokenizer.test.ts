import { beforeAll, describe, expect, it } from 'vitest';
import { BOS, EOS, type LlamaTokenizer, decode, encode, readLlamaTokenizer } from './tokenizer.js';

let tok: LlamaTokenizer;
beforeAll(() => {
  tok = readLlamaTokenizer('models/stories260K/tok512.bin');
});

describe('llama2.c tokenizer', () => {
  it('reads the 512 pieces of tok512.bin', () => {
    expect(tok.pieces.length).toBe(512);
    expect(tok.maxTokenLength).toBe(7);
    expect(Buffer.from(tok.pieces[3]).toString()).toBe('<0x00>');
  });

  it.each([
    'Once upon a time, there was a little girl named Lily.',
    'The cat sat on the mat. "Hello!" said Tom.',
    '  leading spaces and\nnew lines\ttabs',
    'Ünïcödé, emoji 🦙 and 日本語 fall back to bytes',
  ])('round-trips %j', (text) => {
    const ids = encode(tok, text, { bos: true, eos: true });
    expect(ids[0]).toBe(BOS);
    expect(ids.at(-1)).toBe(EOS);
    expect(decode(tok, ids)).toBe(text);
  });

  it('round-trips 300 random strings of arbitrary code points (control, combining, CJK, astral)', () => {
    let state = 12345;
    const next = () => ((state = (Math.imul(state, 1103515245) + 12345) >>> 0) / 2 ** 32);
    const ranges = [[0x00, 0x7f], [0x80, 0x7ff], [0x300, 0x36f], [0x4e00, 0x9fff], [0xe000, 0xfffd], [0x10000, 0x10ffff]];
    for (let i = 0; i < 300; i++) {
      let text = '';
      const n = 1 + Math.floor(next() * 20);
      for (let j = 0; j < n; j++) {
        const [lo, hi] = ranges[Math.floor(next() * ranges.length)];
        text += String.fromCodePoint(lo + Math.floor(next() * (hi - lo + 1)));
      }
      const ids = encode(tok, text, { bos: true });
      expect(ids.every((id) => id >= 0 && id < 512)).toBe(true);
      expect(decode(tok, ids)).toBe(text);
    }
  });

  it('merges by score into known pieces and falls back to <0xXX> byte tokens', () => {
    const ids = encode(tok, 'Once upon a time');
    expect(ids.length).toBeLessThan('Once upon a time'.length / 2);
    const llama = encode(tok, '🦙');
    // ' ' then the four UTF-8 bytes F0 9F A6 99 as byte tokens (byte + 3)
    expect(llama.slice(-4)).toEqual([0xf0 + 3, 0x9f + 3, 0xa6 + 3, 0x99 + 3]);
    expect(encode(tok, '')).toEqual([]);
  });

  it('drops the leading space only right after BOS', () => {
    const ids = encode(tok, 'Hi there');
    expect(decode(tok, ids)).toBe('Hi there');
    expect(decode(tok, ids, 0)).toBe(' Hi there');
  });
});
