/** `/api/teachers`: upload TF.js or ONNX models, register OpenAI-compatible endpoints, list, inspect, delete. */
import { Hono } from 'hono';
import fs from 'node:fs';
import path from 'node:path';
import { isId, newId, staging } from '../files.js';
import { HttpError, jsonBody, notFound, validate } from '../http.js';
import { EndpointSchema, ingestTeacher } from '../teachers.js';
import { limit, readUploads, type ServerDeps } from './context.js';

/**
 * Teacher routes, mounted at `/api/teachers`.
 *
 * @example app.route('/api/teachers', teacherRoutes(deps))
 */
export function teacherRoutes({ store, dataDir, maxUploadBytes }: ServerDeps): Hono {
  const app = new Hono();
  const find = (id: string) => {
    const t = isId(id, 'tc') ? store.getTeacher(id) : undefined;
    if (!t) throw notFound('teacher', id);
    return t;
  };

  app.get('/', (c) => c.json({ teachers: store.listTeachers() }));

  app.post('/', limit(maxUploadBytes), async (c) => {
    const { name, files } = await readUploads(c);
    const stage = staging(dataDir);
    try {
      const { kind, info } = await ingestTeacher(stage.dir, files);
      const id = newId('tc');
      stage.commit(path.join(dataDir, 'teachers', id));
      try {
        return c.json(store.addTeacher({ id, name: name ?? files[0].name, kind, info }), 201);
      } catch (e) {
        fs.rmSync(path.join(dataDir, 'teachers', id), { recursive: true, force: true });
        throw e;
      }
    } finally {
      stage.discard();
    }
  });

  app.post('/endpoint', limit(64 * 1024), async (c) => {
    const { name, ...info } = validate(EndpointSchema, await jsonBody(c), 'body');
    return c.json(store.addTeacher({ id: newId('tc'), name, kind: 'endpoint', info }), 201);
  });

  app.get('/:id', (c) => c.json(find(c.req.param('id'))));

  app.delete('/:id', (c) => {
    const t = find(c.req.param('id'));
    const jobs = store.activeJobsUsing(t.id);
    if (jobs.length) throw new HttpError(409, 'CONFLICT', `teacher "${t.id}" is used by unfinished job(s) ${jobs.join(', ')}; cancel them first`);
    store.deleteTeacher(t.id);
    fs.rmSync(path.join(dataDir, 'teachers', t.id), { recursive: true, force: true });
    return c.json({ deleted: t.id });
  });
  return app;
}
