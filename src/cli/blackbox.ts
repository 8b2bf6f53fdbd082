import path from 'node:path';
import { blackboxMarkdown, runBlackbox } from '../blackbox/label-distill.js';
import { rejectionMarkdown, runRejection, trainTeacher } from '../blackbox/rejection.js';
import { verifyAnswers, verifySummary } from '../blackbox/rejection-verify.js';
import { intFlag, parse } from './args.js';
import { configTask, loadBlackboxConfig, loadRejectionConfig } from './blackbox-config.js';
import { DistilleryError } from '../errors.js';

const log = (line: string) => process.stderr.write(`${line}\n`);

/**
 * `distillery blackbox CONFIG [--out DIR] [--seed N]`: train and evaluate students from the answers `collect` stored.
 * A `task: rejection-lm` config verifies the answers first and trains the all / verified / gold students.
 */
export async function blackboxCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parse('blackbox', argv, { out: { type: 'string' }, seed: { type: 'string' } }, true);
  if (positionals.length !== 1) throw new DistilleryError('USAGE', `distillery blackbox: expected one CONFIG file (.yaml or .json), got ${positionals.length}`);
  const seed = intFlag('seed', values.seed);
  if (configTask(positionals[0]) === 'rejection-lm') {
    const { config, out, store } = loadRejectionConfig(positionals[0], values.out);
    if (seed !== undefined) config.seed = seed;
    const report = await runRejection(config, { out, store, log });
    process.stdout.write(`\n${rejectionMarkdown(report)}\nwrote ${path.join(out, 'report.json')}, ${path.join(out, 'report.md')}\n`);
    return 0;
  }
  const { config, out, store } = loadBlackboxConfig(positionals[0], values.out);
  if (seed !== undefined) config.seed = seed;
  const report = await runBlackbox(config, { out, store, log });
  process.stdout.write(`\n${blackboxMarkdown(report)}\nbackend ${report.backend}, ${report.seconds.toFixed(1)} s; wrote ${path.join(out, 'report.json')}, ${path.join(out, 'report.md')}\n`);
  return 0;
}

/** `distillery verify CONFIG [--out DIR]`: check every stored answer of a rejection-lm config; write the kept pairs. */
export async function verifyCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parse('verify', argv, { out: { type: 'string' } }, true);
  if (positionals.length !== 1) throw new DistilleryError('USAGE', `distillery verify: expected one CONFIG file (.yaml or .json), got ${positionals.length}`);
  const { config, out, store } = loadRejectionConfig(positionals[0], values.out);
  const { report } = await verifyAnswers(config, { out, store, log });
  process.stdout.write(`${verifySummary(report)}\nwrote ${path.join(out, 'verified.jsonl')}, ${path.join(out, 'verify-report.json')}\n`);
  return 0;
}

/** `distillery train-teacher CONFIG [--out DIR]`: train a rejection-lm config's teacher on gold answers (→ OUT/teacher.bin). */
export async function trainTeacherCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parse('train-teacher', argv, { out: { type: 'string' } }, true);
  if (positionals.length !== 1) throw new DistilleryError('USAGE', `distillery train-teacher: expected one CONFIG file (.yaml or .json), got ${positionals.length}`);
  const { config, out } = loadRejectionConfig(positionals[0], values.out);
  const t = await trainTeacher(config, { out, log });
  process.stdout.write(
    `teacher: ${t.params.toLocaleString('en-US')} params, ${t.examples} gold examples, ${t.steps} steps in ${t.trainSeconds.toFixed(1)} s (${t.backend}); ` +
      `held-out accuracy ${(100 * t.heldOut.accuracy).toFixed(1)}% (${t.heldOut.correct}/${t.heldOut.problems}); wrote ${t.file}\n`,
  );
  return 0;
}
