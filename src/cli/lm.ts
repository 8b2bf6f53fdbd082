import path from 'node:path';
import { checkBackendChoice } from '../engine/backend.js';
import { DistilleryError } from '../errors.js';
import { loadConfigFile } from '../config/file.js';
import { LmConfigSchema } from '../lm/config.js';
import { lmMarkdown, runLm } from '../lm/run.js';
import { intFlag, parse } from './args.js';

/**
 * `distillery lm CONFIG [--out DIR] [--backend B] [--seed N] [--steps N]`: language-model distillation
 * (teacher samples → students → report). Rerunning the same command resumes an interrupted run.
 */
export async function lmCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parse('lm', argv, { out: { type: 'string' }, backend: { type: 'string' }, seed: { type: 'string' }, steps: { type: 'string' } }, true);
  if (positionals.length !== 1) throw new DistilleryError('USAGE', `distillery lm: expected one CONFIG file (.yaml or .json), got ${positionals.length}`);
  const file = positionals[0];
  const config = loadConfigFile(file, LmConfigSchema);
  if (values.backend !== undefined) {
    checkBackendChoice(values.backend);
    config.backend = values.backend;
  }
  const seed = intFlag('seed', values.seed);
  if (seed !== undefined) config.seed = seed;
  const steps = intFlag('steps', values.steps, 1);
  if (steps !== undefined) config.train.steps = steps;
  config.name ??= path.basename(file).replace(/\.(ya?ml|json)$/i, '');
  const out = values.out ?? path.join('out', config.name);
  const report = await runLm(config, { out, log: (line) => process.stderr.write(`${line}\n`) });
  process.stdout.write(`\n${lmMarkdown(report)}\nwrote ${path.join(out, 'report.json')}, ${path.join(out, 'report.md')}\n`);
  return 0;
}
