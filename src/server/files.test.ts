import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { inside, isId, newId, safeFileName } from './files.js';
import { softmaxT } from './soft-targets.js';

describe('file names and paths', () => {
  it.each(['train-images-idx3-ubyte.gz', 'model.json', 'weights.bin', 'a_b-c.1.csv'])('accepts %s', (n) => {
    expect(safeFileName(n, 'f')).toBe(n);
  });

  it.each(['../x', '..', 'a/b', 'a\\b', '.hidden', '', 'x..y', 'a\0b', 'é.csv', 'x'.repeat(200)])('refuses %j', (n) => {
    expect(() => safeFileName(n, 'files[0].name')).toThrow(/^files\[0\]\.name: expected a plain file name/);
  });

  it('inside() keeps paths under the root', () => {
    expect(inside('/data', 'jobs', 'job_1')).toBe(path.resolve('/data/jobs/job_1'));
    expect(() => inside('/data', '..', 'etc')).toThrow('outside the data dir');
    expect(() => inside('/data', '/etc/passwd')).toThrow('outside the data dir');
  });

  it('ids have a fixed shape', () => {
    const id = newId('job');
    expect(isId(id, 'job')).toBe(true);
    expect(isId(id, 'ds')).toBe(false);
    expect(isId('job_../../x', 'job')).toBe(false);
  });
});

describe('softmaxT', () => {
  it('matches the definition and flattens with temperature', () => {
    const z = [2, 1, 0.1];
    const ref = (T: number) => {
      const e = z.map((v) => Math.exp(v / T));
      const s = e.reduce((a, b) => a + b);
      return e.map((v) => v / s);
    };
    for (const T of [1, 4, 20]) softmaxT(z, T).forEach((p, i) => expect(p).toBeCloseTo(ref(T)[i], 12));
    expect(softmaxT([1000, 0], 1)).toEqual([1, 0]); // no overflow
    expect(Math.max(...softmaxT(z, 20))).toBeLessThan(Math.max(...softmaxT(z, 1)));
  });
});
