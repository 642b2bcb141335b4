// The runs panel (the top bar's "Runs" button): every stored run, a page at a time, with its name
// (rename inline), dataset, network, optimiser, epochs, best validation figure, age and state, and
// its actions: open (continue it from its last checkpoint, else view it), duplicate (its config in
// a new session), delete (after a confirm). Ticked runs open in compare (compare-view.js), and
// from there in replay (replay.js). Esc closes the panel; the list keeps its page and ticks.

import { api } from './api.js';
import { showCompare } from './compare-view.js';
import { el } from './dom.js';
import { label } from './format.js';
import { showReplay } from './replay.js';
import { runsApi } from './runs-api.js';
import {
  bestFigure, networkLabel, optimiserLabel, pageText, stateLabel, toggleSelection, whenLabel,
} from './runs-format.js';

const n = (x) => Number(x ?? 0).toLocaleString('en');
const LEFT_KEY = 'backprop-lab.left-sessions'; // {run: {id, token}} of sessions this tab switched away from

function leftSessions() {
  try {
    return JSON.parse(globalThis.sessionStorage?.getItem(LEFT_KEY) ?? '{}') ?? {};
  } catch {
    return {};
  }
}

function setLeft(run, session) {
  const left = leftSessions();
  if (session) left[run] = session;
  else delete left[run];
  try {
    globalThis.sessionStorage?.setItem(LEFT_KEY, JSON.stringify(left));
  } catch {
    // storage disabled: such a run opens as a view instead
  }
}

/**
 * Wire `button` to open the panel in `overlay`. `currentSession()` is this tab's {id, token, run};
 * `openSession(reply)` switches the tab to a session {id, token, config?, run?}; `toast(text, kind)`
 * tells the user. A session the tab leaves is remembered (per tab), so opening its run again,
 * while the server keeps it, goes back to it.
 */
