import fs from 'node:fs';
import YAML from 'yaml';
import type { z } from 'zod';
import { DistilleryError } from '../errors.js';
import { parseWith } from './format.js';

/** Reads a YAML or JSON config file as a plain object; a missing file, bad syntax or a non-mapping is one CONFIG error naming the file. */
export function readConfigInput(file: string): object {
  if (!fs.existsSync(file)) throw new DistilleryError('CONFIG', `${file}: config file not found`);
  let input: unknown;
  try {
    const text = fs.readFileSync(file, 'utf8');
    input = (/\.json$/i.test(file) ? JSON.parse(text) : YAML.parse(text)) ?? {};
  } catch (e) {
    throw new DistilleryError('CONFIG', `${file}: cannot parse (${(e as Error).message.split('\n')[0]})`);
  }
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new DistilleryError('CONFIG', `${file}: expected a mapping of config keys, got ${Array.isArray(input) ? 'a list' : typeof input}`);
  }
  return input;
}

/** Validates a config file's contents against `schema`; errors are one CONFIG line naming the file and field. */
export function parseConfigAs<S extends z.ZodType>(schema: S, file: string, input: unknown): z.infer<S> {
  try {
    return parseWith(schema, input, 'config');
  } catch (e) {
    if (e instanceof DistilleryError) throw new DistilleryError('CONFIG', `${file}: ${e.message}`);
    throw e;
  }
}

/**
 * Reads a YAML or JSON config file and validates it against `schema`.
 *
 * @example const config = loadConfigFile('examples/lm-distilbert.yaml', LmConfigSchema)
 */
export const loadConfigFile = <S extends z.ZodType>(file: string, schema: S): z.infer<S> => parseConfigAs(schema, file, readConfigInput(file));
