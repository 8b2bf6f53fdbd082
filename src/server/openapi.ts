/**
 * The OpenAPI 3.1 document served at `/api/openapi.json`. Request schemas come from the same zod schemas
 * the routes validate with, so the document cannot drift from what the server accepts.
 */
import { z } from 'zod';
import { ExperimentConfigSchema, HintonConfigSchema } from '../index.js';
import { JobBodySchema } from './jobs.js';
import { EndpointSchema } from './teachers.js';

const json = (schema: z.ZodType) => z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' });
const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const ok = (description: string, schema: object = { type: 'object' }) => ({ description, content: { 'application/json': { schema } } });
const errors = (...codes: number[]) => Object.fromEntries(codes.map((c) => [String(c), { description: ERR[c], content: { 'application/json': { schema: ref('Error') } } }]));
const ERR: Record<number, string> = { 400: 'invalid input; the message names the field', 404: 'not found', 409: 'conflict with the current state', 413: 'body larger than --max-upload-mb' };
const idParam = (name = 'id') => ({ name, in: 'path', required: true, schema: { type: 'string' } });
const upload = {
  required: true,
  content: {
    'multipart/form-data': {
      schema: { type: 'object', properties: { name: { type: 'string' }, files: { type: 'array', items: { type: 'string', format: 'binary' } } }, required: ['files'] },
    },
  },
};

/** Every route of the API, with its operations. */
export function openApiDocument(): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {
    '/api/openapi.json': { get: { summary: 'This document', responses: { 200: ok('OpenAPI 3.1') } } },
    '/api/datasets': {
      get: { summary: 'List datasets', responses: { 200: ok('{ datasets: Dataset[] }') } },
      post: {
        summary: 'Upload a dataset: the four MNIST idx files (raw or .gz) or a .zip of them, or one CSV/TSV/JSONL/text file',
        requestBody: upload,
        responses: { 201: ok('the dataset', ref('Dataset')), ...errors(400, 413) },
      },
    },
    '/api/datasets/{id}': {
      get: { summary: 'Inspect a dataset (counts, classes, shapes)', parameters: [idParam()], responses: { 200: ok('the dataset', ref('Dataset')), ...errors(404) } },
      delete: { summary: 'Delete a dataset no unfinished job uses', parameters: [idParam()], responses: { 200: ok('{ deleted }'), ...errors(404, 409) } },
    },
    '/api/teachers': {
      get: { summary: 'List teachers', responses: { 200: ok('{ teachers: Teacher[] }') } },
      post: { summary: 'Upload a TF.js layers model (model.json + .bin files) or one .onnx file', requestBody: upload, responses: { 201: ok('the teacher'), ...errors(400, 413) } },
    },
    '/api/teachers/endpoint': {
      post: {
        summary: 'Register an OpenAI-compatible endpoint',
        requestBody: { required: true, content: { 'application/json': { schema: ref('EndpointBody') } } },
        responses: { 201: ok('the teacher'), ...errors(400) },
      },
    },
    '/api/teachers/{id}': {
      get: { summary: 'Inspect a teacher', parameters: [idParam()], responses: { 200: ok('the teacher'), ...errors(404) } },
      delete: { summary: 'Delete a teacher no unfinished job uses', parameters: [idParam()], responses: { 200: ok('{ deleted }'), ...errors(404, 409) } },
    },
    '/api/jobs': {
      get: { summary: 'List jobs', responses: { 200: ok('{ jobs: Job[] }') } },
      post: {
        summary: 'Create a job from an experiment or Hinton config on an uploaded dataset',
        requestBody: { required: true, content: { 'application/json': { schema: ref('JobBody') } } },
        responses: { 201: ok('the job (state queued)', ref('Job')), ...errors(400, 413) },
      },
    },
    '/api/jobs/{id}': {
      get: { summary: 'A job and its state', parameters: [idParam()], responses: { 200: ok('the job', ref('Job')), ...errors(404) } },
      delete: { summary: 'Delete a finished job and its files', parameters: [idParam()], responses: { 200: ok('{ deleted }'), ...errors(404, 409) } },
    },
    '/api/jobs/{id}/cancel': { post: { summary: 'Cancel a queued or running job', parameters: [idParam()], responses: { 202: ok('the job'), ...errors(404, 409) } } },
    '/api/jobs/{id}/events': {
      get: {
        summary: 'Server-Sent Events: state, log, runStart, batch, epoch, runEnd, then end. Stored events replay from Last-Event-ID (or ?after=N).',
        parameters: [idParam(), { name: 'after', in: 'query', schema: { type: 'integer' } }],
        responses: { 200: { description: 'text/event-stream', content: { 'text/event-stream': { schema: { type: 'string' } } } }, ...errors(404) },
      },
    },
    '/api/jobs/{id}/report.json': { get: { summary: 'The report (runs: accuracy, agreement, params, bytes, latency)', parameters: [idParam()], responses: { 200: ok('report.json'), ...errors(404) } } },
    '/api/jobs/{id}/report.md': {
      get: { summary: 'The report as Markdown', parameters: [idParam()], responses: { 200: { description: 'text/markdown', content: { 'text/markdown': { schema: { type: 'string' } } } }, ...errors(404) } },
    },
    '/api/jobs/{id}/models/{run}': {
      get: {
        summary: 'A trained model as a zip of TF.js files (model.json + weights.bin); `run` may end in .zip',
        parameters: [idParam(), idParam('run')],
        responses: { 200: { description: 'application/zip', content: { 'application/zip': { schema: { type: 'string', format: 'binary' } } } }, ...errors(404) },
      },
    },
    '/api/jobs/{id}/soft-targets': {
      get: {
        summary: "A saved model's soft targets softmax(z/T), T in {1, 4, 20}, for one test example",
        parameters: [idParam(), { name: 'run', in: 'query', schema: { type: 'string' } }, { name: 'example', in: 'query', schema: { type: 'integer', minimum: 0 } }],
        responses: { 200: ok('{ run, example, label, pixels, logits, temperatures: [{ temperature, probs }] }'), ...errors(400, 404) },
      },
    },
  };
  return {
    openapi: '3.1.0',
    info: { title: 'Distillery', version: '0.1.0', description: 'Knowledge distillation as a service. Every route needs `Authorization: Bearer <token>`.' },
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
      schemas: {
        Error: { type: 'object', properties: { error: { type: 'object', properties: { code: { type: 'string' }, message: { type: 'string' } }, required: ['code', 'message'] } } },
        Dataset: { type: 'object', properties: { id: { type: 'string' }, name: { type: 'string' }, kind: { enum: ['mnist', 'table', 'jsonl', 'text'] }, bytes: { type: 'integer' }, info: { type: 'object' } } },
        Job: { type: 'object', properties: { id: { type: 'string' }, state: { enum: ['queued', 'running', 'succeeded', 'failed', 'cancelled'] }, config: { type: 'object' } } },
        JobBody: json(JobBodySchema),
        EndpointBody: json(EndpointSchema),
        ExperimentConfig: json(ExperimentConfigSchema),
        HintonConfig: json(HintonConfigSchema),
      },
    },
    security: [{ bearer: [] }],
    paths,
  };
}
