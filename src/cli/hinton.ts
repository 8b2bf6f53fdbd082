import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { parseWith } from '../config/format.js';
import { ExperimentConfigSchema } from '../config/experiment.js';
import { HintonConfigSchema, type HintonConfigInput } from '../config/schema.js';
import { checkBackendChoice } from '../engine/backend.js';
import { DistilleryError } from '../errors.js';
import { reportTable } from '../eval/report.js';
import { hintonFull, hintonQuick } from '../recipes/presets.js';
import { runExperiment } from '../recipes/experiment.js';
import { runHinton } from '../recipes/hinton.js';
import { intFlag, parse } from './args.js';
import { progressEvents } from './progress.js';

const common = {
  out: { type: 'string' },
  backend: { type: 'string' },
  seed: { type: 'string' },
  data: { type: 'string' },
  resume: { type: 'boolean' },
  threads: { type: 'string' },
} as const;

function checkBackend(b: string | undefined): void {
  if (b !== undefined) checkBackendChoice(b);
}

/** A config with `teachers`/`students` lists is a general experiment; otherwise the Hinton teacher/baseline/distilled form. */
const isExperiment = (input: Record<string, unknown>): boolean => 'teachers' in input || 'students' in input;

async function execute(input: Record<string, unknown>, out: string, resume: boolean, threads?: number): Promise<number> {
  const events = progressEvents();
  const t0 = performance.now();
  const report = isExperiment(input)
    ? await runExperiment(parseWith(ExperimentConfigSchema, input), { out, resume, events, threads })
    : await runHinton(parseWith(HintonConfigSchema, input), { out, resume, events, threads });
  process.stdout.write(`\n${reportTable(report, { paper: !isExperiment(input) })}\n\n`);
  process.stdout.write(`backend ${report.backend}, ${((performance.now() - t0) / 1000).toFixed(1)} s; wrote ${path.join(out, 'report.json')}, ${path.join(out, 'report.md')}\n`);
  return 0;
}

/** `distillery demo [--quick] [--out DIR] [--backend B] [--seed N] [--data DIR] [--resume]` */
export async function demoCommand(argv: string[]): Promise<number> {
  const { values } = parse('demo', argv, { ...common, quick: { type: 'boolean' } });
  checkBackend(values.backend);
  const preset: HintonConfigInput = structuredClone(values.quick ? hintonQuick : hintonFull);
  if (values.backend) preset.backend = values.backend as HintonConfigInput['backend'];
  const seed = intFlag('seed', values.seed);
  if (seed !== undefined) preset.seed = seed;
  if (values.data) preset.data = values.data;
  return execute(preset as Record<string, unknown>, values.out ?? 'out/demo', values.resume ?? false, intFlag('threads', values.threads, 1));
}

/** `distillery run CONFIG.(yaml|json) [--out DIR] [--backend B] [--seed N] [--data DIR] [--resume]` */
export async function runCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parse('run', argv, common, true);
  checkBackend(values.backend);
  if (positionals.length !== 1) {
    throw new DistilleryError('USAGE', `distillery run: expected one CONFIG file (.yaml or .json), got ${positionals.length}`);
  }
  const file = positionals[0];
  if (!fs.existsSync(file)) throw new DistilleryError('CONFIG', `${file}: config file not found`);
  let input: Record<string, unknown>;
  try {
    const text = fs.readFileSync(file, 'utf8');
    input = (/\.json$/i.test(file) ? JSON.parse(text) : YAML.parse(text)) ?? {};
  } catch (e) {
    throw new DistilleryError('CONFIG', `${file}: cannot parse (${(e as Error).message.split('\n')[0]})`);
  }
  if (typeof input !== 'object' || Array.isArray(input)) {
    throw new DistilleryError('CONFIG', `${file}: expected a mapping of config keys, got ${Array.isArray(input) ? 'a list' : typeof input}`);
  }
  if (values.backend) input.backend = values.backend;
  const seed = intFlag('seed', values.seed);
  if (seed !== undefined) input.seed = seed;
  if (values.data) input.data = values.data;
  const out = values.out ?? path.join('out', path.basename(file).replace(/\.(ya?ml|json)$/i, ''));
  try {
    parseWith(isExperiment(input) ? ExperimentConfigSchema : HintonConfigSchema, input, 'config');
  } catch (e) {
    if (e instanceof DistilleryError) throw new DistilleryError('CONFIG', `${file}: ${e.message}`);
    throw e;
  }
  return execute(input, out, values.resume ?? false, intFlag('threads', values.threads, 1));
}
