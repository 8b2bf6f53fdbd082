import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { tmpDir } from '../../test/helpers.js';
import { featurizeInto, readLabeledText, readTextLines, textSplit, tokenize } from './text.js';

describe('text data', () => {
  it('tokenizes words, contractions and punctuation, lower-cased', () => {
    expect(tokenize("It's a GREAT film , is n't it ?")).toEqual(["it's", 'a', 'great', 'film', ',', 'is', "n't", 'it', '?']);
    expect(tokenize('Café crème')).toEqual(['café', 'crème']);
  });

  it('hashes n-grams into an L2-normalized log-count row, the same for the same text', () => {
    const spec = { buckets: 64, ngrams: 2 };
    const a = new Float32Array(64);
    const b = new Float32Array(64);
    featurizeInto('good good movie', spec, a);
    featurizeInto('GOOD good movie', spec, b);
    expect(Array.from(a)).toEqual(Array.from(b));
    expect(a.reduce((s, v) => s + v * v, 0)).toBeCloseTo(1, 5);
    expect(a.filter((v) => v > 0).length).toBeLessThanOrEqual(4); // good, movie, good_good, good_movie
    featurizeInto('', spec, a);
    expect(a.every((v) => v === 0)).toBe(true);
    const s = textSplit({ texts: ['a b', 'c'], labels: Int32Array.from([0, 1]) }, spec);
    expect([s.count, s.features, s.images.length]).toEqual([2, 64, 128]);
  });

  it('reads label-sentence files and names the line of a bad one', () => {
    const dir = tmpDir();
    const f = path.join(dir, 'd.txt');
    fs.writeFileSync(f, '1 a fine film\n\n0 a dull one\n');
    expect(readLabeledText(f, 2)).toMatchObject({ texts: ['a fine film', 'a dull one'], labels: Int32Array.from([1, 0]) });
    fs.writeFileSync(f, '1 a fine film\n2 out of range\n');
    expect(() => readLabeledText(f, 2)).toThrow(`${f}:2: expected "LABEL sentence" with LABEL an integer in [0, 1], got "2 out of range"`);
    expect(() => readLabeledText(path.join(dir, 'none'), 2)).toThrow('text data file not found');
    fs.writeFileSync(f, '\n\n');
    expect(() => readTextLines(f)).toThrow('expected at least one line of text');
  });
});
