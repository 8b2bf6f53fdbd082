// `#/jobs/<id>`: state, live curves, the comparison table, dark knowledge, downloads, and the student
// running in this browser.
import { api, download, follow, h } from './api.js';
import { trainingCharts } from './charts.js';
import { darkKnowledgePanel } from './dark.js';
import { comparisonTable, reportSummary } from './report.js';
import { loadStudent, predictClasses } from './student.js';

function tryInBrowser(job, run) {
  const out = h('span', { class: 'muted', id: 'browser-result' });
  return h('div', { class: 'row' },
    h('button', { type: 'button', class: 'secondary', id: 'try-student', onclick: async () => {
      out.textContent = 'loading the student into TF.js…';
      try {
        const example = Number(document.querySelector('#dark-example')?.value ?? 0);
        const [model, s] = await Promise.all([loadStudent(job.id, run), api(`/jobs/${job.id}/soft-targets?example=${example}`)]);
        const [pred] = predictClasses(model, [s.pixels.map((p) => p / 255)]);
        out.textContent = `${run}, in this browser: test example ${example} is a ${pred} (label ${s.label})`;
      } catch (e) {
        out.textContent = e.message;
      }
    } }, `Run ${run} in this browser`), out);
}

async function showResults(job, box) {
  const report = await api(`/jobs/${job.id}/report.json`);
  const students = job.runs.filter((r) => r !== 'teacher' && !job.config.teachers?.some((t) => t.name === r));
  const main = students.at(-1) ?? job.runs[0];
  box.replaceChildren(
    h('section', { class: 'card', id: 'results' },
      h('h2', {}, 'Teacher vs students'), h('p', { class: 'muted' }, reportSummary(report)), comparisonTable(report),
      h('div', { class: 'row', style: 'margin-top:12px' },
        h('button', { type: 'button', id: 'download-student', onclick: () => download(`/jobs/${job.id}/models/${main}.zip`, `${job.id}-${main}.zip`) }, `Download ${main} (TF.js, zip)`),
        job.runs.filter((r) => r !== main).map((r) => h('button', { type: 'button', class: 'secondary', onclick: () => download(`/jobs/${job.id}/models/${r}.zip`, `${job.id}-${r}.zip`) }, `Download ${r}`)),
        h('button', { type: 'button', class: 'secondary', id: 'download-report', onclick: () => download(`/jobs/${job.id}/report.json`, 'report.json') }, 'report.json'),
        h('button', { type: 'button', class: 'secondary', onclick: () => download(`/jobs/${job.id}/report.md`, 'report.md') }, 'report.md')),
      tryInBrowser(job, main)),
    darkKnowledgePanel(job));
}

/** The job page; follows the event stream until the job ends. */
export async function jobView(view, signal, id) {
  let job = await api(`/jobs/${id}`);
  const state = h('span', { class: `state ${job.state}`, id: 'job-state' }, job.state);
  const progress = h('div', { class: 'progress', id: 'progress' });
  const error = h('p', { class: 'error', id: 'job-error' }, job.error ?? '');
  const log = h('pre', { class: 'config', id: 'job-log' });
  const results = h('div');
  const actions = h('div', { class: 'row' },
    h('button', { type: 'button', class: 'secondary', id: 'cancel-job', onclick: () => api(`/jobs/${id}/cancel`, { method: 'POST' }).catch((e) => (error.textContent = e.message)) }, 'Cancel'),
    h('button', { type: 'button', class: 'secondary', onclick: async () => {
      try { await api(`/jobs/${id}`, { method: 'DELETE' }); location.hash = '#/'; } catch (e) { error.textContent = e.message; }
    } }, 'Delete'));
  view.append(h('h1', {}, job.name, ' ', state), h('p', { class: 'muted' }, `${job.id} · dataset ${job.datasetId} · ${job.form} config`), actions, error, progress);
  const charts = trainingCharts(view);
  view.append(results, h('details', {}, h('summary', {}, 'Log'), log), h('details', {}, h('summary', {}, 'Config'), h('pre', { class: 'config' }, JSON.stringify(job.config, null, 2))));
  signal.addEventListener('abort', () => charts.destroy());

  const epochs = {};
  const onEvent = (type, d) => {
    if (type === 'state' || type === 'end') {
      actions.querySelector('#cancel-job').hidden = ['succeeded', 'failed', 'cancelled'].includes(d.state);
      state.textContent = d.state;
      state.className = `state ${d.state}`;
      if (d.error) error.textContent = d.error;
    } else if (type === 'runStart') epochs[d.run] = d.epochs;
    else if (type === 'batch') {
      progress.textContent = `${d.run}: epoch ${d.epoch}/${epochs[d.run] ?? '?'}, batch ${d.batch}/${d.batches}, loss ${d.loss.toFixed(4)}`;
      charts.batch(d.run, d);
    } else if (type === 'epoch') charts.epoch(d.run, d);
    else if (type === 'log') log.textContent += `${d.line}\n`;
  };
  await follow(id, onEvent, signal); // for a finished job, replays its curves and ends
  if (signal.aborted) return;
  job = await api(`/jobs/${id}`);
  if (job.state === 'succeeded') {
    progress.textContent = '';
    await showResults(job, results);
  }
}
