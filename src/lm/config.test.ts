import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadConfigFile } from '../config/file.js';
import { readLlamaCheckpoint } from '../models/llama/checkpoint.js';
import { llamaParams, studentConfig } from '../models/llama/trainable.js';
import { LmConfigSchema } from './config.js';

const examples = fs.readdirSync('examples').filter((f) => /^lm-.*\.yaml$/.test(f));

describe('LM example configs', () => {
  it('exist and parse', () => {
    expect(examples.length).toBeGreaterThanOrEqual(4);
    for (const f of examples) expect(() => loadConfigFile(`examples/${f}`, LmConfigSchema)).not.toThrow();
  });

  it('the DistilBERT-style students cut from the teacher keep at most 40% of its non-embedding parameters', () => {
    const teacher = readLlamaCheckpoint('models/stories260K/stories260K.bin').config;
    const config = loadConfigFile('examples/lm-distilbert.yaml', LmConfigSchema);
    const names = config.students.map((s) => s.name);
    expect(names).toEqual(['distilled', 'no-init-from-teacher', 'no-cosine', 'no-soft-ce', 'hard-labels', 'hard-labels-scratch']);
    for (const s of config.students) {
      if (!('fromTeacher' in s.init)) continue;
      const c = studentConfig(teacher, s.init.fromTeacher).config;
      expect(llamaParams(c).nonEmbedding / llamaParams(teacher).nonEmbedding).toBeLessThanOrEqual(0.4);
    }
  });

  it('a config error names the file and the field', () => {
    const f = 'examples/lm-distilbert.yaml';
    const bad = `${fs.mkdtempSync('/tmp/lmcfg-')}/bad.yaml`;
    fs.writeFileSync(bad, fs.readFileSync(f, 'utf8').replace('steps: 200', 'steps: -1'));
    expect(() => loadConfigFile(bad, LmConfigSchema)).toThrow(`${bad}: config.train.steps`);
  });
});
