// The page's live indicators: the run-state and connection pills, the epoch, and the matching
// data-* attributes on the root element that the end-to-end tests wait on.

import { $ } from './dom.js';
import { showStatus } from './notices.js';

const RUN_TEXT = { idle: 'Ready', running: 'Training', paused: 'Paused', diverged: 'Diverged', stopped: 'Stopped' };
const WS_TEXT = { connecting: 'Connecting', open: 'Live', closed: 'Offline' };

const root = document.getElementById('app');

/** Indicators that also update the controls' transport; returns {setRunState, setWsState, setEpoch}. */
export function createIndicators(controls) {
  return {
    /** Show the session's run state; diverged/stopped (and a reasoned pause) explain themselves. */
    setRunState(next, reason) {
      root.dataset.runState = next;
      controls.setRunState(next);
      const pill = $('run-state');
      pill.dataset.state = next;
      pill.textContent = RUN_TEXT[next] ?? next;
      if (next === 'diverged') {
        showStatus(reason || 'Diverged: the loss is no longer finite — lower the learning rate or clip gradients.', 'danger');
      } else if (next === 'stopped') {
        showStatus(reason || 'Stopped early: the validation loss stopped improving.', 'info');
      } else if (reason && next === 'paused') {
        showStatus(reason, 'info');
      } else {
        showStatus('');
      }
    },
    /** Show the websocket's state (connecting|open|closed). */
    setWsState(next) {
      root.dataset.wsState = next;
      const pill = $('ws-state');
      pill.dataset.state = next;
      pill.querySelector('.ws-text').textContent = WS_TEXT[next] ?? next;
    },
    /** Show the latest epoch. */
    setEpoch(n) {
      root.dataset.epoch = String(n);
      controls.setEpoch(n);
    },
  };
}
