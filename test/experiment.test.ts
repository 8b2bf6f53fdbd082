import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { ExperimentConfigSchema } from '../src/config/experiment.js';
import { parseWith } from '../src/config/format.js';
import { tmpDir, writeMiniMnist } from './helpers.js';

const BIN = path.resolve('bin/distillery.mjs');
const cli = (args: string[]) => {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
};
const writeYaml = (cfg: unknown) => {
  const f = path.join(tmpDir(), 'exp.yaml');
  fs.writeFileSync(f, YAML.stringify(cfg));
  return f;
};

let data: string;
beforeAll(() => {
  data = writeMiniMnist(tmpDir(), { train: 600, test: 300 });
});

const tiny = () => ({
  task: 'mnist',
  data,
  backend: 'cpu',
  seed: 2,
  teachers: [
    { name: 'member-a', hidden: [32], dropout: 0.2, epochs: 2, batchSize: 64 },
    { name: 'member-b', hidden: [24], epochs: 2, batchSize: 64, jitter: 1 },
  ],
  ensemble: { combine: 'mean-probs' },
  students: [
    { name: 'baseline', hidden: [16], epochs: 2, batchSize: 64 },
    {
      name: 'distilled',
      hidden: [16],
      epochs: 2,
      batchSize: 64,
      teacher: 'ensemble',
      transfer: { fraction: 0.5 },
      cache: { format: 'topk', k: 4 },
      loss: [{ name: 'kd', temperature: 4, weight: 0.8 }, { name: 'ce', weight: 0.2 }],
    },
  ],
});

describe('experiments (distillery run with teachers/students)', () => {
  it('trains an ensemble of teachers and its students, with a transfer fraction and a top-k cache', () => {
    const out = path.join(tmpDir(), 'out');
    const r = cli(['run', writeYaml(tiny()), '--out', out]);
    expect(r.stderr).toContain('backend: cpu');
    expect(r.code).toBe(0);
    const report = JSON.parse(fs.readFileSync(path.join(out, 'report.json'), 'utf8'));
    expect(Object.keys(report.runs)).toEqual(['member-a', 'member-b', 'ensemble', 'baseline', 'distilled']);
    expect(report.runs.ensemble.params).toBe(report.runs['member-a'].params + report.runs['member-b'].params);
    expect(report.runs.distilled.trainExamples).toBe(300);
    expect(report.runs.baseline.trainExamples).toBeUndefined();
    expect(report.runs.distilled.agreementWithTeacher).toBeGreaterThan(0);
    expect(r.stderr).toMatch(/distilled: soft targets computed into .*cache\/[0-9a-f]{32}\.bin/);
    const cacheFiles = fs.readdirSync(path.join(out, 'cache')).sort();
    expect(cacheFiles.map((f) => path.extname(f))).toEqual(['.bin', '.json']);
    // 300 rows of 4 one-byte ids, 4 half-precision log-probs and the rest mass: 14 bytes each.
    expect(fs.statSync(path.join(out, 'cache', cacheFiles[0])).size).toBe(300 * 14);
    expect(r.stdout).toContain('| ensemble |');
  });

  it('rejects an unknown loss name with the list of valid names', () => {
    const cfg = tiny();
    cfg.students[1].loss = [{ name: 'kld', temperature: 4, weight: 1 }];
    const f = writeYaml(cfg);
    const out = path.join(tmpDir(), 'o');
    const r = cli(['run', f, '--out', out]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe(`distillery: error: ${f}: config.students.1.loss.0.name: expected one of ce|kd|hinton|reverseKl|jsd|tvd|mseLogits|hiddenCosine|hintMse|dkd, got "kld"`);
    expect(fs.existsSync(out)).toBe(false);
  });

  it('rejects duplicate run names and unknown teacher references', () => {
    const dup = tiny();
    dup.students[0].name = 'member-a';
    const f = writeYaml(dup);
    expect(cli(['run', f]).stderr.trim()).toBe(`distillery: error: ${f}: config.students.0.name: expected a unique name, got "member-a" again`);
    const ref = tiny();
    ref.students[1].teacher = 'member-z';
    const g = writeYaml(ref);
    expect(cli(['run', g]).stderr.trim()).toBe(`distillery: error: ${g}: config.students.1.teacher: expected one of member-a|member-b|ensemble, got "member-z"`);
  });

  it('feature losses from a config: hidden-state cosine and hints between equal-width hidden layers', () => {
    const cfg = {
      task: 'mnist',
      data,
      backend: 'cpu',
      teachers: [{ name: 'teacher', hidden: [24, 16], epochs: 1, batchSize: 64 }],
      students: [
        {
          name: 'student',
          hidden: [16],
          epochs: 1,
          batchSize: 64,
          loss: [{ name: 'kd', temperature: 4 }, { name: 'hiddenCosine', studentFeature: 'hidden-1', teacherFeature: 'hidden-2', weight: 0.5 }, { name: 'hintMse', studentFeature: 'hidden-1', teacherFeature: 'hidden-2', weight: 0.1 }],
        },
      ],
    };
    const out = path.join(tmpDir(), 'out');
    const r = cli(['run', writeYaml(cfg), '--out', out]);
    expect(r.stderr).not.toContain('error');
    expect(r.code).toBe(0);
    expect(JSON.parse(fs.readFileSync(path.join(out, 'report.json'), 'utf8')).runs.student.testErrors).toBeLessThan(300);
    // Unequal widths: the hint needs a regressor, and the message shows both shapes.
    cfg.students[0].loss = [{ name: 'hintMse', studentFeature: 'hidden-1', teacherFeature: 'hidden-1', weight: 1 }];
    const f = writeYaml(cfg);
    const bad = cli(['run', f, '--out', path.join(tmpDir(), 'o')]);
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim()).toBe(
      `distillery: error: ${f}: config.students.0.loss.0.studentFeature: expected the width of teacher "teacher" hidden-1 (24 units), got 16 units in hidden-1 (a hint between different widths needs a regressor: hintRegressor in the library)`,
    );
  });

  it('the recipe examples are valid experiment configs', () => {
    for (const f of ['examples/ensemble-mnist.yaml', 'examples/few-data-mnist.yaml', 'examples/temperature-sweep.yaml']) {
      const c = parseWith(ExperimentConfigSchema, YAML.parse(fs.readFileSync(f, 'utf8')));
      expect(c.students.length).toBeGreaterThanOrEqual(2);
    }
  });
});
