// "Sharing 2 cores with 4 other running sessions — about 40 % of full speed": the server's
// `sharing` frames say how many sessions train and on how many cores, so when every core is busy
// a running session says why it trains slower than it would alone.

const count = (n) => Math.max(0, Math.floor(Number(n) || 0));

/** The line for a `sharing` frame while this session runs, or '' when it has a core of its own. */
export function sharingText(frame) {
  const running = count(frame?.running);
  const cores = Math.max(1, count(frame?.cores));
  if (running <= cores) return '';
  const others = running - 1;
  const percent = Math.round(Math.min(1, Number(frame.share) || cores / running) * 100);
  return `Sharing ${cores.toLocaleString('en')} core${cores === 1 ? '' : 's'} with `
    + `${others.toLocaleString('en')} other running session${others === 1 ? '' : 's'} — `
    + `about ${percent} % of full speed`;
}

/** Drive `el` from `sharing` frames and this session's run state: shown only while it runs. */
export function createSharingNote(el) {
  let frame = null;
  let running = false;
  const show = () => {
    const text = running ? sharingText(frame) : '';
    el.textContent = text;
    el.hidden = !text;
    el.dataset.running = String(count(frame?.running));
    el.dataset.cores = String(count(frame?.cores));
    el.title = text ? 'Every core of the server is busy: the running sessions take equal turns. Paused sessions cost nothing.' : '';
  };
  show();
  return {
    /** A `sharing` frame from the server. */
    update(next) {
      frame = next;
      show();
    },
    /** This session's run state (`running`, `paused`, …). */
    setRunState(state) {
      running = state === 'running';
      show();
    },
  };
}
