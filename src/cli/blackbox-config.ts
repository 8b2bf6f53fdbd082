import path from 'node:path';
import { BlackboxConfigSchema, RejectionConfigSchema, type BlackboxConfig, type RejectionConfig } from '../blackbox/config.js';
import { parseConfigAs, readConfigInput } from '../config/file.js';
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
  return finish(file, parseConfigAs(BlackboxConfigSchema, file, readConfigInput(file)), outFlag, opts);
}

export interface LoadedRejectionConfig {
  config: RejectionConfig;
  out: string;
  store: string;
  apiKey?: string;
}

/** Reads a rejection-sampling config (`task: rejection-lm`), with the same defaults for OUT, store and key. */
export function loadRejectionConfig(file: string, outFlag?: string, opts: { needKey?: boolean } = {}): LoadedRejectionConfig {
  return finish(file, parseConfigAs(RejectionConfigSchema, file, readConfigInput(file)), outFlag, opts);
}

/** The `task` a config file declares (`blackbox-text` when it names none), to pick its loader. */
export function configTask(file: string): string {
  const task = (readConfigInput(file) as { task?: unknown }).task;
  return typeof task === 'string' ? task : 'blackbox-text';
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
