// A reveal's branches on an attendee's page: once the instructor reveals a question, the run's
// branches (one per answer, from the same checkpoint) train side by side; this card overlays
// their validation loss as the wall does, and "Watch" follows one of them large, read-only.

import { el } from './dom.js';
import { roomApi } from './room-api.js';
import { drawBranches } from './wall-draw.js';
import { branchColor } from './wall-model.js';
import { fmt } from './format.js';

/** The branches card; `watch(branch)` starts watching one. Returns {element, update(poll)}. */
export function createBranchesView({ watch, toast }) {
  const title = el('h3', { class: 'branches-title', testid: 'branches-title' });
  const chart = el('canvas', { class: 'branches-chart', testid: 'branches-chart', 'aria-label': 'Validation loss of each branch' });
  const legend = el('ul', { class: 'branches-legend', testid: 'branches-legend' });
  const element = el('section', { class: 'branches-view', testid: 'branches-view', hidden: true, 'aria-label': 'The branches of the reveal' },
    title, chart, legend);
  let pending = false;

  async function refresh() {
    if (pending) return; // one request at a time: a slow answer is not stacked on
    pending = true;
    try {
      show(await roomApi('GET', '/api/room/branches'));
    } catch (err) {
      toast(err.message);
    } finally {
      pending = false;
    }
  }

  function show({ branch_epoch: at, branches }) {
    element.hidden = !branches.length;
    element.dataset.branches = String(branches.length);
    if (!branches.length) return;
    title.textContent = `The run branched at epoch ${at}: validation loss of each answer`;
    legend.replaceChildren(...branches.map((b) => {
      const dot = el('span', { class: 'wall-swatch', 'aria-hidden': 'true' });
      dot.style.background = branchColor(b.choice);
      const button = el('button', { type: 'button', class: 'branch-watch', testid: 'branch-watch', text: 'Watch',
        title: `Follow the branch “${b.label}” large, read-only` });
      button.addEventListener('click', () => watch(b));
      return el('li', { testid: 'branch-item', 'data-epoch': b.epoch, 'data-session': b.session },
        dot, el('span', { class: 'branch-label', text: b.label }),
        el('span', { class: 'branch-fig', text: `epoch ${b.epoch} · val loss ${fmt(b.loss.val.at(-1))}` }), button);
    }));
    drawBranches(chart, branches, at ?? 0, getComputedStyle(element).color);
  }

  return {
    element,
    /** Called with each /api/room reply's poll: fetch the branches while a reveal is on. */
    update(poll) {
      if (poll?.revealed) refresh();
      else element.hidden = true;
    },
  };
}
