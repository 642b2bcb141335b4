// The runs panel (the top bar's "Runs" button): every stored run, a page at a time (rows:
// runs-row.js), and what its actions do: open (join it when another tab trains it, else continue
// it from its last checkpoint, else view it), rename, duplicate (its config in a new session), delete. Ticked runs open in compare (compare-view.js), and
// from there in replay (replay.js). Esc closes the panel; the list keeps its page and ticks.

import { api } from './api.js';
import { showCompare } from './compare-view.js';
import { el } from './dom.js';
import { openRun } from './open-run.js';
import { showReplay } from './replay.js';
import { runsApi } from './runs-api.js';
import { pageText, toggleSelection } from './runs-format.js';
import { runRow } from './runs-row.js';

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

  /** Show the current page of runs; then focus the control `focus` names (a testid), else close. */
  async function showList(focus = null) {
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
    prev.addEventListener('click', () => { offset = Math.max(0, offset - limits.page_size); showList('runs-prev'); });
    next.addEventListener('click', () => { offset += limits.page_size; showList('runs-next'); });
    const refresh = el('button', { type: 'button', class: 'btn', testid: 'runs-refresh', text: 'Refresh' });
    refresh.addEventListener('click', () => showList('runs-refresh'));
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
    const actions = { onTick, onOpen: open, onDuplicate: duplicate, onDelete: remove, toast };
    const body = el('tbody', {}, ...page.runs.map((run) => runRow(run, run.id === currentRun(), selected.has(run.id), actions)));
    const table = el('table', { class: 'runs-table', testid: 'runs-table' },
      el('thead', {}, el('tr', {}, ...['Compare', 'Run', 'Epochs', 'Best val', 'Made', 'State', 'Actions']
        .map((t) => el('th', { scope: 'col', text: t })))), body);
    const empty = el('p', { class: 'runs-note', text: 'No runs stored yet: press play and this run is kept.' });
    screen.replaceChildren(toolbar, page.runs.length ? el('div', { class: 'runs-table-wrap' }, table) : empty);
    overlay.dataset.total = String(page.total);
    if (!focus) return;
    const target = screen.querySelector(`[data-testid="${focus}"]`);
    (target && !target.disabled ? target : close).focus();
  }

  async function remove(run) {
    try {
      await runsApi.remove(run.id);
    } catch (err) {
      toast(`Could not delete: ${err.message}`);
    }
    selected.delete(run.id);
    message.textContent = '';
    await showList('runs-compare');
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
      const reply = await openRun(run.id);
      switchTo(reply);
      toast(reply.shared
        ? `Opened “${run.name}” live at epoch ${n(reply.epoch)}: it is open in another tab too, and both control it.`
        : `Opened “${run.name}” at epoch ${n(reply.epoch)}: press play to continue it.`, 'info', 4000);
    } catch (err) {
      // Someone else's, or no checkpoint to continue from: show what it recorded instead.
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
    const shown = await showCompare(screen, { ids, onBack: () => showList('runs-compare'), onReplay: openReplay });
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
