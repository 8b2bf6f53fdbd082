import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import type { z } from 'zod';
import { BlackboxConfigSchema, RejectionConfigSchema, type BlackboxConfig, type RejectionConfig } from '../blackbox/config.js';
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
  return finish(file, parseAs(BlackboxConfigSchema, file, readConfigInput(file)), outFlag, opts);
}

export interface LoadedRejectionConfig {
  config: RejectionConfig;
  out: string;
  store: string;
  apiKey?: string;
}

/** Reads a rejection-sampling config (`task: rejection-lm`), with the same defaults for OUT, store and key. */
export function loadRejectionConfig(file: string, outFlag?: string, opts: { needKey?: boolean } = {}): LoadedRejectionConfig {
  return finish(file, parseAs(RejectionConfigSchema, file, readConfigInput(file)), outFlag, opts);
}

/** The `task` a config file declares (`blackbox-text` when it names none), to pick its loader. */
export function configTask(file: string): string {
  const task = (readConfigInput(file) as { task?: unknown }).task;
  return typeof task === 'string' ? task : 'blackbox-text';
}

function readConfigInput(file: string): object {
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

function parseAs<S extends z.ZodType>(schema: S, file: string, input: unknown): z.infer<S> {
  try {
    return parseWith(schema, input, 'config');
  } catch (e) {
    if (e instanceof DistilleryError) throw new DistilleryError('CONFIG', `${file}: ${e.message}`);
    throw e;
  }
}

function finish<C extends { store?: string; teacher: { apiKeyEnv?: string } }>(file: string, config: C, outFlag: string | undefined, opts: { needKey?: boolean }): { config: C; out: string; store: string; apiKey?: string } {
  const out = outFlag ?? path.join('out', path.basename(file).replace(/\.(ya?ml|json)$/i, ''));
  let apiKey: string | undefined;
  const env = config.teacher.apiKeyEnv;
  if (env && opts.needKey) {
    apiKey = process.env[env];
    if (!apiKey) throw new DistilleryError('CONFIG', `${file}: config.teacher.apiKeyEnv names ${env}, but that environment variable is not set`);
  }
  return { config, out, store: config.store ?? path.join(out, 'answers.jsonl'), apiKey };
}
