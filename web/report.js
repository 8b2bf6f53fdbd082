// The teacher-vs-student comparison table of a report.json, used by the job page and by "Open a report".
import { h } from './api.js';

const pct = (x) => (Number.isFinite(x) ? `${(100 * x).toFixed(2)}%` : '');
const int = (x) => (Number.isFinite(x) ? x.toLocaleString('en-US') : '');
const ms = (x) => (Number.isFinite(x) ? x.toFixed(3) : '');

/** A table of the report's runs: accuracy, agreement with the teacher, params, bytes, latency. */
export function comparisonTable(report) {
  const cols = [
    ['run', (n) => n],
    ['hidden', (_, r) => (r.hidden ? r.hidden.join('-') : '')],
    ['test accuracy', (_, r) => pct(r.testAccuracy), true],
    ['test errors', (_, r) => int(r.testErrors), true],
    ['agreement', (_, r) => pct(r.agreementWithTeacher), true],
    ['params', (_, r) => int(r.params), true],
    ['bytes', (_, r) => int(r.bytes), true],
    ['ms/sample (b=1)', (_, r) => ms(r.msPerSample), true],
    ['samples/s (b=256)', (_, r) => int(Math.round(r.samplesPerSec)), true],
    ['epochs', (_, r) => int(r.epochs), true],
  ];
  return h(
    'table',
    { class: 'comparison' },
    h('thead', {}, h('tr', {}, cols.map(([name, , num]) => h('th', { class: num ? 'num' : '' }, name)))),
    h('tbody', {}, Object.entries(report.runs).map(([name, r]) => h('tr', { 'data-run': name }, cols.map(([, f, num]) => h('td', { class: num ? 'num' : '' }, f(name, r)))))),
  );
}

/** A one-line summary of the report's setting. */
export const reportSummary = (r) =>
  `${r.task} · backend ${r.backend} · seed ${r.seed} · ${int(r.trainExamples)} train / ${int(r.testExamples)} test examples` +
  (r.temperature !== undefined ? ` · T = ${r.temperature}, α = ${r.alpha}` : '');

/** "Open a report": a saved report.json from disk, without a server run. */
export function reportFileView(view) {
  const out = h('div');
  const input = h('input', {
    type: 'file',
    id: 'report-file',
    accept: '.json,application/json',
    onchange: async () => {
      out.replaceChildren();
      try {
        const report = JSON.parse(await input.files[0].text());
        if (!report || typeof report.runs !== 'object') throw new Error('expected a Distillery report.json (an object with "runs")');
        out.append(h('p', { class: 'muted' }, reportSummary(report)), comparisonTable(report));
      } catch (e) {
        out.append(h('p', { class: 'error' }, `${input.files[0].name}: ${e.message}`));
      }
    },
  });
  view.append(h('h1', {}, 'Open a report'), h('section', { class: 'card' }, h('label', {}, 'report.json', input), out));
}
