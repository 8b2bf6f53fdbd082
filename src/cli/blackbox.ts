import path from 'node:path';
import { blackboxMarkdown, runBlackbox } from '../blackbox/label-distill.js';
import { intFlag, parse } from './args.js';
import { loadBlackboxConfig } from './blackbox-config.js';
import { DistilleryError } from '../errors.js';

/** `distillery blackbox CONFIG [--out DIR] [--seed N]`: train and evaluate students from the answers `collect` stored. */
export async function blackboxCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parse('blackbox', argv, { out: { type: 'string' }, seed: { type: 'string' } }, true);
  if (positionals.length !== 1) throw new DistilleryError('USAGE', `distillery blackbox: expected one CONFIG file (.yaml or .json), got ${positionals.length}`);
  const { config, out, store } = loadBlackboxConfig(positionals[0], values.out);
  const seed = intFlag('seed', values.seed);
  if (seed !== undefined) config.seed = seed;
  const report = await runBlackbox(config, { out, store, log: (line) => process.stderr.write(`${line}\n`) });
  process.stdout.write(`\n${blackboxMarkdown(report)}\nbackend ${report.backend}, ${report.seconds.toFixed(1)} s; wrote ${path.join(out, 'report.json')}, ${path.join(out, 'report.md')}\n`);
  return 0;
}