export function installRunsPanel({ button, overlay, currentSession, openSession, toast }) {
  const currentRun = () => currentSession()?.run ?? null;
  const close = el('button', { type: 'button', class: 'close-btn', testid: 'runs-close', 'aria-label': 'Close the runs panel', text: '×' });
  const heading = el('h2', { id: 'runs-title', text: 'Runs' });
  const screen = el('div', { class: 'runs-screen', testid: 'runs-screen' });
  overlay.setAttribute('aria-labelledby', 'runs-title');
  overlay.append(el('div', { class: 'runs-panel' }, el('div', { class: 'runs-head' }, heading, close), screen));

  let limits = null;
  let offset = 0;
  let selected = new Set();
  let view = null; // the compare or replay view on screen ({destroy})
  let compared = []; // ids on the compare screen, to come back to it from replay
  const message = el('p', { class: 'runs-message', testid: 'runs-message', role: 'status', 'aria-live': 'polite' });

  function leaveView() {
    view?.destroy();
    view = null;
    delete screen.dataset.compared;
    delete screen.dataset.replayEpoch;
  }

  // A modal: while it is open the rest of the page (not the toasts) takes no focus or clicks.
  const behind = () => [...overlay.parentElement.children].filter((c) => c !== overlay && !c.matches('.toasts'));

  function hide() {
    if (overlay.hidden) return;
    leaveView();
    overlay.hidden = true;
    for (const node of behind()) node.inert = false;
    button.setAttribute('aria-expanded', 'false');
    button.focus();
  }

  async function show() {
    overlay.hidden = false;
    for (const node of behind()) node.inert = true;
    button.setAttribute('aria-expanded', 'true');
    close.focus();
    try {
      limits ??= await runsApi.limits();
    } catch (err) {
      screen.replaceChildren(el('p', { class: 'runs-error', role: 'alert', text: `The runs are not available: ${err.message}` }));
      return;
    }
    await showList();
  }

  // ---- the list ---------------------------------------------------------------------------------

  async function showList() {
    leaveView();
    let page;
    try {
      page = await runsApi.page(offset, limits.page_size);
      if (!page.runs.length && offset > 0) {
        offset = Math.max(0, offset - limits.page_size); // the last page emptied: show the one before
        page = await runsApi.page(offset, limits.page_size);
      }
    } catch (err) {
      screen.replaceChildren(el('p', { class: 'runs-error', role: 'alert', text: `Could not list the runs: ${err.message}` }));
      return;
    }
    const compare = el('button', { type: 'button', class: 'btn btn-primary', testid: 'runs-compare' });
    const setCompare = () => {
      compare.textContent = selected.size ? `Compare ${selected.size} selected` : 'Compare: tick runs';
      compare.disabled = selected.size === 0;
    };
    setCompare();
    compare.addEventListener('click', () => openCompare([...selected]));
    const prev = el('button', { type: 'button', class: 'btn', testid: 'runs-prev', text: '‹ Newer', 'aria-label': 'Newer runs' });
    const next = el('button', { type: 'button', class: 'btn', testid: 'runs-next', text: 'Older ›', 'aria-label': 'Older runs' });
    prev.disabled = offset === 0;
    next.disabled = offset + page.runs.length >= page.total;
    prev.addEventListener('click', () => { offset = Math.max(0, offset - limits.page_size); showList(); });
    next.addEventListener('click', () => { offset += limits.page_size; showList(); });
    const refresh = el('button', { type: 'button', class: 'btn', testid: 'runs-refresh', text: 'Refresh' });
    refresh.addEventListener('click', () => showList());
    const toolbar = el('div', { class: 'runs-toolbar' }, compare,
      el('span', { class: 'runs-hint', text: `Tick up to ${limits.max_compare} runs to overlay them.` }), message,
      el('span', { class: 'runs-pager' }, prev, el('span', { testid: 'runs-count', text: pageText(offset, page.runs.length, page.total) }), next, refresh));
    const onTick = (id, box) => {
      const result = toggleSelection(selected, id, limits.max_compare);
      selected = result.selected;
      box.checked = selected.has(id);
      message.textContent = result.error ?? '';
      setCompare();
    };
    const body = el('tbody', {}, ...page.runs.map((run) => row(run, onTick)));
    const table = el('table', { class: 'runs-table', testid: 'runs-table' },
      el('thead', {}, el('tr', {}, ...['Compare', 'Run', 'Epochs', 'Best val', 'Made', 'State', 'Actions']
        .map((t) => el('th', { scope: 'col', text: t })))), body);
    const empty = el('p', { class: 'runs-note', text: 'No runs stored yet: press play and this run is kept.' });
    screen.replaceChildren(toolbar, page.runs.length ? el('div', { class: 'runs-table-wrap' }, table) : empty);
    overlay.dataset.total = String(page.total);
  }

  function row(run, onTick) {
    const mine = run.id === currentRun();
    const box = el('input', { type: 'checkbox', testid: 'run-select', 'aria-label': `Compare “${run.name}”` });
    box.checked = selected.has(run.id);
    box.addEventListener('change', () => onTick(run.id, box));
    const name = el('span', { class: 'run-name', testid: 'run-name', text: run.name });
    const meta = [label(run.config.dataset.name), networkLabel(run.widths, run.config.model.layers), optimiserLabel(run.config.training)];
    const nameCell = el('td', { class: 'run-main' }, el('div', { class: 'run-name-line' }, name,
      mine ? el('span', { class: 'run-badge', text: 'this tab' }) : null),
    el('div', { class: 'run-meta', text: meta.join(' · ') }));
    const actions = el('td', { class: 'run-actions' });
    const tr = el('tr', { testid: 'run-row', 'data-run-id': run.id, 'data-state': run.state },
      el('td', { class: 'run-pick' }, box), nameCell,
      el('td', { class: 'run-epochs', text: n(run.epochs) }), el('td', { text: bestFigure(run) }),
      el('td', { text: whenLabel(run.created), title: new Date(run.created * 1000).toLocaleString() }),
      el('td', {}, el('span', { class: 'run-state', 'data-state': run.state, text: stateLabel(run.state) })), actions);
    const act = (text, testid, fn, title) => {
      const b = el('button', { type: 'button', class: 'btn small', testid, text, title, 'aria-label': `${text} “${run.name}”` });
      b.addEventListener('click', fn);
      return b;
    };
    const buttons = () => {
      const del = act('Delete', 'run-delete', () => confirmDelete(), mine ? 'This tab trains it: open another run first' : 'Delete this run');
      del.disabled = mine;
      actions.replaceChildren(
        act('Open', 'run-open', () => open(run), mine ? 'This tab shows it already' : 'Continue it from its last checkpoint'),
        act('Rename', 'run-rename', () => rename(run, name, tr), 'Rename'),
        act('Duplicate', 'run-duplicate', () => duplicate(run), 'A new run with the same settings'),
        del);
    };
    const confirmDelete = () => {
      const yes = act('Delete', 'run-delete-confirm', () => remove(run), 'Delete it and everything it recorded');
      yes.classList.add('danger');
      const no = act('Cancel', 'run-delete-cancel', () => { buttons(); actions.querySelector('[data-testid="run-delete"]').focus(); }, 'Keep it');
      actions.replaceChildren(el('span', { class: 'run-confirm', text: 'Delete for good?' }), yes, no);
      no.focus();
    };
    buttons();
    return tr;
  }

  function rename(run, name, tr) {
    const input = el('input', { type: 'text', class: 'run-name-input', testid: 'run-name-input', maxlength: '200', 'aria-label': 'New name of the run' });
    input.value = run.name;
    let done = false;
    const finish = async (save) => {
      if (done) return;
      done = true;
      const text = input.value.trim();
      input.replaceWith(name);
      if (save && text && text !== run.name) {
        try {
          const renamed = await runsApi.rename(run.id, text);
          run.name = renamed.name;
          name.textContent = renamed.name;
        } catch (err) {
          toast(`Could not rename: ${err.message}`);
        }
      }
      tr.querySelector('[data-testid="run-rename"]').focus();
    };
    input.addEventListener('keydown', (event) => {
      if (event.key === 'Enter') finish(true);
      if (event.key === 'Escape') {
        event.stopPropagation(); // cancels the edit, not the panel
        finish(false);
      }
    });
    input.addEventListener('blur', () => finish(true));
    name.replaceWith(input);
    input.focus();
    input.select();
  }

  async function remove(run) {
    try {
      await runsApi.remove(run.id);
    } catch (err) {
      toast(`Could not delete: ${err.message}`);
    }
    selected.delete(run.id);
    message.textContent = '';
    await showList();
    toast(`Deleted “${run.name}”.`, 'info', 3000);
  }

  function switchTo(reply) {
    const now = currentSession();
    if (now?.id && now.run) setLeft(now.run, { id: now.id, token: now.token });
    setLeft(reply.run ?? reply.id, null);
    offset = 0; // the tab's run changed: the panel opens on the newest runs next time
    hide();
    openSession(reply);
  }

  async function open(run) {
    if (run.id === currentRun()) return hide();
    const left = leftSessions()[run.id];
    if (left && run.live) {
      switchTo({ ...left, run: run.id });
      toast(`Back to “${run.name}”.`, 'info', 3000);
      return;
    }
    try {
      const reply = await api.resumeRun(run.id);
      switchTo(reply);
      toast(`Opened “${run.name}” at epoch ${n(reply.epoch)}: press play to continue it.`, 'info', 4000);
    } catch (err) {
      // Open in another tab, or no checkpoint to continue from: show what it recorded instead.
      toast(`“${run.name}” cannot be continued here (${err.message}); showing what it recorded.`, 'info', 5000);
      openCompare([run.id]);
    }
  }

  async function duplicate(run) {
    try {
      const reply = await api.createSession({ config: run.config });
      await runsApi.rename(reply.id, `${run.name} (copy)`.slice(0, 200));
      switchTo(reply);
      toast(`Started a new run with the settings of “${run.name}”.`, 'info', 4000);
    } catch (err) {
      toast(`Could not duplicate: ${err.message}`);
    }
  }

  // ---- compare and replay --------------------------------------------------------------------------

  async function openCompare(ids) {
    leaveView();
    compared = ids;
    const shown = await showCompare(screen, { ids, onBack: showList, onReplay: openReplay });
    if (compared === ids && !overlay.hidden) view = shown;
    else shown.destroy();
  }

  function openReplay(run) {
    leaveView();
    view = showReplay(screen, { run, limits, toast, onBack: () => openCompare(compared) });
  }

  button.addEventListener('click', () => (overlay.hidden ? show() : hide()));
  close.addEventListener('click', hide);
  overlay.addEventListener('click', (event) => {
    if (event.target === overlay) hide(); // the backdrop, not the panel
  });
  // While the panel is open the page's shortcuts (space, S, R, P) stay out of it: space clicks the
  // focused button, letters go into the name being edited. Enter and Escape still reach the panel.
  const guard = (event) => {
    if (!overlay.hidden && event.key !== 'Escape' && event.key !== 'Enter') event.stopPropagation();
  };
  window.addEventListener('keydown', guard, true);
  window.addEventListener('keyup', guard, true);
  document.addEventListener('keydown', (event) => {
    if (event.key === 'Escape' && !overlay.hidden) {
      event.preventDefault();
      hide();
    }
  });
}
