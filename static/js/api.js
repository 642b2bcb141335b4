// REST calls. Every failure becomes an ApiError whose message a person can read.

import { state } from './state.js';

export class ApiError extends Error {
  constructor(message, status = 0, detail = null) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.detail = detail;
  }
}

// FastAPI errors: {"detail": "text"} or {"detail": [{loc, msg, input}, ...]} (pydantic).
function describeDetail(detail) {
  if (typeof detail === 'string') return detail;
  if (Array.isArray(detail)) {
    return detail
      .map((item) => {
        if (!item || typeof item !== 'object') return String(item);
        const loc = Array.isArray(item.loc) ? item.loc.filter((p) => p !== 'body').join('.') : '';
        return loc ? `${loc}: ${item.msg}` : String(item.msg ?? '');
      })
      .join('; ');
  }
  if (detail && typeof detail === 'object') {
    return detail.message ? String(detail.message) : JSON.stringify(detail);
  }
  return '';
}

/** One REST call: the parsed JSON body, or an ApiError with a readable message. */
export async function request(method, url, { json, form, signal } = {}) {
  const init = { method, headers: { Accept: 'application/json' }, signal };
  // Uploads belong to the session that sends them: name it (headers never reach a log line).
  if (state.session) {
    init.headers['X-Session-Id'] = state.session.id;
    init.headers['X-Session-Token'] = state.session.token;
  }
  if (json !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(json);
  } else if (form !== undefined) {
    init.body = form; // the browser sets the multipart boundary
  }
  let response;
  try {
    response = await fetch(url, init);
  } catch (err) {
    if (err && err.name === 'AbortError') throw err;
    throw new ApiError('Cannot reach the Backprop Lab server — is it still running?', 0);
  }
  let body = null;
  const text = await response.text();
  if (text) {
    try {
      body = JSON.parse(text);
    } catch {
      body = null;
    }
  }
  if (!response.ok) {
    const what = body && 'detail' in body ? describeDetail(body.detail) : '';
    const fallback =
      response.status === 413
        ? 'The file is too large for the server.'
        : `${response.status} ${response.statusText || 'error'}`;
    throw new ApiError(what || fallback, response.status, body);
  }
  return body;
}

export const api = {
  health: () => request('GET', '/api/health'),
  presets: () => request('GET', '/api/presets'),
  schema: () => request('GET', '/api/schema'),
  datasets: () => request('GET', '/api/datasets'),
  /** -> {lessons: [{id, title, summary, steps}], invalid: [{file, error}]} */
  lessons: () => request('GET', '/api/lessons'),
  lesson: (id) => request('GET', `/api/lessons/${encodeURIComponent(id)}`),
  /** body: {} | {preset: id} | {config: partial} -> {id, token, config} */
  createSession: (body = {}) => request('POST', '/api/sessions', { json: body }),
  /** A stored run with its history, events and checkpoints (503 when the server stores none). */
  run: (id) => request('GET', `/api/runs/${encodeURIComponent(id)}`),
  /** A new session continuing the run from its newest checkpoint -> {id, token, config, run, epoch} */
  resumeRun: (id) => request('POST', `/api/runs/${encodeURIComponent(id)}/resume`),
  /** The live session of a run, shared with the tab that trains it -> {id, token, config, run, epoch};
   * 409 when the run is stored but not live (resume it), 404 when no such run. */
  attachRun: (id) => request('POST', `/api/runs/${encodeURIComponent(id)}/attach`),
  /** -> {id, rows, features, target, task, classes} */
  uploadDataset(file, { target = null, task = null } = {}) {
    const form = new FormData();
    form.append('file', file, file.name);
    if (target) form.append('target', target);
    if (task && task !== 'auto') form.append('task', task);
    return request('POST', '/api/datasets', { form });
  },
};
