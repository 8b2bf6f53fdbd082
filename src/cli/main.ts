import { createRequire } from 'node:module';
import { isDistilleryError } from '../errors.js';

const USAGE = `distillery — knowledge distillation for TypeScript

Usage:
  distillery demo [--quick] [--out DIR] [--backend auto|native|wasm|cpu] [--seed N] [--data DIR] [--resume] [--threads N]
      Hinton's MNIST experiment: teacher, hard-label baseline and distilled student; prints a table and
      writes DIR/report.json, DIR/report.md and the three saved models (default DIR: out/demo).
  distillery run CONFIG.(yaml|json) [--out DIR] [--backend B] [--seed N] [--data DIR] [--resume] [--threads N]
      The same pipeline from a config file, or an experiment with several teachers/students (see examples/).
  distillery bench kd-step [--backend B] [--batch 128] [--hidden 800] [--steps N] [--threads N] [--json]
  distillery bench sgemm [--n 2048] [--json]
      Microbenchmarks of the training step and of the native backend's matrix multiply.
  distillery train-text --train FILE --labels a,b --out DIR [--test FILE] [--buckets 8192] [--ngrams 2] [--hidden 256]
      [--epochs 8] [--batch-size 64] [--lr 0.001] [--dropout 0] [--backend B] [--seed N]
      A text classifier (hashed n-grams -> MLP) on gold labels, saved for serve-teacher.
  distillery serve-teacher --model DIR|MODEL.bin|fasttext:lid176 [--tokenizer tok.bin] [--port 8080] [--host 127.0.0.1] [--api-key K] [--name ID]
      Serves a model as an OpenAI-compatible API (/v1/models, /v1/chat/completions with logprobs): a text
      classifier, fastText lid.176, or a llama2.c checkpoint that samples completions.
  distillery collect CONFIG [--out DIR] [--split train|test|all]
      Asks a teacher behind an OpenAI-compatible API every prompt not yet in the answer store (resumable).
  distillery blackbox CONFIG [--out DIR] [--seed N]
      Trains a student from the stored answers and a gold-label baseline; reports accuracy, agreement, gap closed.
      With a rejection-lm config: verifies the answers, trains students on all / verified / gold answers.
  distillery train-teacher CONFIG [--out DIR]
      Trains a rejection-lm config's Llama teacher on gold answers (a llama2.c checkpoint for serve-teacher).
  distillery verify CONFIG [--out DIR]
      Checks every stored answer with the config's verifier; writes the kept pairs and the acceptance rates.
  distillery server [--port 8080] [--host 127.0.0.1] [--data-dir DIR] [--token T] [--max-upload-mb 200] [--concurrency 1] [--worker-nice 10] [--cors ORIGIN]
      The distillation service: REST API under /api (bearer token; OpenAPI at /api/openapi.json), a job
      runner that resumes interrupted jobs, and the dashboard at /. State lives in DIR (default: distillery-data).
  distillery generate [--model PATH] [--tokenizer PATH] [--prompt TEXT] [--max-tokens 256] [--greedy]
      [--temperature 1] [--top-p 0.9] [--seed N] [--backend B]
      Text from a llama2.c checkpoint (default: models/stories260K), streamed to stdout.
  distillery lm CONFIG [--out DIR] [--backend B] [--seed N] [--steps N]
      Language-model distillation: samples transfer text from the teacher (cached), trains each student of
      the config (init from teacher layers or random; soft CE / hard CE / hidden cosine / JSD), reports
      held-out CE, KL, top-1 agreement, size and tokens/s (see examples/lm-*.yaml). Resumable.
  distillery help | --version
`;

type Command = (argv: string[]) => Promise<number>;

const commands: Record<string, () => Promise<Command>> = {
  demo: async () => (await import('./hinton.js')).demoCommand,
  run: async () => (await import('./hinton.js')).runCommand,
  bench: async () => (await import('./bench.js')).benchCommand,
  'train-text': async () => (await import('./train-text.js')).trainTextCommand,
  'serve-teacher': async () => (await import('./serve-teacher.js')).serveTeacherCommand,
  collect: async () => (await import('./collect.js')).collectCommand,
  blackbox: async () => (await import('./blackbox.js')).blackboxCommand,
  'train-teacher': async () => (await import('./blackbox.js')).trainTeacherCommand,
  verify: async () => (await import('./blackbox.js')).verifyCommand,
  server: async () => (await import('./server.js')).serverCommand,
  generate: async () => (await import('./generate.js')).generateCommand,
  lm: async () => (await import('./lm.js')).lmCommand,
};

/** The CLI: returns the exit code; errors print one line (set DISTILLERY_DEBUG=1 for stacks). */
export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === 'help' || name === '--help' || name === '-h') {
    process.stdout.write(USAGE);
    return name ? 0 : 2;
  }
  if (name === '--version' || name === '-v') {
    const pkg = createRequire(import.meta.url)('../../package.json') as { version: string };
    process.stdout.write(`${pkg.version}\n`);
    return 0;
  }
  const load = commands[name];
  if (!load) {
    process.stderr.write(`distillery: unknown command "${name}", expected one of ${Object.keys(commands).join(', ')}, help\n`);
    return 2;
  }
  try {
    return await (await load())(rest);
  } catch (e) {
    if (process.env.DISTILLERY_DEBUG) console.error(e);
    if (isDistilleryError(e)) {
      process.stderr.write(`distillery: error: ${e.message}\n`);
      return e.code === 'USAGE' || e.code === 'CONFIG' ? 2 : 1;
    }
    process.stderr.write(`distillery: internal error: ${(e as Error)?.message ?? String(e)}\n`);
    return 1;
  }
}
