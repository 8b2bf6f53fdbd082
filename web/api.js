// The dashboard's only way to the server: fetch with the bearer token, JSON errors as exceptions,
// and Server-Sent Events read over fetch (EventSource cannot send an Authorization header).

const KEY = 'distillery.token';

export function token() {
  const m = /(?:^|[#&])token=([^&]+)/.exec(location.hash);
  if (m) {
    localStorage.setItem(KEY, decodeURIComponent(m[1]));
    history.replaceState(null, '', location.pathname + location.hash.replace(/[#&]?token=[^&]+/, '').replace(/^$/, '#/'));
  }
  return localStorage.getItem(KEY) ?? '';
}

export const setToken = (t) => localStorage.setItem(KEY, t.trim());

/** An API error: `code`, `status` and the server's one-line message. */
export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/** Calls `/api${path}`; returns parsed JSON (or the Response with `raw`). */
export async function api(path, { method = 'GET', json, body, raw = false } = {}) {
  const headers = { Authorization: `Bearer ${token()}` };
  if (json !== undefined) headers['Content-Type'] = 'application/json';
  const res = await fetch(`/api${path}`, { method, headers, body: json !== undefined ? JSON.stringify(json) : body });
  if (!res.ok) {
    let err = { code: 'HTTP', message: `${res.status} ${res.statusText}` };
    try {
      err = (await res.json()).error ?? err;
    } catch {}
    throw new ApiError(res.status, err.code, err.message);
  }
  return raw ? res : res.json();
}

/** Downloads `/api${path}` as a file named `name`. */
export async function download(path, name) {
  const blob = await (await api(path, { raw: true })).blob();
  const a = Object.assign(document.createElement('a'), { href: URL.createObjectURL(blob), download: name });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
}

/**
 * Follows a job's event stream: calls onEvent(type, data) for each event until the stream ends or
 * `signal` aborts. Reconnects after a dropped connection, from the last event id.
 */
export async function follow(jobId, onEvent, signal) {
  let last = 0;
  while (!signal.aborted) {
    try {
      const res = await fetch(`/api/jobs/${jobId}/events?after=${last}`, { headers: { Authorization: `Bearer ${token()}` }, signal });
      if (!res.ok) throw new ApiError(res.status, 'HTTP', `events: ${res.status}`);
      const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
      let buf = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buf += value;
        let i;
        while ((i = buf.indexOf('\n\n')) >= 0) {
          const block = buf.slice(0, i);
          buf = buf.slice(i + 2);
          let type = 'message', data = '', id;
          for (const line of block.split('\n')) {
            if (line.startsWith('event: ')) type = line.slice(7);
            else if (line.startsWith('data: ')) data += line.slice(6);
            else if (line.startsWith('id: ')) id = Number(line.slice(4));
          }
          if (!data) continue;
          if (id) last = id;
          onEvent(type, JSON.parse(data));
          if (type === 'end') return;
        }
      }
    } catch (e) {
      if (signal.aborted || (e instanceof ApiError && e.status < 500)) return;
    }
    await new Promise((r) => setTimeout(r, 1000));
  }
}

/** `<tag attrs>children</tag>` without innerHTML: text is always text. */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else el.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children.flat()) if (c !== null && c !== undefined && c !== false) el.append(c instanceof Node ? c : String(c));
  return el;
}
