/**
 * The service's Hono app: `/api` (bearer token, JSON errors, OpenAPI document) and the dashboard.
 * Tested without sockets through `app.request()`; `serve.ts` binds it to a port.
 */
import { Hono } from 'hono';
import { cors } from 'hono/cors';
import { secureHeaders } from 'hono/secure-headers';
import { requireToken } from './auth.js';
import { errorJson, onError } from './http.js';
import { openApiDocument } from './openapi.js';
import { datasetRoutes } from './routes/datasets.js';
import type { ServerDeps } from './routes/context.js';
import { jobRoutes } from './routes/jobs.js';
import { teacherRoutes } from './routes/teachers.js';
import { staticRoutes } from './static.js';

export interface AppOptions extends ServerDeps {
  token: string;
  /** Origins allowed to call the API from other sites; none (CORS off) by default. */
  corsOrigins?: string[];
}

/**
 * Builds the app.
 *
 * @example const app = createApp({ store, runner, dataDir, token, maxUploadBytes: 100 << 20 }); await app.request('/api/jobs', { headers })
 */
export function createApp(opts: AppOptions): Hono {
  const app = new Hono();
  app.onError(onError);
  app.notFound((c) => errorJson(c, 404, 'NOT_FOUND', `no route ${c.req.method} ${c.req.path}`));
  app.use('*', secureHeaders({ crossOriginResourcePolicy: 'same-origin' }));
  if (opts.corsOrigins?.length) app.use('/api/*', cors({ origin: opts.corsOrigins, allowHeaders: ['Authorization', 'Content-Type'] }));
  app.use('/api/*', requireToken(opts.token));
  app.get('/api/openapi.json', (c) => c.json(openApiDocument()));
  app.route('/api/datasets', datasetRoutes(opts));
  app.route('/api/teachers', teacherRoutes(opts));
  app.route('/api/jobs', jobRoutes(opts));
  app.route('/', staticRoutes());
  return app;
}
