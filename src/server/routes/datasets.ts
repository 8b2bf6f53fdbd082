/** `/api/datasets`: upload, list, inspect, delete. */
import { Hono } from 'hono';
import fs from 'node:fs';
import path from 'node:path';
import { ingestDataset } from '../datasets.js';
import { isId, newId, staging } from '../files.js';
import { HttpError, notFound } from '../http.js';
import { limit, readUploads, type ServerDeps } from './context.js';

/**
 * Dataset routes, mounted at `/api/datasets`.
 *
 * @example app.route('/api/datasets', datasetRoutes(deps))
 */
export function datasetRoutes({ store, dataDir, maxUploadBytes }: ServerDeps): Hono {
  const app = new Hono();
  const find = (id: string) => {
    const d = isId(id, 'ds') ? store.getDataset(id) : undefined;
    if (!d) throw notFound('dataset', id);
    return d;
  };

  app.get('/', (c) => c.json({ datasets: store.listDatasets() }));

  app.post('/', limit(maxUploadBytes), async (c) => {
    const { name, files } = await readUploads(c);
    const stage = staging(dataDir);
    try {
      const { kind, info } = ingestDataset(stage.dir, files);
      const id = newId('ds');
      const bytes = files.reduce((n, f) => n + f.bytes.byteLength, 0);
      stage.commit(path.join(dataDir, 'datasets', id));
      try {
        return c.json(store.addDataset({ id, name: name ?? files[0].name, kind, bytes, info }), 201);
      } catch (e) {
        fs.rmSync(path.join(dataDir, 'datasets', id), { recursive: true, force: true });
        throw e;
      }
    } finally {
      stage.discard();
    }
  });

  app.get('/:id', (c) => c.json(find(c.req.param('id'))));

  app.delete('/:id', (c) => {
    const d = find(c.req.param('id'));
    const jobs = store.activeJobsUsing(d.id);
    if (jobs.length) throw new HttpError(409, 'CONFLICT', `dataset "${d.id}" is used by unfinished job(s) ${jobs.join(', ')}; cancel them first`);
    store.deleteDataset(d.id);
    fs.rmSync(path.join(dataDir, 'datasets', d.id), { recursive: true, force: true });
    return c.json({ deleted: d.id });
  });
  return app;
}
