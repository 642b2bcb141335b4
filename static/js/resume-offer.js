// After a server restart: offer to continue the tab's stored run from its last checkpoint, or
// start fresh. A server without a run store (503), or a run that cannot resume, starts fresh
// without asking.

import { api } from './api.js';
import { el } from './dom.js';

const RESUMABLE = new Set(['interrupted', 'paused', 'idle']);

/** The epoch a stored run would resume from, or null when it cannot be resumed. */
export function resumableEpoch(run) {
  if (!run || !RESUMABLE.has(run.state) || !run.checkpoints?.length) return null;
  const newest = run.checkpoints.reduce((a, b) => (b.segment > a.segment || (b.segment === a.segment && b.epoch > a.epoch) ? b : a));
  return newest.epoch;
}

/** Offer the stored run; resolve the new session continuing it ({id, token, config, run, epoch}),
 * or null to start fresh (the user's choice, no resumable run, or a failed resume, told by `toast`). */
export async function offerResume(runId, toast) {
  let run;
  try {
    run = await api.run(runId);
  } catch {
    return null; // 404 (deleted), 503 (no data directory), or the server is unreachable
  }
  const epoch = resumableEpoch(run);
  if (epoch === null || (await ask(run, epoch)) !== 'resume') return null;
  try {
    return await api.resumeRun(runId);
  } catch (err) {
    toast(`The run could not be resumed: ${err.message}. Starting fresh.`);
    return null;
  }
}

/** Show the banner; resolve 'resume' or 'fresh' as the user answers. */
function ask(run, epoch) {
  const n = (x) => Number(x).toLocaleString('en');
  return new Promise((resolve) => {
    const resumeBtn = el('button', { type: 'button', class: 'btn btn-primary', testid: 'resume-run', text: `Resume run (epoch ${n(epoch)})` });
    const freshBtn = el('button', { type: 'button', class: 'btn', testid: 'start-fresh', text: 'Start fresh' });
    const banner = el('div', { class: 'resume-offer', role: 'alertdialog', 'aria-labelledby': 'resume-offer-text', testid: 'resume-offer' },
      el('p', { id: 'resume-offer-text', text: `The server restarted. Run “${run.name}” (${run.state}) reached epoch ${n(run.epochs)}; its last checkpoint is at epoch ${n(epoch)}.` }),
      el('div', { class: 'resume-offer-actions' }, resumeBtn, freshBtn));
    const choose = (choice) => {
      banner.remove();
      resolve(choice);
    };
    resumeBtn.addEventListener('click', () => choose('resume'));
    freshBtn.addEventListener('click', () => choose('fresh'));
    document.body.append(banner);
    resumeBtn.focus();
  });
}
