// The transport in the top bar (play/pause, step, reset, the epoch counter) and the keyboard
// shortcuts Space, S and R, which stay out of the way of whatever element has the focus.

import { $ } from './dom.js';

/** Is this key meant for the focused element rather than for the shortcuts? */
function ownsKey(target, key) {
  // Text fields and selects take every key; checkboxes and buttons take the space bar; a slider
  // takes none of ours.
  if (!(target instanceof HTMLElement)) return false;
  if (target.isContentEditable || /^(SELECT|TEXTAREA)$/.test(target.tagName)) return true;
  if (target.tagName !== 'INPUT') return false;
  if (target.type === 'range') return false;
  if (/^(checkbox|radio|file|button|submit|reset)$/.test(target.type)) return key === ' ';
  return true;
}

/** Wire the transport buttons and shortcuts to `onCommand`; returns {setRunState, setEpoch, setLimits}. */
export function createTransport(onCommand) {
  const playBtn = $('play');
  const epochEl = $('epoch');
  const limitEl = $('epoch-limit');
  let runState = 'idle';

  const togglePlay = () => onCommand({ type: runState === 'running' ? 'pause' : 'play' });
  const step = () => onCommand({ type: 'step', epochs: 1 });
  const reset = () => onCommand({ type: 'reset' });
  playBtn.addEventListener('click', togglePlay);
  $('step').addEventListener('click', step);
  $('reset').addEventListener('click', reset);

  // A select changed with the mouse gives the focus back to the page, so the shortcuts work again.
  let lastPointer = 0;
  let lastKey = 0;
  document.addEventListener('pointerdown', () => (lastPointer = performance.now()), true);
  document.addEventListener('keydown', () => (lastKey = performance.now()), true);
  document.addEventListener('change', (event) => {
    if (event.target instanceof HTMLSelectElement && lastPointer > lastKey) event.target.blur();
  });
  document.addEventListener('keydown', (event) => {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey || event.repeat) return;
    const key = event.key.toLowerCase();
    if (ownsKey(event.target, key)) return;
    if (key === ' ' || event.code === 'Space') {
      event.preventDefault(); // also stops a focused button from being clicked by the space bar
      togglePlay();
    } else if (key === 's') {
      event.preventDefault();
      step();
    } else if (key === 'r') {
      event.preventDefault();
      reset();
    }
  });
  // A focused button is "clicked" on space keyup; our keydown already handled space.
  document.addEventListener('keyup', (event) => {
    if ((event.key === ' ' || event.code === 'Space') && event.target instanceof HTMLButtonElement) {
      event.preventDefault();
    }
  });

  return {
    /** Show the session's run state on the play button (and aim the space bar). */
    setRunState(next) {
      runState = next;
      const running = next === 'running';
      playBtn.dataset.state = running ? 'running' : 'paused';
      playBtn.setAttribute('aria-label', running ? 'Pause (space)' : 'Play (space)');
      playBtn.title = running ? 'Pause (space)' : 'Play (space)';
      playBtn.classList.toggle('is-running', running);
    },
    /** Show the epoch counter. */
    setEpoch(n) {
      epochEl.textContent = Number(n).toLocaleString('en-US');
    },
    /** Show the session's pacing next to the counter ("5 ep/s · stop 50"), hidden at full speed. */
    setLimits(training) {
      const rate = training?.epochs_per_second;
      const stopAt = training?.stop_at_epoch;
      const parts = [];
      if (rate != null) parts.push(`${rate} ep/s`);
      if (stopAt != null) parts.push(`stop ${Number(stopAt).toLocaleString('en-US')}`);
      limitEl.textContent = parts.join(' · ');
      limitEl.hidden = parts.length === 0;
    },
  };
}
