import fs from 'node:fs';
import YAML from 'yaml';
import type { z } from 'zod';
import { DistilleryError } from '../errors.js';
import { parseWith } from './format.js';

/**
 * Reads a YAML or JSON config file and validates it against `schema`; every problem is one CONFIG error
 * naming the file and the field.
 *
 * @example const config = loadConfigFile('examples/lm-distilbert.yaml', LmConfigSchema)
 */
export function loadConfigFile<S extends z.ZodType>(file: string, schema: S): z.infer<S> {
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
  try {
    return parseWith(schema, input, 'config');
  } catch (e) {
    if (e instanceof DistilleryError) throw new DistilleryError('CONFIG', `${file}: ${e.message}`);
    throw e;
  }
}
