import { startTeacherServer } from '../blackbox/serve.js';
import { loadServedModel } from '../blackbox/served-models.js';
import { selectBackend } from '../engine/backend.js';
import { DistilleryError } from '../errors.js';
import { intFlag, parse } from './args.js';

/**
 * `distillery serve-teacher --model PATH|fasttext:lid176 [--tokenizer tok.bin] [--port 8080] [--host 127.0.0.1] [--api-key K] [--name ID]`:
 * an OpenAI-compatible server until SIGINT/SIGTERM. PATH is a text classifier folder or a llama2.c checkpoint
 * file (with its tokenizer; default models/stories260K/tok512.bin). The key may also come from DISTILLERY_API_KEY.
 */
export async function serveTeacherCommand(argv: string[]): Promise<number> {
  const { values } = parse('serve-teacher', argv, {
    model: { type: 'string' },
    tokenizer: { type: 'string' },
    port: { type: 'string' },
    host: { type: 'string' },
    'api-key': { type: 'string' },
    name: { type: 'string' },
    backend: { type: 'string' },
  });
  if (!values.model) throw new DistilleryError('USAGE', 'distillery serve-teacher: expected --model PATH (a text classifier folder or a llama2.c checkpoint) or --model fasttext:lid176');
  const port = intFlag('port', values.port) ?? 8080;
  if (port > 65535) throw new DistilleryError('USAGE', `--port: expected integer in [0, 65535], got "${values.port}"`);
  if (!values.model.startsWith('fasttext:')) await selectBackend(values.backend ?? 'auto');
  const model = await loadServedModel(values.model, values.name, { tokenizer: values.tokenizer });
  const apiKey = values['api-key'] ?? process.env.DISTILLERY_API_KEY;
  let server;
  try {
    server = await startTeacherServer(model, { host: values.host ?? '127.0.0.1', port, apiKey });
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw new DistilleryError('USAGE', `--port ${port}: cannot listen on ${values.host ?? '127.0.0.1'} (${err.code ?? err.message})`);
  }
  process.stdout.write(`serving ${model.id} at ${server.url}${apiKey ? ' (bearer key required)' : ''}\n`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await server.close();
  return 0;
}
