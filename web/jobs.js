// The job list (with live states) and the datasets and teachers on the server.
import { api, h } from './api.js';

const when = (iso) => (iso ? new Date(iso).toLocaleString() : '');

/** Uploads the chosen files as a dataset or teacher; returns the created record. */
export async function uploadFiles(kind, input, name) {
  const body = new FormData();
  if (name) body.set('name', name);
  for (const f of input.files) body.append('files', f);
  return api(`/${kind}`, { method: 'POST', body });
}

/** An upload box: file input, optional name, button, and the server's message on failure. */
export function uploadBox(kind, label, accept, onDone) {
  const files = h('input', { type: 'file', id: `${kind}-files`, multiple: true, accept });
  const name = h('input', { type: 'text', id: `${kind}-name`, placeholder: 'name (optional)' });
  const msg = h('span', { class: 'muted', id: `${kind}-message` });
  const button = h('button', {
    type: 'button',
    id: `${kind}-upload`,
    onclick: async () => {
      msg.className = 'muted';
      msg.textContent = 'uploading…';
      try {
        const rec = await uploadFiles(kind, files, name.value.trim());
        msg.textContent = `uploaded ${rec.name} (${rec.id})`;
        files.value = '';
        onDone?.(rec);
      } catch (e) {
        msg.className = 'error';
        msg.textContent = e.message;
      }
    },
  }, 'Upload');
  return h('div', { class: 'row' }, h('label', {}, label, files), h('label', {}, 'name', name), button, msg);
}

function describe(d) {
  const i = d.info;
  if (d.kind === 'mnist') return `${i.train.count} train / ${i.test.count} test, ${i.classes} classes, ${i.train.shape.slice(1).join('×')}`;
  if (d.kind === 'table') return `${i.rows} rows × ${i.columns.length} columns`;
  if (d.kind === 'jsonl') return `${i.records} records`;
  if (d.kind === 'tfjs') return `${i.features} → ${i.classes}, ${i.params.toLocaleString('en-US')} params`;
  if (d.kind === 'endpoint') return `${i.model} at ${i.baseUrl}`;
  return i.lines !== undefined ? `${i.lines} lines` : i.format ?? '';
}

async function resourceTable(kind) {
  const rows = (await api(`/${kind}`))[kind];
  if (!rows.length) return h('p', { class: 'muted' }, `No ${kind} yet.`);
  return h('table', {},
    h('thead', {}, h('tr', {}, ['id', 'name', 'kind', 'contents', 'created', ''].map((c) => h('th', {}, c)))),
    h('tbody', {}, rows.map((d) => h('tr', {},
      h('td', {}, d.id), h('td', {}, d.name), h('td', {}, d.kind), h('td', {}, describe(d)), h('td', {}, when(d.createdAt)),
      h('td', {}, h('button', { class: 'secondary', onclick: async (ev) => {
        try { await api(`/${kind}/${d.id}`, { method: 'DELETE' }); ev.target.closest('tr').remove(); } catch (e) { alert(e.message); }
      } }, 'Delete'))))));
}

/** `#/`: jobs, datasets, teachers. */
export async function jobsView(view, signal) {
  const jobsBox = h('div', { id: 'jobs' });
  const dsBox = h('div');
  const tcBox = h('div');
  const refresh = async () => {
    const { jobs } = await api('/jobs');
    jobsBox.replaceChildren(jobs.length
      ? h('table', {},
          h('thead', {}, h('tr', {}, ['job', 'name', 'state', 'dataset', 'created', 'finished'].map((c) => h('th', {}, c)))),
          h('tbody', {}, jobs.map((j) => h('tr', { 'data-job': j.id },
            h('td', {}, h('a', { href: `#/jobs/${j.id}` }, j.id)), h('td', {}, j.name),
            h('td', {}, h('span', { class: `state ${j.state}` }, j.state)), h('td', {}, j.datasetId),
            h('td', {}, when(j.createdAt)), h('td', {}, when(j.finishedAt))))))
      : h('p', { class: 'muted' }, 'No jobs yet. ', h('a', { href: '#/new' }, 'Create one.')));
  };
  const refreshResources = async () => {
    dsBox.replaceChildren(await resourceTable('datasets'));
    tcBox.replaceChildren(await resourceTable('teachers'));
  };
  view.append(
    h('h1', {}, 'Jobs'), h('section', { class: 'card' }, jobsBox),
    h('h2', {}, 'Datasets'),
    h('section', { class: 'card' }, uploadBox('datasets', 'MNIST idx files (4, raw or .gz), a .zip, or CSV/TSV/JSONL/text', '', refreshResources), dsBox),
    h('h2', {}, 'Teachers'),
    h('section', { class: 'card' }, uploadBox('teachers', 'TF.js model.json + weights.bin, or .onnx', '.json,.bin,.onnx', refreshResources), tcBox),
  );
  await Promise.all([refresh(), refreshResources()]);
  const timer = setInterval(() => refresh().catch(() => {}), 2000);
  signal.addEventListener('abort', () => clearInterval(timer));
}
