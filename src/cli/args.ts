import { parseArgs, type ParseArgsConfig } from 'node:util';
import { DistilleryError } from '../errors.js';

/** node:util parseArgs, with its errors turned into one-line USAGE errors. */
export function parse<T extends ParseArgsConfig['options']>(command: string, argv: string[], options: T, allowPositionals = false) {
  try {
    return parseArgs({ args: argv, options, allowPositionals, strict: true });
  } catch (e) {
    const msg = (e as Error).message.split('\n')[0].replace(/\. To specify a positional argument.*$/, '');
    throw new DistilleryError('USAGE', `distillery ${command}: ${msg}`);
  }
}

/** An integer flag: `--seed 3`. */
export function intFlag(name: string, value: string | undefined, min = 0): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new DistilleryError('USAGE', `--${name}: expected integer ≥ ${min}, got "${value}"`);
  return n;
}
