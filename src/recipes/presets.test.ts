import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { parseWith } from '../config/format.js';
import { HintonConfigSchema } from '../config/schema.js';
import { hintonFull, hintonQuick } from './presets.js';

describe('recipes', () => {
  it('examples/hinton-mnist.yaml reproduces the demo, and the quick example the quick demo', () => {
    for (const [file, preset] of [['examples/hinton-mnist.yaml', hintonFull], ['examples/hinton-mnist-quick.yaml', hintonQuick]] as const) {
      const fromFile = parseWith(HintonConfigSchema, YAML.parse(fs.readFileSync(file, 'utf8')));
      expect(fromFile).toEqual(parseWith(HintonConfigSchema, preset));
    }
  });

  it('the full recipe follows the paper: 1200-1200 teacher with dropout and jitter, 800-800 students, T = 20', () => {
    const c = parseWith(HintonConfigSchema, hintonFull);
    expect(c.trainExamples).toBeUndefined();
    expect(c.teacher).toMatchObject({ hidden: [1200, 1200], dropout: 0.5, jitter: 2 });
    expect(c.baseline.hidden).toEqual([800, 800]);
    expect(c.distilled).toMatchObject({ hidden: [800, 800], temperature: 20 });
  });
});
