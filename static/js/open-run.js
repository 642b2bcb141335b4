// Open a stored run in this tab: join its live session when the server runs it (another tab
// trains it; both tabs then control one run), else continue it from its last checkpoint.

import { api } from './api.js';

/** {id, token, config, run, epoch, shared}: `shared` when the session is live in another tab. */
export async function openRun(runId) {
  try {
    return { ...(await api.attachRun(runId)), shared: true };
  } catch (err) {
    if (err.status !== 409) throw err; // 409: stored but not live, so resume it below
  }
  return { ...(await api.resumeRun(runId)), shared: false };
}
