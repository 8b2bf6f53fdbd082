import type { z } from 'zod';
import { DistilleryError } from '../errors.js';

function valueAt(input: unknown, path: PropertyKey[]): unknown {
  let v: unknown = input;
  for (const k of path) v = v !== null && typeof v === 'object' ? (v as Record<PropertyKey, unknown>)[k] : undefined;
  return v;
}

const show = (v: unknown): string => (v === undefined ? 'nothing' : JSON.stringify(v));

/** One line for the first problem: `config.distilled.temperature: expected number > 0, got -1`. */
export function formatZodError(error: z.ZodError, input: unknown, root = 'config'): string {
  const issue = error.issues[0];
  const at = (p: PropertyKey[]) => [root, ...p.map(String)].join('.');
  switch (issue.code) {
    case 'unrecognized_keys':
      return `${at([...issue.path, issue.keys[0]])}: unknown key (valid keys are listed in the config reference)`;
    case 'too_small': {
      const op = issue.inclusive ? '≥' : '>';
      return `${at(issue.path)}: expected ${issue.origin === 'array' ? 'length' : issue.origin} ${op} ${issue.minimum}, got ${show(valueAt(input, issue.path))}`;
    }
    case 'too_big': {
      const op = issue.inclusive ? '≤' : '<';
      return `${at(issue.path)}: expected ${issue.origin === 'array' ? 'length' : issue.origin} ${op} ${issue.maximum}, got ${show(valueAt(input, issue.path))}`;
    }
    case 'invalid_type':
      return `${at(issue.path)}: expected ${issue.expected}, got ${show(valueAt(input, issue.path))}`;
    case 'invalid_value':
      return `${at(issue.path)}: expected one of ${issue.values.map((v) => JSON.stringify(v)).join('|')}, got ${show(valueAt(input, issue.path))}`;
    case 'invalid_union': {
      const options = (issue as { options?: unknown[] }).options;
      if (options) return `${at(issue.path)}: expected one of ${options.join('|')}, got ${show(valueAt(input, issue.path))}`;
      return `${at(issue.path)}: ${issue.message}, got ${show(valueAt(input, issue.path))}`;
    }
    case 'custom':
      return `${at(issue.path)}: ${issue.message}`;
    default:
      return `${at(issue.path)}: ${issue.message}, got ${show(valueAt(input, issue.path))}`;
  }
}

/** Parses with a schema, or throws a one-line CONFIG error. */
export function parseWith<S extends z.ZodType>(schema: S, input: unknown, root = 'config'): z.infer<S> {
  const r = schema.safeParse(input);
  if (!r.success) throw new DistilleryError('CONFIG', formatZodError(r.error, input, root));
  return r.data;
}
