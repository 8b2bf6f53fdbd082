// Live training curves with Chart.js (served from node_modules): loss per run over epochs (batch points
// while a run trains, epoch means after), and test accuracy after each epoch.
import { h } from './api.js';

const COLORS = ['#2f6fde', '#e67e22', '#1e8a4c', '#8e44ad', '#c0392b', '#16a085', '#7f8c8d'];

function lineChart(canvas, title, yLabel) {
  return new Chart(canvas, {
    type: 'line',
    data: { datasets: [] },
    options: {
      animation: false,
      maintainAspectRatio: false,
      parsing: false,
      plugins: { title: { display: true, text: title } },
      scales: { x: { type: 'linear', min: 0, title: { display: true, text: 'epoch' } }, y: { title: { display: true, text: yLabel } } },
      elements: { point: { radius: 2 } },
    },
  });
}

/** The two charts in `parent`; feed them with `batch(run, b)` and `epoch(run, e)`. */
export function trainingCharts(parent) {
  const lossCanvas = h('canvas', { id: 'loss-chart' });
  const accCanvas = h('canvas', { id: 'accuracy-chart' });
  parent.append(h('div', { class: 'charts' }, h('div', {}, lossCanvas), h('div', {}, accCanvas)));
  const loss = lineChart(lossCanvas, 'training loss', 'loss');
  const acc = lineChart(accCanvas, 'test accuracy after each epoch', 'accuracy');
  const series = (chart, run) => {
    let ds = chart.data.datasets.find((d) => d.label === run);
    if (!ds) {
      const color = COLORS[chart.data.datasets.length % COLORS.length];
      ds = { label: run, data: [], borderColor: color, backgroundColor: color, borderWidth: 1.5 };
      chart.data.datasets.push(ds);
    }
    return ds;
  };
  let pending = false;
  const redraw = () => {
    if (pending) return;
    pending = true;
    requestAnimationFrame(() => {
      pending = false;
      loss.update('none');
      acc.update('none');
    });
  };
  return {
    batch(run, b) {
      series(loss, run).data.push({ x: b.epoch - 1 + b.batch / b.batches, y: b.loss, batch: true });
      redraw();
    },
    epoch(run, e) {
      // The epoch mean replaces that epoch's batch points, so a replayed and a live chart look alike.
      const ds = series(loss, run);
      ds.data = ds.data.filter((p) => !p.batch || p.x <= e.epoch - 1);
      ds.data.push({ x: e.epoch, y: e.loss });
      if (e.testAccuracy !== undefined) series(acc, run).data.push({ x: e.epoch, y: e.testAccuracy });
      redraw();
    },
    destroy() {
      loss.destroy();
      acc.destroy();
    },
  };
}
