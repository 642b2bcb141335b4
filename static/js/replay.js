// Replay a stored run: a slider over its epochs shows the decision boundary and the network's
// weights as they were at the nearest checkpoint at or before the chosen epoch (the server
// rebuilds the model from it, GET /api/runs/{id}/replay); Play steps through the checkpoints.
// Its own boundary and network views, read-only; snapshots are cached per checkpoint.

import { createBoundaryView } from './boundary.js';
import { el } from './dom.js';
import { fmt } from './format.js';
import { createNetworkView } from './network-view.js';
import { runsApi } from './runs-api.js';
import { nearestCheckpoint } from './runs-format.js';

const PLAY_STEP_MS = 450; // at least this long on each checkpoint while playing
const n = (x) => Number(x).toLocaleString('en');

/** The page's note on what replay shows; the checkpoint policy is the server's own sentence. */
export function replayNote({ checkpoint_policy: policy }) {
  return `${policy} The slider shows the nearest checkpoint at or before the epoch you pick.`;
}

/** "val loss 0.43, val acc 85.0 %" at a checkpoint (R² for regression), '' when not stored. */
export function checkpointFigures(c, task) {
  const parts = [];
  if (Number.isFinite(c.val_loss)) parts.push(`val loss ${fmt(c.val_loss)}`);
  if (Number.isFinite(c.val_acc)) parts.push(task === 'regression' ? `val R² ${fmt(c.val_acc)}` : `val acc ${(c.val_acc * 100).toFixed(1)} %`);
  return parts.join(', ');
}

/**
 * Show `run` (a compare entry: id, name, checkpoints [{segment, epoch, at}], columns) replayed in
 * `host`; `onBack()` leaves. Returns {destroy}.
 */
export function showReplay(host, { run, limits, onBack, toast }) {
  const points = run.checkpoints;
  const lastEpoch = Math.max(points.at(-1)?.at ?? 0, run.columns.epoch.at(-1) ?? 0);
  const back = el('button', { type: 'button', class: 'btn', testid: 'replay-back', text: '← Compare' });
  const play = el('button', { type: 'button', class: 'btn btn-primary', testid: 'replay-play', text: 'Play', 'aria-pressed': 'false' });
  const slider = el('input', {
    type: 'range', class: 'replay-slider', testid: 'replay-slider', min: String(points[0].at), max: String(lastEpoch),
    step: '1', value: String(lastEpoch), 'aria-label': 'Epoch to replay',
  });
  const readout = el('p', { class: 'replay-readout', testid: 'replay-readout', 'aria-live': 'polite' });
  const boundaryHost = el('div', { class: 'replay-boundary', testid: 'replay-boundary' });
  const netHost = el('div', { class: 'replay-network', testid: 'replay-network' });
  host.replaceChildren(
    el('div', { class: 'runs-screen-head' }, back, el('h3', { class: 'runs-screen-title', text: `Replay: ${run.name}` })),
    el('p', { class: 'runs-note', testid: 'replay-note', text: replayNote(limits) }),
    el('div', { class: 'replay-controls' }, play, slider),
    readout,
    el('div', { class: 'replay-stage' }, boundaryHost, netHost),
  );
  const boundary = createBoundaryView(boundaryHost);
  const net = createNetworkView(netHost);
  const cache = new Map(); // "segment:epoch" -> replay frame
  let shown = null; // the checkpoint on screen
  let wanted = null; // the checkpoint asked for last
  let inflight = null; // AbortController of the pending request
  let timer = null;
  let gone = false;

  const keyOf = (c) => `${c.segment}:${c.epoch}`;

  function draw(c, frame) {
    shown = c;
    boundary.setDataset(frame.dataset);
    boundary.setSnapshot(frame.snapshot);
    const outs = frame.snapshot.weights.at(-1)?.shape?.[1] ?? 1;
    net.setModel(frame.config.model, { inputLabels: frame.dataset.input_labels, nOutputs: outs });
    net.setWeights(frame.snapshot.weights);
    host.dataset.replayEpoch = String(c.at);
    const seg = run.segments.length > 1 ? ` (segment ${c.segment + 1}, its epoch ${n(c.epoch)})` : '';
    const figures = checkpointFigures(c, frame.dataset.task);
    readout.textContent = `Epoch ${n(slider.value)}: showing the checkpoint at epoch ${n(c.at)}${seg}${figures ? ` — ${figures}` : ''}`;
  }

  async function show(at) {
    const c = nearestCheckpoint(points, at);
    if (!c) {
      readout.textContent = `No checkpoint at or before epoch ${n(at)}`;
      return;
    }
    wanted = c;
    if (shown && keyOf(shown) === keyOf(c)) {
      draw(c, cache.get(keyOf(c)));
      return;
    }
    if (cache.has(keyOf(c))) {
      draw(c, cache.get(keyOf(c)));
      return;
    }
    inflight?.abort();
    const controller = new AbortController();
    inflight = controller;
    readout.textContent = `Epoch ${n(at)}: rebuilding the network from the checkpoint at epoch ${n(c.at)}…`;
    try {
      const frame = await runsApi.replay(run.id, c.segment, c.epoch, controller.signal);
      cache.set(keyOf(c), frame);
      if (!gone && wanted === c) draw(c, frame);
    } catch (err) {
      if (err?.name !== 'AbortError' && !gone) {
        stop();
        toast(`Replay failed: ${err.message}`);
      }
    }
  }

  function stop() {
    clearTimeout(timer);
    timer = null;
    play.textContent = 'Play';
    play.setAttribute('aria-pressed', 'false');
  }

  /** Show the next checkpoint after the one on screen, then wait a beat; stop after the last. */
  async function tick() {
    const i = points.findIndex((c) => shown && keyOf(c) === keyOf(shown));
    const next = points[i + 1];
    if (!next) return stop();
    slider.value = String(next.at);
    const started = performance.now();
    await show(next.at);
    if (timer !== null && !gone) timer = setTimeout(tick, Math.max(0, PLAY_STEP_MS - (performance.now() - started)));
  }

  play.addEventListener('click', async () => {
    if (timer !== null) return stop();
    play.textContent = 'Pause';
    play.setAttribute('aria-pressed', 'true');
    if (!shown || keyOf(shown) === keyOf(points.at(-1))) {
      slider.value = String(points[0].at); // at the end: play from the first checkpoint
      await show(points[0].at);
    }
    timer = setTimeout(tick, PLAY_STEP_MS);
  });
  slider.addEventListener('input', () => {
    stop();
    show(Number(slider.value));
  });
  back.addEventListener('click', onBack);
  show(lastEpoch);
  slider.focus();
  return {
    destroy() {
      gone = true;
      stop();
      inflight?.abort();
    },
  };
}
