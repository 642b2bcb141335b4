// The class wall (room mode, instructor only): a full-screen view for the projector with every
// attendee's run as a card (name, loss curve, boundary thumbnail, epoch, validation figure) or all
// loss curves overlaid on one chart, coloured by a chosen setting and sorted by validation figure.
// Clicking a run watches it large on the page, read-only. The poll board (wall-poll.js) sits on
// top. The server builds one small payload for all wall viewers; this polls it about once a second.

import { createSocket } from './socket.js';
import { el } from './dom.js';
import { roomApi } from './room-api.js';
import { createPollBoard } from './wall-poll.js';
import { drawCurves, drawThumb } from './wall-draw.js';
import { COLOR_BY, colorScale, sortRuns, valFigure } from './wall-model.js';
import { label, fmt } from './format.js';

const REFRESH_MS = 1000;
const options = (pairs) => pairs.map(([value, text]) => el('option', { value, text }));

/** The wall's button, overlay and watch-large mode; returns {watching(), stopWatching()}. */
export function installWall({ socket, handleFrame, indicators, toast, modes, root }) {
  const openButton = el('button', { type: 'button', class: 'mode-btn wall-open', testid: 'wall-open', text: 'Wall',
    title: 'The class wall: every attendee’s run, for the projector' });
  modes.prepend(openButton);
  const parts = {
    count: el('span', { class: 'wall-count', testid: 'wall-count', text: '0 runs' }),
    layout: el('select', { class: 'wall-select', testid: 'wall-layout', 'aria-label': 'Layout' },
      ...options([['cards', 'Cards'], ['overlay', 'Overlaid']])),
    color: el('select', { class: 'wall-select', testid: 'wall-color', 'aria-label': 'Colour by' },
      ...options(Object.entries(COLOR_BY).map(([k, v]) => [k, `Colour: ${v.title}`]))),
    sort: el('select', { class: 'wall-select', testid: 'wall-sort', 'aria-label': 'Sort' },
      ...options([['val', 'Best validation first'], ['name', 'By name'], ['joined', 'By arrival']])),
    close: el('button', { type: 'button', class: 'close-btn wall-close', testid: 'wall-close', 'aria-label': 'Close the wall', text: '×' }),
    legend: el('ul', { class: 'wall-legend', testid: 'wall-legend' }),
    grid: el('div', { class: 'wall-grid', testid: 'wall-grid' }),
    overlay: el('canvas', { class: 'wall-overlay', testid: 'wall-overlay', hidden: true }),
    empty: el('p', { class: 'wall-empty', text: 'No attendee runs yet: they appear here as soon as attendees start training.' }),
  };
  const board = createPollBoard({ toast, pause: () => socket.send({ type: 'pause' }) });
  const wall = el('section', { class: 'wall', testid: 'wall', hidden: true, 'aria-label': 'Class wall' },
    el('header', { class: 'wall-head' },
      el('h2', { text: 'Class wall' }), parts.count, parts.layout, parts.color, parts.sort, board.askButton, parts.close),
    board.element,
    el('div', { class: 'wall-body' }, parts.legend, parts.empty, parts.grid, parts.overlay));
  root.append(wall);

  const banner = el('div', { class: 'watch-banner wall-watch-banner', testid: 'wall-watch-banner', hidden: true, role: 'status' },
    el('span', { class: 'watch-dot', 'aria-hidden': 'true' }),
    el('span', { class: 'watch-title', testid: 'wall-watch-name' }),
    el('span', { class: 'watch-note', text: 'Read-only: an attendee’s run, large.' }),
    el('button', { type: 'button', class: 'watch-fork', testid: 'wall-back', text: 'Back to the wall' }));
  root.append(banner);

  let data = { runs: [], poll: null, branches: [] };
  let timer = null;
  let watchSocket = null;
  const cards = new Map(); // session id -> its card

  function open(on) {
    wall.hidden = !on;
    if (on) root.dataset.wall = 'open';
    else delete root.dataset.wall;
    openButton.setAttribute('aria-pressed', String(on));
    clearInterval(timer);
    timer = on ? setInterval(refresh, REFRESH_MS) : null;
    if (on) refresh();
  }

  async function refresh() {
    try {
      data = await roomApi('GET', '/api/room/wall');
    } catch (err) {
      toast(`The wall could not update: ${err.message}`, 'warn', 3000);
      return;
    }
    render();
  }

  function render() {
    const runs = sortRuns(data.runs, parts.sort.value);
    const scale = colorScale(runs, parts.color.value);
    parts.count.textContent = `${runs.length} run${runs.length === 1 ? '' : 's'}`;
    wall.dataset.runs = String(runs.length);
    parts.empty.hidden = runs.length > 0;
    parts.legend.replaceChildren(...scale.legend.map((item) =>
      el('li', {}, swatch(item.color), el('span', { text: item.text }))));
    const overlay = parts.layout.value === 'overlay';
    parts.grid.hidden = overlay;
    parts.overlay.hidden = !overlay || !runs.length;
    if (overlay) {
      drawCurves(parts.overlay, runs.map((run) => ({ x: run.loss.epoch, y: run.loss.val, color: scale.colorOf(run), width: 2.5, label: run.name })),
        { axes: true, ink: getComputedStyle(wall).color });
    } else {
      // Cards are kept per session and only reordered when the order changes: a card under the
      // pointer is never replaced between press and release.
      const nodes = runs.map((run) => {
        let node = cards.get(run.session);
        if (!node) cards.set(run.session, (node = card()));
        node.show(run, scale.colorOf(run), scale.badgeOf(run));
        return node;
      });
      for (const [session, node] of cards) if (!nodes.includes(node)) cards.delete(session);
      const order = [...parts.grid.children];
      if (order.length !== nodes.length || order.some((node, i) => node !== nodes[i])) parts.grid.replaceChildren(...nodes);
      for (const node of nodes) node.paint();
    }
    board.update(data.poll, data.branches, getComputedStyle(wall).color);
  }

  function card() {
    const curve = el('canvas', { class: 'wall-curve', 'aria-hidden': 'true' });
    const thumb = el('canvas', { class: 'wall-thumb', 'aria-hidden': 'true' });
    const name = el('span', { class: 'wall-name' });
    const badge = el('span', { class: 'wall-badge', testid: 'wall-badge' }); // the colour, with its value
    const epoch = el('span', { class: 'wall-epoch' });
    const figure = el('span', { class: 'wall-figure', testid: 'wall-figure' });
    const setting = el('span', { class: 'wall-setting' });
    const node = el('button', { type: 'button', class: 'wall-card', testid: 'wall-card' },
      el('span', { class: 'wall-card-head' }, name, badge),
      el('span', { class: 'wall-card-body' }, curve, thumb),
      el('span', { class: 'wall-card-foot' }, epoch, figure),
      setting);
    let shown = null;
    let color = '#888';
    node.show = (run, runColor, badgeText) => {
      shown = run;
      color = runColor;
      Object.assign(node.dataset, { session: run.session, name: run.name, epoch: String(run.epoch) });
      node.title = `Watch ${run.name}’s run large`;
      badge.style.background = color;
      badge.textContent = badgeText;
      name.textContent = run.name;
      epoch.textContent = run.state === 'running' || run.state === 'idle' ? `epoch ${run.epoch}` : `epoch ${run.epoch} · ${run.state}`;
      node.dataset.state = run.state;
      figure.textContent = valFigure(run).text;
      setting.textContent = settingText(run);
    };
    node.paint = () => {
      drawCurves(curve, [
        { x: shown.loss.epoch, y: shown.loss.train, color, width: 1.5, alpha: 0.35 },
        { x: shown.loss.epoch, y: shown.loss.val, color, width: 2.5 },
      ]);
      drawThumb(thumb, shown.thumb);
    };
    node.addEventListener('click', () => watch(shown));
    return node;
  }

  const settingText = (run) => {
    const s = run.settings;
    return `${label(s.optimizer)} · lr ${fmt(s.lr)} · ${s.depth} hidden`;
  };

  // ---- watching one run large -------------------------------------------------------------------
  function watch(run) {
    if (watchSocket) stopWatching(false);
    socket.send({ type: 'pause' }); // our own run waits while we look at someone else's
    socket.close();
    open(false);
    root.dataset.watching = 'true';
    banner.hidden = false;
    banner.querySelector('[data-testid=wall-watch-name]').textContent = `Watching ${run.name}`;
    const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
    watchSocket = createSocket({
      getSession: () => ({ id: run.session, token: '' }),
      url: () => `${scheme}://${location.host}/ws/room/wall/${encodeURIComponent(run.session)}`,
      onFrame: (frame) => {
        if (frame.type === 'error' && frame.code === 'not_live') return; // the close follows
        handleFrame(frame);
      },
      onStatus: (status) => indicators.setWsState(status),
      onSessionGone: async () => {
        toast(`${run.name}’s run has ended.`, 'info', 4000);
        stopWatching(true);
        return false;
      },
    });
    watchSocket.connect();
  }

  function stopWatching(backToWall) {
    if (!watchSocket) return;
    const old = watchSocket;
    watchSocket = null;
    old.close();
    delete root.dataset.watching;
    banner.hidden = true;
    socket.connect(); // our own session's hello redraws our run
    if (backToWall) open(true);
  }

  openButton.addEventListener('click', () => open(wall.hidden));
  parts.close.addEventListener('click', () => open(false));
  banner.querySelector('[data-testid=wall-back]').addEventListener('click', () => stopWatching(true));
  for (const select of [parts.layout, parts.color, parts.sort]) select.addEventListener('change', render);
  window.addEventListener('resize', () => { if (!wall.hidden) render(); });
  board.onChange(refresh);

  return {
    watching: () => Boolean(watchSocket),
  };
}

function swatch(color) {
  const node = el('span', { class: 'wall-swatch', 'aria-hidden': 'true' });
  node.style.background = color; // CSSOM, not an inline style attribute: the CSP allows it
  return node;
}
