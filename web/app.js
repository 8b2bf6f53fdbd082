// The dashboard shell: token box and a hash router over the views.
import { h, setToken, token } from './api.js';
import { jobView } from './job.js';
import { jobsView } from './jobs.js';
import { newJobView } from './new-job.js';
import { reportFileView } from './report.js';

let current = new AbortController();

async function route() {
  current.abort();
  current = new AbortController();
  const view = document.querySelector('#view');
  view.replaceChildren();
  const hash = location.hash.replace(/^#/, '') || '/';
  try {
    if (hash === '/report') return reportFileView(view);
    if (!token()) {
      view.append(h('section', { class: 'card' }, h('p', {}, 'Enter the API token (printed when the server first started; also in the data dir, file "token") above.')));
      return;
    }
    const job = /^\/jobs\/([\w-]+)$/.exec(hash);
    if (job) await jobView(view, current.signal, job[1]);
    else if (hash === '/new') await newJobView(view, current.signal);
    else await jobsView(view, current.signal);
  } catch (e) {
    view.append(h('p', { class: 'error', id: 'view-error' }, e.message));
  }
}

document.querySelector('#token').value = token();
document.querySelector('#token-form').addEventListener('submit', (ev) => {
  ev.preventDefault();
  setToken(document.querySelector('#token').value);
  route();
});
window.addEventListener('hashchange', route);
route();
