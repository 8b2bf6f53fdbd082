import { DistilleryError } from '../errors.js';
import { intFlag, parse } from './args.js';

/** `distillery server [--port 8080] [--host 127.0.0.1] [--data-dir DIR] [--token T] [--max-upload-mb N] [--concurrency N] [--worker-nice 10] [--cors ORIGIN]` */
export async function serverCommand(argv: string[]): Promise<number> {
  const { values } = parse('server', argv, {
    port: { type: 'string' },
    host: { type: 'string' },
    'data-dir': { type: 'string' },
    token: { type: 'string' },
    'max-upload-mb': { type: 'string' },
    concurrency: { type: 'string' },
    'worker-nice': { type: 'string' },
    cors: { type: 'string', multiple: true },
  });
  const mb = values['max-upload-mb'] === undefined ? 200 : Number(values['max-upload-mb']);
  if (!(mb > 0)) throw new DistilleryError('USAGE', `--max-upload-mb: expected number > 0, got "${values['max-upload-mb']}"`);
  if (values.token !== undefined && values.token.length < 8) throw new DistilleryError('USAGE', '--token: expected at least 8 characters');
  const { startServer } = await import('../server/serve.js');
  const server = await startServer({
    port: intFlag('port', values.port) ?? 8080,
    host: values.host ?? '127.0.0.1',
    dataDir: values['data-dir'] ?? 'distillery-data',
    token: values.token,
    maxUploadMb: mb,
    concurrency: intFlag('concurrency', values.concurrency, 1) ?? 1,
    workerNice: intFlag('worker-nice', values['worker-nice']),
    corsOrigins: values.cors,
  });
  process.stdout.write(`distillery server: listening on ${server.url} (dashboard at ${server.url}/)\n`);
  if (server.tokenCreated) {
    process.stdout.write(`API token (shown once; also in the data dir, file "token"): ${server.token}\n`);
    process.stdout.write(`open the dashboard with it: ${server.url}/#token=${server.token}\n`);
  }
  await new Promise<void>((resolve) => {
    const stop = () => void server.close().then(resolve);
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  return 0;
}
