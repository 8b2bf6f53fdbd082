// The new-job form: builds an experiment config (a teacher, optionally a hard-label baseline, and the
// distilled student) and lets the server validate it; a 400 is shown in the form at the field it names.
import { api, h } from './api.js';
import { uploadBox } from './jobs.js';

const LOSSES = {
  hinton: ['temperature', 'alpha'],
  kd: ['temperature'],
  reverseKl: ['temperature'],
  jsd: ['temperature', 'beta'],
  tvd: ['temperature'],
  dkd: ['temperature', 'alpha', 'beta'],
  mseLogits: [],
  ce: [],
};

const widths = (s) => s.split(/[\s,x-]+/).filter(Boolean).map(Number);
const num = (s) => (s.trim() === '' ? undefined : Number(s));

function field(id, label, attrs = {}) {
  return h('label', { for: id }, label, h('input', { id, name: id, ...attrs }));
}

/** The config the form describes (numbers as typed; the server checks them). */
export function configFrom(f) {
  const v = (id) => f.querySelector(`#${id}`).value;
  const lossName = v('loss');
  const term = { name: lossName };
  for (const p of LOSSES[lossName]) term[p] = num(v(`loss-${p}`));
  const student = (name, loss) => ({ name, hidden: widths(v('student-hidden')), epochs: num(v('student-epochs')), batchSize: num(v('batch-size')), loss });
  const config = {
    backend: v('backend'),
    seed: num(v('seed')),
    ...(v('train-examples').trim() ? { trainExamples: num(v('train-examples')) } : {}),
    students: [...(f.querySelector('#baseline').checked ? [student('baseline', [{ name: 'ce' }])] : []), student('student', [term])],
  };
  if (!v('teacher')) {
    config.teachers = [{ name: 'teacher', hidden: widths(v('teacher-hidden')), epochs: num(v('teacher-epochs')), batchSize: num(v('batch-size')), dropout: num(v('teacher-dropout')) }];
  }
  return config;
}

/** Which input a server message is about: `config.students.1.loss.0.temperature: ...` → #loss-temperature. */
function inputFor(message) {
  const path = message.split(':')[0];
  const rules = [
    [/^body\.dataset/, 'dataset'], [/^body\.teacher/, 'teacher'], [/^config\.backend/, 'backend'], [/^config\.seed/, 'seed'],
    [/^config\.trainExamples/, 'train-examples'], [/^config\.teachers\.\d+\.hidden/, 'teacher-hidden'], [/^config\.teachers\.\d+\.epochs/, 'teacher-epochs'],
    [/^config\.teachers\.\d+\.dropout/, 'teacher-dropout'], [/batchSize/, 'batch-size'], [/^config\.students\.\d+\.hidden/, 'student-hidden'],
    [/^config\.students\.\d+\.epochs/, 'student-epochs'], [/\.loss\.\d+\.(\w+)$/, (m) => (m[1] === 'name' ? 'loss' : `loss-${m[1]}`)],
  ];
  for (const [re, id] of rules) {
    const m = re.exec(path);
    if (m) return typeof id === 'function' ? id(m) : id;
  }
  return undefined;
}

