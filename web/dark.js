// "Dark knowledge": the teacher's soft targets for one test example at T = 1, 4 and 20.
import { api, h } from './api.js';

function digit(pixels, height, width) {
  const c = h('canvas', { class: 'digit', width, height });
  const ctx = c.getContext('2d');
  const img = ctx.createImageData(width, height);
  pixels.forEach((p, i) => {
    img.data.set([255 - p, 255 - p, 255 - p, 255], 4 * i);
  });
  ctx.putImageData(img, 0, 0);
  return c;
}

/** The panel: run and example pickers, then the digit and a bar table of probabilities per temperature. */
export function darkKnowledgePanel(job) {
  const out = h('div', { id: 'dark-output' });
  const run = h('select', { id: 'dark-run' }, job.runs.map((r) => h('option', { value: r }, r)));
  const example = h('input', { id: 'dark-example', type: 'number', min: '0', value: '0' });
  const show = async () => {
    out.replaceChildren(h('span', { class: 'muted' }, 'running the model…'));
    try {
      const s = await api(`/jobs/${job.id}/soft-targets?run=${encodeURIComponent(run.value)}&example=${encodeURIComponent(example.value)}`);
      const classes = s.logits.map((_, i) => i);
      out.replaceChildren(h('div', { class: 'dark' },
        h('div', {}, digit(s.pixels, s.height, s.width), h('p', { class: 'muted' }, `test example ${s.example}, label ${s.label}`)),
        h('table', { class: 'bars' },
          h('thead', {}, h('tr', {}, h('th', {}, 'class'), s.temperatures.map((t) => h('th', {}, `T = ${t.temperature}`)))),
          h('tbody', {}, classes.map((k) => h('tr', { class: k === s.label ? 'label' : '' }, h('td', {}, String(k)),
            s.temperatures.map((t) => h('td', { title: t.probs[k].toExponential(3) },
              h('div', { class: 'row' }, h('div', { class: 'bar', style: `width:${Math.round(120 * t.probs[k])}px` }), h('span', { class: 'muted' }, t.probs[k].toFixed(4)))))))))));
    } catch (e) {
      out.replaceChildren(h('p', { class: 'error' }, e.message));
    }
  };
  return h('section', { class: 'card', id: 'dark-knowledge' },
    h('h2', {}, 'Dark knowledge: soft targets softmax(z / T)'),
    h('div', { class: 'row' }, h('label', {}, 'model', run), h('label', {}, 'test example', example), h('button', { type: 'button', id: 'dark-show', onclick: show }, 'Show')),
    out);
}
