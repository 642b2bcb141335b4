// REST calls of the runs panel, compare and replay (app/web/runs_panel.py, app/web/runs.py).

import { request } from './api.js';

const runUrl = (id) => `/api/runs/${encodeURIComponent(id)}`;

export const runsApi = {
  /** {max_compare, checkpoint_policy (a sentence), default_points, page_size} */
  limits: () => request('GET', '/api/runs/limits'),
  /** {total, offset, runs: [summary + widths, task, checkpoints, live]}, newest first */
  page: (offset, limit) => request('GET', `/api/runs/page?offset=${offset}&limit=${limit}`),
  /** {max_compare, runs: [summary + segments, columns, final, best, checkpoints]} */
  compare: (ids) => request('GET', `/api/runs/compare?${ids.map((id) => `ids=${encodeURIComponent(id)}`).join('&')}`),
  /** {run, segment, epoch, checkpoint, config, dataset, snapshot} */
  replay: (id, segment, epoch, signal) => request('GET', `${runUrl(id)}/replay?segment=${segment}&epoch=${epoch}`, { signal }),
  rename: (id, name) => request('PATCH', runUrl(id), { json: { name } }),
  remove: (id) => request('DELETE', runUrl(id)),
};
