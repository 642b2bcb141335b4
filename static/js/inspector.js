// The backprop inspector panel: pause, click a training point (or ask for a random one), then walk
// through that sample's forward pass, loss, backward pass and update with the engine's numbers,
// typeset by KaTeX (vendored, rendered into elements: no HTML strings). The matching units and
// edges light up in the network view. ←/→ step while the panel is open.
import { el } from './dom.js';
import { fmt } from './format.js';
import { buildSteps } from './inspector-tex.js';
import { typeset } from './typeset.js';

/** Significant digits of the loss beside the buttons (the steps write it to LOSS_DIGITS). */
export const LOSS_LABEL_DIGITS = 4;
const PHASES = { forward: 'Forward', loss: 'Loss', backward: 'Backward', update: 'Update' };

const button = (text, testid, title, cls = 'insp-btn') =>
  el('button', { type: 'button', class: cls, text, title, 'aria-label': title, testid });

/** Typeset `tex` into a new element of `tag`/`cls`. */
function math(tex, cls, display = false) {
  return typeset(el('div', { class: cls }), tex, display);
}

/**
 * Create the inspector inside `root`. `command(msg)` sends to the session, `views` holds the
 * network (`net.highlight`) and boundary (`boundary.setPicker/markPoint`) views, `runState()` the
 * session's state.
 */