/** `#/new`. */
export async function newJobView(view) {
  const [{ datasets }, { teachers }] = await Promise.all([api('/datasets'), api('/teachers')]);
  const dsSelect = h('select', { id: 'dataset', name: 'dataset' });
  const fillDatasets = (list, select) => {
    const mnist = list.filter((d) => d.kind === 'mnist');
    dsSelect.replaceChildren(...(mnist.length ? mnist.map((d) => h('option', { value: d.id }, `${d.name} (${d.info.train.count} train)`)) : [h('option', { value: '' }, 'upload a dataset above first')]));
    if (select) dsSelect.value = select;
  };
  fillDatasets(datasets);
  const teacherSelect = h('select', { id: 'teacher', name: 'teacher' }, h('option', { value: '' }, 'train a new teacher'),
    teachers.filter((t) => t.kind === 'tfjs').map((t) => h('option', { value: t.id }, `${t.name} (uploaded)`)));
  const lossParams = h('div', { class: 'contents' });
  const lossSelect = h('select', { id: 'loss', name: 'loss' }, Object.keys(LOSSES).map((n) => h('option', { value: n }, n)));
  const defaults = { temperature: '4', alpha: '0.9', beta: '0.5' };
  const showParams = () => lossParams.replaceChildren(...LOSSES[lossSelect.value].map((p) => field(`loss-${p}`, p, { type: 'number', step: 'any', value: defaults[p] })));
  lossSelect.addEventListener('change', showParams);
  showParams();
  const error = h('p', { class: 'error', id: 'form-error', role: 'alert' });
  const preview = h('pre', { class: 'config' });

  const form = h('form', { class: 'grid', id: 'new-job', novalidate: true },
    field('job-name', 'job name', { type: 'text', placeholder: 'optional' }),
    h('label', { for: 'dataset' }, 'dataset', dsSelect),
    h('label', { for: 'backend' }, 'backend', h('select', { id: 'backend' }, ['auto', 'native', 'wasm', 'cpu'].map((b) => h('option', { value: b }, b)))),
    field('seed', 'seed', { type: 'number', value: '0' }),
    field('train-examples', 'train examples (blank: all)', { type: 'number' }),
    field('batch-size', 'batch size', { type: 'number', value: '128' }),
    h('fieldset', {}, h('legend', {}, 'Teacher'), h('label', { for: 'teacher' }, 'teacher', teacherSelect),
      field('teacher-hidden', 'hidden layers', { value: '256, 256' }), field('teacher-epochs', 'epochs', { type: 'number', value: '5' }),
      field('teacher-dropout', 'dropout', { type: 'number', step: 'any', value: '0.3' })),
    h('fieldset', {}, h('legend', {}, 'Student'), field('student-hidden', 'hidden layers', { value: '32' }),
      field('student-epochs', 'epochs', { type: 'number', value: '5' }),
      h('label', { for: 'baseline' }, 'also train a hard-label baseline', h('input', { id: 'baseline', type: 'checkbox', checked: true }))),
    h('fieldset', {}, h('legend', {}, 'Loss'), h('label', { for: 'loss' }, 'loss', lossSelect), lossParams),
    h('div', { class: 'row' }, h('button', { type: 'submit', id: 'submit-job' }, 'Start job')),
  );
  const updatePreview = () => (preview.textContent = JSON.stringify(configFrom(form), null, 2));
  form.addEventListener('input', updatePreview);
  form.addEventListener('change', updatePreview);
  lossSelect.value = 'hinton';
  showParams();
  updatePreview();

  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    error.textContent = '';
    form.querySelectorAll('[aria-invalid]').forEach((el) => el.removeAttribute('aria-invalid'));
    const body = { dataset: dsSelect.value, config: configFrom(form) };
    const name = form.querySelector('#job-name').value.trim();
    if (name) body.name = name;
    if (teacherSelect.value) body.teacher = teacherSelect.value;
    try {
      const job = await api('/jobs', { method: 'POST', json: body });
      location.hash = `#/jobs/${job.id}`;
    } catch (e) {
      error.textContent = e.message;
      const id = inputFor(e.message);
      if (id) form.querySelector(`#${id}`)?.setAttribute('aria-invalid', 'true');
    }
  });

  view.append(
    h('h1', {}, 'New distillation job'),
    h('section', { class: 'card' }, h('h2', {}, 'Upload a dataset'), uploadBox('datasets', 'MNIST idx files (4, raw or .gz) or a .zip', '', (d) => api('/datasets').then((r) => fillDatasets(r.datasets, d.id)))),
    h('section', { class: 'card' }, form, error),
    h('details', {}, h('summary', {}, 'Config sent to the server'), preview),
  );
}
