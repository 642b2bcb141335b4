// Room mode (`backprop-lab serve --room`): the instructor's room panel (join code, QR code,
// attendees, go live) and the attendee's watch mode, a read-only socket onto the live run whose
// frames feed the page's own frame handler, so every chart, the network, the boundary and the
// diagnoses follow the instructor's run. Without data-room on #app this module does nothing.

import { createSocket } from './socket.js';
import { el, $ } from './dom.js';
import { setSession, state } from './state.js';
import { roomApi } from './room-api.js';
import { installAttendeeRoom } from './poll.js';
import { buildPushControl } from './push.js';
import { installWall } from './wall.js';

const POLL_MS = 2000;
const WATCH_PATH = '/ws/room/watch';
const READ_ONLY = 'You are watching the instructor’s run: it is read-only. Stop watching to train your own.';
// While watching, these take no clicks or keys (boundary clicks and shortcuts go through blocks()).
const INERT_WHILE_WATCHING = ['.sidebar', '.transport', '.pickers', '#network', '[data-testid="inspect-open"]'];

/** Install the room's UI for this page's role; returns {blocks(message)} for main.js's commands. */
export function installRoom({ socket, handleFrame, indicators, toast, load }) {
  const root = document.getElementById('app');
  const role = root.dataset.room;
  if (!role) return { blocks: () => false };
  const modes = document.querySelector('.view-modes');
  let room = null;
  let watchSocket = null;
  let qrVersion = 0;

  // ---- the instructor's panel ------------------------------------------------------------------
  const panel = role === 'instructor' ? buildPanel() : null;

  function buildPanel() {
    const toggle = el('button', { type: 'button', class: 'mode-btn room-toggle', testid: 'room-toggle', 'aria-pressed': 'true', text: 'Room' });
    modes.prepend(toggle);
    const parts = {
      code: el('span', { class: 'room-code', testid: 'room-code', text: '…' }),
      url: el('span', { class: 'room-url', testid: 'room-url' }),
      qr: el('img', { class: 'room-qr', testid: 'room-qr', alt: 'QR code: the join link with the code', width: 180, height: 180 }),
      live: el('button', { type: 'button', class: 'room-btn room-live', testid: 'room-live', 'aria-pressed': 'false', text: 'Go live' }),
      rotate: el('button', { type: 'button', class: 'room-btn', testid: 'room-rotate', text: 'New code' }),
      count: el('span', { class: 'room-count', testid: 'room-count', text: '0' }),
      people: el('ul', { class: 'room-people', testid: 'room-attendees' }),
      close: el('button', { type: 'button', class: 'close-btn', 'aria-label': 'Hide the room panel', text: '×' }),
    };
    const box = el('aside', { class: 'room-panel', testid: 'room-panel', 'aria-label': 'Workshop room' },
      el('div', { class: 'room-head' }, el('h2', { text: 'Workshop room' }), parts.close),
      el('div', { class: 'room-join' },
        el('span', { class: 'room-label', text: 'Join at' }), parts.url,
        el('span', { class: 'room-label', text: 'with the code' }), parts.code, parts.qr),
      el('div', { class: 'room-actions' }, parts.live, parts.rotate),
      buildPushControl({ toast }),
      el('h3', { class: 'room-people-head' }, el('span', { text: 'Attendees ' }), parts.count),
      parts.people);
    root.append(box);
    const show = (on) => {
      box.hidden = !on;
      toggle.setAttribute('aria-pressed', String(on));
    };
    toggle.addEventListener('click', () => show(box.hidden));
    parts.close.addEventListener('click', () => show(false));
    parts.rotate.addEventListener('click', () => act(() => roomApi('POST', '/api/room/code')));
    parts.live.addEventListener('click', () => act(() => (room?.live ? roomApi('DELETE', '/api/room/live') : goLive())));
    return parts;
  }

  function goLive() {
    if (!state.session) throw new Error('no session yet: wait for the page to connect');
    return roomApi('PUT', '/api/room/live', { id: state.session.id, token: state.session.token });
  }

  async function act(work) {
    try {
      await work();
    } catch (err) {
      toast(err.message);
    }
    await poll();
  }

  function showPanel() {
    const live = Boolean(room.live);
    panel.live.textContent = live ? 'Stop live' : 'Go live';
    panel.live.setAttribute('aria-pressed', String(live));
    root.dataset.roomLive = String(live);
    if (panel.code.textContent !== room.code) {
      panel.code.textContent = room.code;
      qrVersion += 1; // a new code, a new picture (the code itself stays out of URLs and logs)
      panel.qr.src = `/api/room/qr.svg?v=${qrVersion}`;
    }
    panel.url.textContent = room.join_url;
    panel.count.textContent = String(room.attendees.length);
    const items = room.attendees.map((person) => {
      const remove = el('button', { type: 'button', class: 'room-remove', testid: 'room-remove', text: 'Remove', title: `Remove ${person.name} from the room` });
      remove.addEventListener('click', () => act(() => roomApi('DELETE', `/api/room/members/${encodeURIComponent(person.id)}`)));
      return el('li', { 'data-member-id': person.id }, el('span', { class: 'room-person', text: person.name }), remove);
    });
    panel.people.replaceChildren(...items);
  }

  // ---- the attendee's watch mode ----------------------------------------------------------------
  const watchButton = role === 'attendee'
    ? el('button', { type: 'button', class: 'mode-btn room-watch', testid: 'room-watch', 'aria-pressed': 'false', disabled: true, text: 'Watch the instructor' })
    : null;
  const forkButton = el('button', { type: 'button', class: 'watch-fork', testid: 'room-fork', text: 'Fork: train my own copy from here',
    title: 'Your own run, continuing from the instructor’s weights, optimiser and settings at this epoch' });
  const banner = role === 'attendee'
    ? el('div', { class: 'watch-banner', testid: 'watch-banner', hidden: true, role: 'status' },
      el('span', { class: 'watch-dot', 'aria-hidden': 'true' }),
      el('span', { class: 'watch-title', text: 'Watching the instructor' }),
      el('span', { class: 'watch-note', text: 'Read-only: the settings shown are the instructor’s.' }), forkButton)
    : null;
  if (watchButton) {
    modes.prepend(watchButton);
    root.append(banner);
    watchButton.addEventListener('click', () => (watchSocket ? stopWatching() : startWatching()));
    forkButton.addEventListener('click', () => fork().catch((err) => toast(err.message)));
  }

  function setWatching(on) {
    if (on) root.dataset.watching = 'true';
    else {
      delete root.dataset.watching;
      delete root.dataset.watchingWhat;
      classroom?.setWatchingBranch(false);
    }
    banner.hidden = !on;
    watchButton.setAttribute('aria-pressed', String(on));
    watchButton.textContent = on ? 'Stop watching' : 'Watch the instructor';
    for (const selector of INERT_WHILE_WATCHING) {
      for (const node of document.querySelectorAll(selector)) node.inert = on;
    }
  }

  const LIVE = { path: WATCH_PATH, title: 'Watching the instructor', fork: true };

  /** Watch the live run, or `target` {path, title, fork}: a branch of the reveal. */
  function startWatching(target = LIVE) {
    if (watchSocket) {
      if (target === LIVE) return;
      const old = watchSocket; // from one watched run to another: our own stays closed
      watchSocket = null;
      old.close();
    } else {
      socket.send({ type: 'pause' }); // nobody watches our own run meanwhile
      socket.close();
    }
    setWatching(true);
    root.dataset.watchingWhat = target === LIVE ? 'live' : 'branch';
    classroom?.setWatchingBranch(target !== LIVE);
    banner.querySelector('.watch-title').textContent = target.title;
    forkButton.hidden = !target.fork;
    const mine = createSocket({
      getSession: () => ({ id: 'watched', token: '' }),
      url: () => `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}${target.path}`,
      onFrame: (frame) => {
        if (frame.type === 'error' && frame.code === 'not_live') return; // the close follows
        handleFrame(frame);
      },
      onStatus: (status) => indicators.setWsState(status),
      onSessionGone: async () => {
        if (target === LIVE) {
          await poll(); // the instructor may have switched to another run: follow it
          if (room?.live) return true;
        }
        if (watchSocket === mine) {
          stopWatching();
          toast(target === LIVE ? 'The instructor stopped sharing: back to your own run.' : 'That branch has ended: back to your own run.', 'info', 5000);
        }
        return false;
      },
    });
    watchSocket = mine;
    mine.connect();
  }

  /** Follow one branch of the reveal (from the branches card). */
  function watchBranch(branch) {
    startWatching({ path: `/ws/room/wall/${encodeURIComponent(branch.session)}`, title: `Watching the branch “${branch.label}”`, fork: false });
  }

  /** Leave watch mode in a session of our own that continues the instructor's run from now. */
  async function fork() {
    forkButton.disabled = true;
    try {
      const mine = await roomApi('POST', '/api/room/fork');
      setSession(mine, mine.config);
      stopWatching(); // connects to the new session: its hello carries the history so far
      toast(`Your own copy of the instructor’s run, from epoch ${mine.epoch}: press play.`, 'info', 5000);
    } finally {
      forkButton.disabled = false;
    }
  }

  function stopWatching() {
    if (!watchSocket) return;
    const old = watchSocket;
    watchSocket = null;
    old.close();
    setWatching(false);
    socket.connect(); // our own session's hello redraws our run
  }

  function showWatch() {
    const live = Boolean(room.live);
    root.dataset.roomLive = String(live);
    watchButton.disabled = !live && !watchSocket;
    watchButton.title = live ? 'Follow the instructor’s run, read-only' : 'The instructor is not sharing a run yet';
  }

  // Pushes and questions (attendees), the class wall (instructor).
  const classroom = role === 'attendee'
    ? installAttendeeRoom({ root, toast, load: (request) => { stopWatching(); return load(request); }, watchBranch })
    : null;
  const wall = role === 'instructor' ? installWall({ socket, handleFrame, indicators, toast, modes, root }) : null;

  // ---- the room's state, polled -----------------------------------------------------------------
  async function poll() {
    try {
      room = await roomApi('GET', '/api/room');
    } catch {
      return;
    }
    const live = room.live?.session ?? null;
    if (role === 'instructor') {
      // A new session (a preset, a reload) while live: show the new one instead.
      if (live && state.session && live !== state.session.id) {
        room = { ...room, live: (await goLive().catch(() => null))?.live ?? room.live };
      }
      showPanel();
    } else {
      showWatch();
      classroom.update(room);
    }
  }

  poll();
  setInterval(poll, POLL_MS);

  return {
    /** True (and says why) when a command must not go out: the page shows someone else's run. */
    blocks() {
      if (!watchSocket && !wall?.watching()) return false;
      toast(READ_ONLY, 'info', 4000);
      return true;
    },
  };
}
