// The websocket to one training session. No DOM here: callers get frames and status changes.
//
// Reconnects with exponential backoff. When the server says the session is gone (close code 4404,
// or the handshake keeps failing while /api/health answers, which is how an HTTP 404 on the
// upgrade looks from a browser), it asks the caller for a new session and connects to that.
// It asks for the compact encoding (binary numeric frames, docs/protocol.md) unless told not to.

import { decodeMessage } from './compact.js';

const SESSION_GONE_CODES = new Set([4404, 4401, 4410]);
const BACKOFF_MS = [300, 600, 1200, 2500, 5000, 8000];

/**
 * @param {object} opts
 * @param {() => {id: string, token: string} | null} opts.getSession
 * @param {(frame: object) => void} opts.onFrame        one parsed server frame
 * @param {(status: 'connecting'|'open'|'closed', info?: object) => void} opts.onStatus
 * @param {() => Promise<boolean>} opts.onSessionGone  create a new session; resolve true to retry
 * @param {() => Promise<boolean>} [opts.serverAlive]  true when the HTTP server answers
 * @param {(session: object) => string} [opts.url]    the socket's URL (default: the session's)
 * @param {boolean} [opts.compact]  ask for the compact encoding (default true)
 */
export function createSocket({ getSession, onFrame, onStatus, onSessionGone, serverAlive, url, compact = true }) {
  let ws = null;
  let status = 'closed';
  let attempt = 0;
  let timer = null;
  let stopped = false;
  let failedHandshakes = 0;

  function setStatus(next, info) {
    status = next;
    onStatus(next, info);
  }

  function urlFor(session) {
    let address = url?.(session);
    if (!address) {
      const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
      const id = encodeURIComponent(session.id);
      address = `${scheme}://${location.host}/ws/sessions/${id}?token=${encodeURIComponent(session.token)}`;
    }
    return compact ? `${address}${address.includes('?') ? '&' : '?'}encoding=compact` : address;
  }

  /** The frames of one message: a JSON text, or the compact encoding's binary blocks. */
  function framesOf(data) {
    if (data instanceof ArrayBuffer) return decodeMessage(data);
    return [JSON.parse(data)];
  }

  /** Deliver one message's frames (those of a socket replaced meanwhile are dropped). */
  function deliver(sock, frames) {
    if (ws !== sock) return;
    for (const frame of frames) {
      if (!frame || typeof frame !== 'object' || typeof frame.type !== 'string') {
        onFrame({ type: 'error', code: 'bad_frame', message: 'The server sent a frame without a type.' });
        continue;
      }
      // 'open' means a live session, not just a socket: an unknown session is refused after accept.
      if (frame.type === 'hello') setStatus('open');
      onFrame(frame);
    }
  }

  const badFrame = { type: 'error', code: 'bad_frame', message: 'The server sent a frame that cannot be decoded.' };

  function connect() {
    clearTimeout(timer);
    timer = null;
    const session = getSession();
    if (!session || stopped) return;
    setStatus('connecting');
    const sock = new WebSocket(urlFor(session));
    sock.binaryType = 'arraybuffer';
    ws = sock;
    let opened = false;

    sock.addEventListener('open', () => {
      if (ws !== sock) return;
      opened = true;
      attempt = 0;
      failedHandshakes = 0;
    });

    // Binary messages decode asynchronously (inflating metrics): frames still go out in order,
    // each message after the one before it; a text arriving while none is pending goes at once.
    let pending = null;
    sock.addEventListener('message', (event) => {
      if (ws !== sock) return;
      const ready = (frames) => deliver(sock, frames);
      const failed = () => ws === sock && onFrame(badFrame);
      if (!pending && typeof event.data === 'string') {
        try {
          ready(framesOf(event.data));
        } catch {
          failed();
        }
        return;
      }
      const mine = (pending ?? Promise.resolve())
        .then(() => framesOf(event.data))
        .then(ready, failed)
        .catch((err) => setTimeout(() => { throw err; })) // reported, and the next message still goes
        .finally(() => {
          if (pending === mine) pending = null;
        });
      pending = mine;
    });

    sock.addEventListener('close', (event) => {
      if (ws !== sock) return; // replaced on purpose
      ws = null;
      setStatus('closed', { code: event.code, reason: event.reason });
      if (stopped) return;
      if (SESSION_GONE_CODES.has(event.code)) {
        renewSession();
        return;
      }
      if (!opened) failedHandshakes += 1;
      if (!opened && failedHandshakes >= 2 && serverAlive) {
        // The server is up but refuses the upgrade: the session no longer exists (e.g. restart).
        serverAlive().then((alive) => (alive ? renewSession() : schedule()));
        return;
      }
      schedule();
    });
    // 'error' is always followed by 'close'; nothing to do here.
  }

  async function renewSession() {
    failedHandshakes = 0;
    let ok = false;
    try {
      ok = await onSessionGone();
    } catch {
      ok = false;
    }
    if (ok) {
      attempt = 0;
      connect();
    } else {
      schedule();
    }
  }

  function schedule() {
    if (stopped || timer) return;
    const base = BACKOFF_MS[Math.min(attempt, BACKOFF_MS.length - 1)];
    attempt += 1;
    timer = setTimeout(connect, base + Math.random() * base * 0.3);
  }

  return {
    get status() {
      return status;
    },
    /** Open (or re-open) the connection to the session getSession() returns now. */
    connect() {
      stopped = false;
      attempt = 0;
      failedHandshakes = 0;
      const old = ws;
      ws = null;
      if (old) old.close(1000, 'switching session');
      connect();
    },
    /** Send one command; false when not connected (the caller tells the user). */
    send(message) {
      if (!ws || ws.readyState !== WebSocket.OPEN) return false;
      ws.send(JSON.stringify(message));
      return true;
    },
    close() {
      stopped = true;
      clearTimeout(timer);
      timer = null;
      const old = ws;
      ws = null;
      if (old) old.close(1000, 'page closed');
      setStatus('closed');
    },
  };
}
