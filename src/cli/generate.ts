import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { selectBackend } from '../engine/backend.js';
import { DistilleryError } from '../errors.js';
import { readLlamaCheckpoint } from '../models/llama/checkpoint.js';
import { generate } from '../models/llama/generate.js';
import { disposeLlama, llamaFromCheckpoint } from '../models/llama/model.js';
import { readLlamaTokenizer } from '../models/llama/tokenizer.js';
import { intFlag, parse } from './args.js';

const MODELS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../models/stories260K');

const unit = (name: string, v: string | undefined, fallback: number, lo: number, hi: number, loOpen: boolean): number => {
  if (v === undefined) return fallback;
  const n = Number(v);
  const ok = v.trim() !== '' && Number.isFinite(n) && (loOpen ? n > lo : n >= lo) && n <= hi;
  if (!ok) throw new DistilleryError('USAGE', `--${name}: expected number in ${loOpen ? '(' : '['}${lo}, ${hi}], got "${v}"`);
  return n;
};

/**
 * `distillery generate [--model PATH] [--tokenizer PATH] [--prompt TEXT] [--max-tokens N] [--greedy]
 *  [--temperature T] [--top-p P] [--seed N] [--backend B]`: text from a llama2.c checkpoint
 * (default: the repo's stories260K), streamed to stdout.
 */
export async function generateCommand(argv: string[]): Promise<number> {
  const { values } = parse('generate', argv, {
    model: { type: 'string' },
    tokenizer: { type: 'string' },
    prompt: { type: 'string' },
    'max-tokens': { type: 'string' },
    greedy: { type: 'boolean' },
    temperature: { type: 'string' },
    'top-p': { type: 'string' },
    seed: { type: 'string' },
    backend: { type: 'string' },
  });
  if (values.greedy && (values.temperature !== undefined || values['top-p'] !== undefined)) {
    throw new DistilleryError('USAGE', 'distillery generate: expected --greedy or --temperature/--top-p, got both');
  }
  const maxTokens = intFlag('max-tokens', values['max-tokens'], 1) ?? 256;
  const temperature = values.greedy ? 0 : unit('temperature', values.temperature, 1, 0, 100, false);
  const topP = unit('top-p', values['top-p'], 0.9, 0, 1, true);
  const seed = intFlag('seed', values.seed) ?? 0;
  const checkpoint = readLlamaCheckpoint(values.model ?? path.join(MODELS, 'stories260K.bin'));
  const tok = readLlamaTokenizer(values.tokenizer ?? path.join(MODELS, 'tok512.bin'));
  if (tok.pieces.length !== checkpoint.config.vocabSize) {
    throw new DistilleryError('MODEL', `--tokenizer: expected ${checkpoint.config.vocabSize} tokens (the model's vocab_size), got ${tok.pieces.length}`);
  }
  // The default is cpu: at this size per-op overhead dominates, which the plain JS backend has least of.
  await selectBackend(values.backend ?? 'cpu');
  const model = llamaFromCheckpoint(checkpoint);
  const prompt = values.prompt ?? '';
  const started = performance.now();
  try {
    process.stdout.write(prompt);
    const { tokens } = generate(model, tok, { prompt, maxTokens, temperature, topP, seed, onPiece: (b) => process.stdout.write(b) });
    process.stdout.write('\n');
    const seconds = (performance.now() - started) / 1000;
    process.stderr.write(`${tokens.length} tokens in ${seconds.toFixed(2)}s (${(tokens.length / seconds).toFixed(0)} tok/s)\n`);
  } finally {
    disposeLlama(model);
  }
  return 0;
}
