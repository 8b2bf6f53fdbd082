import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { BlackboxConfigSchema, type BlackboxConfig } from '../blackbox/config.js';
import { parseWith } from '../config/format.js';
import { DistilleryError } from '../errors.js';

export interface LoadedBlackboxConfig {
  config: BlackboxConfig;
  out: string;
  store: string;
  /** The teacher's API key, read from the environment variable the config names. */
  apiKey?: string;
}

/**
 * Reads and validates a black-box config (YAML or JSON). OUT defaults to out/<config name>;
 * the store to OUT/answers.jsonl. `needKey`: the teacher will be called, so its key must be set.
 * Relative data and store paths are taken as given (from the working folder).
 */
export function loadBlackboxConfig(file: string, outFlag?: string, opts: { needKey?: boolean } = {}): LoadedBlackboxConfig {
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
  let config: BlackboxConfig;
  try {
    config = parseWith(BlackboxConfigSchema, input, 'config');
  } catch (e) {
    if (e instanceof DistilleryError) throw new DistilleryError('CONFIG', `${file}: ${e.message}`);
    throw e;
  }
  const out = outFlag ?? path.join('out', path.basename(file).replace(/\.(ya?ml|json)$/i, ''));
  let apiKey: string | undefined;
  const env = config.teacher.apiKeyEnv;
  if (env && opts.needKey) {
    apiKey = process.env[env];
    if (!apiKey) throw new DistilleryError('CONFIG', `${file}: config.teacher.apiKeyEnv names ${env}, but that environment variable is not set`);
  }
  return { config, out, store: config.store ?? path.join(out, 'answers.jsonl'), apiKey };
}