export function createInspector(root, { command, views, runState }) {
  const close = button('×', 'inspector-close', 'Close the inspector', 'insp-close');
  const sub = el('div', { class: 'insp-sub', testid: 'inspector-sample' });
  const random = button('Random sample', 'inspector-random', 'Inspect a random training point');
  const apply = button('Apply this update', 'inspector-apply', "Apply this sample's single step to the weights");
  const loss = el('span', { class: 'insp-loss', testid: 'inspector-loss' });
  const applied = el('div', { class: 'insp-applied', testid: 'inspector-applied', 'aria-live': 'polite' });
  const hint = el('p', { class: 'insp-hint', testid: 'inspector-hint' });
  const prev = button('← Previous', 'inspector-prev', 'Previous step (←)');
  const next = button('Next →', 'inspector-next', 'Next step (→)');
  const counter = el('span', { class: 'insp-count', testid: 'inspector-count' });
  const phase = el('span', { class: 'insp-phase' });
  const title = el('h3', { class: 'insp-title', testid: 'inspector-step-title' });
  const general = el('div', { class: 'insp-general', testid: 'inspector-general' });
  const note = el('p', { class: 'insp-note' });
  const rows = el('div', { class: 'insp-rows', testid: 'inspector-rows', tabindex: '0' });
  const stepBox = el('section', { class: 'insp-step', testid: 'inspector-step' },
    el('div', { class: 'insp-step-head' }, phase, title), general, note, rows);
  const nav = el('div', { class: 'insp-nav' }, prev, counter, next);
  const panel = el('aside', { class: 'insp', testid: 'inspector', 'aria-label': 'Backprop inspector', hidden: true },
    el('header', { class: 'insp-head' },
      el('div', {}, el('h2', { text: 'Backprop inspector' }), sub), close),
    el('div', { class: 'insp-actions' }, random, apply, loss),
    applied, hint, nav, stepBox);
  root.append(panel);

  let frame = null;
  let steps = [];
  let at = 0;

  function setHint() {
    const running = runState() === 'running';
    hint.textContent = running
      ? 'Training is running: pause it to inspect the current weights.'
      : frame ? 'Click another training point on the output plot to inspect it.'
        : 'Click a training point on the output plot, or press “Random sample”.';
    random.disabled = running;
    apply.disabled = running || !frame;
    panel.dataset.running = String(running);
  }

  function showStep() {
    const step = steps[at];
    nav.hidden = stepBox.hidden = !step;
    if (!step) return;
    prev.disabled = at === 0;
    next.disabled = at === steps.length - 1;
    counter.textContent = `${at + 1} / ${steps.length}`;
    phase.textContent = PHASES[step.phase];
    phase.dataset.phase = step.phase;
    title.textContent = step.title;
    Object.assign(stepBox.dataset, { index: String(at), phase: step.phase, layer: String(step.layer ?? '') });
    general.replaceChildren(math(step.general, 'insp-math', true));
    note.textContent = step.note ?? '';
    note.hidden = !step.note;
    rows.replaceChildren(...step.rows.map((r) => {
      const row = el('div', { class: 'insp-row', 'data-unit': String(r.unit), 'data-tex': r.tex },
        el('span', { class: 'insp-unit', text: step.phase === 'loss' ? '' : `unit ${r.unit + 1}` }),
        math(r.tex, 'insp-math'));
      row.addEventListener('mouseenter', () => highlight(step, r.unit));
      row.addEventListener('mouseleave', () => highlight(step, null));
      return row;
    }));
    rows.scrollTop = 0;
    highlight(step, null);
  }

  function highlight(step, unit) {
    views.net.highlight(step ? { column: step.column, unit, edges: step.edges } : null);
  }

  function go(delta) {
    const to = Math.max(0, Math.min(steps.length - 1, at + delta));
    if (to !== at) {
      at = to;
      showStep();
    }
  }

  function inspect(index) {
    if (runState() === 'running') {
      setHint();
      return;
    }
    command({ type: 'inspect', index });
  }

  function open() {
    panel.hidden = false;
    document.getElementById('app').dataset.inspecting = 'true';
    views.boundary.setPicker(inspect);
    setHint();
    showStep();
  }

  function shut() {
    panel.hidden = true;
    delete document.getElementById('app').dataset.inspecting;
    views.boundary.setPicker(null);
    views.boundary.markPoint(null);
    highlight(null);
  }

  close.addEventListener('click', shut);
  random.addEventListener('click', () => inspect('random'));
  apply.addEventListener('click', () => frame && command({ type: 'apply_sample', index: frame.index }));
  prev.addEventListener('click', () => go(-1));
  next.addEventListener('click', () => go(1));
  document.addEventListener('keydown', (event) => {
    if (panel.hidden || event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) return;
    if (event.target instanceof HTMLElement && event.target.closest('input, select, textarea')) return;
    if (event.key === 'ArrowLeft' || event.key === 'ArrowRight') {
      event.preventDefault();
      go(event.key === 'ArrowLeft' ? -1 : 1);
    } else if (event.key === 'Escape') {
      shut();
    }
  });

  return {
    open,
    close: shut,
    /** Show an `inspection` frame: same sample keeps the step, a new one starts at step 1. */
    show(f) {
      const same = frame && frame.index === f.index && steps.length;
      frame = f;
      steps = buildSteps(f);
      if (!same) at = 0;
      at = Math.min(at, steps.length - 1);
      const point = f.point.map((v) => fmt(v, 3)).join(', ');
      const label = f.task === 'regression' ? fmt(f.label, 3) : String(f.label);
      sub.textContent = `Sample #${f.index} at (${point}) · target ${label} · after epoch ${f.epoch}`;
      loss.textContent = `L = ${fmt(f.loss, LOSS_LABEL_DIGITS)}`;
      loss.dataset.value = String(f.loss);
      loss.title = `this sample's loss: ${f.loss}`;
      applied.textContent = f.applied
        ? `Update applied: this sample's loss went from ${fmt(f.applied.loss_before, LOSS_LABEL_DIGITS)} to ${fmt(f.loss, LOSS_LABEL_DIGITS)}.`
        : '';
      applied.hidden = !f.applied;
      panel.dataset.index = String(f.index);
      panel.dataset.loaded = String(Date.now());
      views.boundary.markPoint(f.index);
      if (panel.hidden) open();
      setHint();
      showStep();
    },
    /** The session's run state changed: refuse to inspect while training. */
    setRunState() {
      if (!panel.hidden) setHint();
    },
  };
}
