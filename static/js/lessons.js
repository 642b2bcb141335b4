// The lesson panel: a scripted lesson's steps beside the views, with next/previous, progress, a
// question answered before the run reveals the answer, "train to epoch N", and outlines on what
// the step talks about. Opened from the Lessons list or by URL (#lesson=ID&step=N). The rules
// (which run a step needs, when training is over) are in lesson-state.js.
import { api } from './api.js';
import { $, el } from './dom.js';
import { createLessonList } from './lesson-list.js';
import { createPointer } from './lesson-pointer.js';
import { richText, showQuestion } from './lesson-question.js';
import { entryPlan, inspectorNeed, progressText, stepIndex, stepPhase, trainCommands, trainStatus } from './lesson-state.js';
import { setLesson, state, writeHash } from './state.js';

const button = (text, testid, cls = 'lesson-btn', title = undefined) =>
  el('button', { type: 'button', class: cls, text, testid, title });
const appRoot = () => document.getElementById('app');

/**
 * Create the lessons: the list behind `listButton` and the panel in the workspace. `startSession`
 * starts a new session from {preset?, config?}, `command` sends to it, `views` holds the charts and
 * network, `inspector` the backprop inspector, `toast` reports problems.
 */
export function createLessons({ listButton, startSession, command, views, inspector, toast }) {
  const title = el('h2', { class: 'lesson-title', testid: 'lesson-title' });
  const close = button('×', 'lesson-close', 'lesson-close', 'Close the lesson');
  const progress = el('div', { class: 'lesson-progress', testid: 'lesson-progress' });
  const dots = el('div', { class: 'lesson-dots', 'aria-hidden': 'true' });
  const stepTitle = el('h3', { class: 'lesson-step-title', testid: 'lesson-step-title' });
  const body = el('div', { class: 'lesson-text', testid: 'lesson-text' });
  const lookAt = el('div', { class: 'lesson-look', testid: 'lesson-look' });
  const question = el('div', { class: 'lesson-question', testid: 'lesson-question' });
  const train = button('', 'lesson-train', 'lesson-btn lesson-train');
  const trainNote = el('p', { class: 'lesson-train-note', testid: 'lesson-train-note', 'aria-live': 'polite' });
  const answer = el('div', { class: 'lesson-answer', testid: 'lesson-answer', 'aria-live': 'polite' });
  const prev = button('← Previous', 'lesson-prev');
  const next = button('Next →', 'lesson-next', 'lesson-btn lesson-primary');
  const restart = button('↺ Restart', 'lesson-restart', 'lesson-link', 'Set this step’s run up again from the start');
  const panel = el('aside', { class: 'lesson', testid: 'lesson', 'aria-label': 'Lesson', hidden: true },
    el('header', { class: 'lesson-head' }, title, close),
    el('div', { class: 'lesson-bar' }, progress, dots),
    el('div', { class: 'lesson-scroll' }, stepTitle, body, lookAt, question, el('div', { class: 'lesson-run' }, train, trainNote), answer),
    el('nav', { class: 'lesson-nav' }, prev, restart, next));
  document.querySelector('.workspace').append(panel);
  const pointer = createPointer({ views, hiddenLayers: () => state.config?.model?.layers?.length ?? 0 });
  createLessonList({ button: listButton, onPick: (id) => open(id, 1), toast });

  let lesson = null; // {id, title, steps}
  let at = 0;
  let run = null; // the lesson run the session holds: {index, key, session}
  let ready = false; // the session of this step's run has said hello
  let chosen = null; // the chosen answer's index
  let trained = false; // the step's "train to epoch" is done
  let training = null; // {started} while a "train to epoch" is under way
  let ended = null; // 'reached' | 'ended' once training is done
  let pendingTrain = false;

  const step = () => lesson.steps[at];
  const epochNow = () => Number(appRoot().dataset.epoch || 0);
  const runState = () => appRoot().dataset.runState;

  function renderTrain(s, phase) {
    const target = s.train_to_epoch;
    train.hidden = !target;
    trainNote.hidden = !target;
    if (!target) {
      delete panel.dataset.train;
      return;
    }
    const epoch = epochNow();
    train.textContent = `Train to epoch ${target} ▶`;
    train.disabled = !ready || Boolean(training) || trained || phase === 'ask';
    if (phase === 'ask') trainNote.textContent = 'Answer first: the run will show who was right.';
    else if (!ready) trainNote.textContent = 'Setting up the run…';
    else if (training) trainNote.textContent = `Training… epoch ${epoch} of ${target}`;
    else if (ended === 'ended') trainNote.textContent = runState() === 'diverged'
      ? `The run diverged at epoch ${epoch}, before epoch ${target}.`
      : `Early stopping ended the run at epoch ${epoch}.`;
    else if (trained) trainNote.textContent = `Epoch ${epoch}: done.`;
    else trainNote.textContent = '';
    panel.dataset.train = training ? 'running' : trained ? 'done' : 'waiting';
  }

  function render() {
    const s = step();
    const phase = stepPhase(s, { chosen, trained });
    Object.assign(panel.dataset, { lesson: lesson.id, step: String(at + 1), phase, ready: String(ready) });
    title.textContent = lesson.title;
    progress.textContent = progressText(at, lesson.steps.length);
    dots.replaceChildren(...lesson.steps.map((_, i) => el('span', { class: i === at ? 'on' : i < at ? 'done' : '' })));
    stepTitle.textContent = s.title;
    showQuestion({ box: question, answer, step: s, phase, chosen, onChoose: choose });
    renderTrain(s, phase);
    prev.disabled = at === 0;
    next.textContent = at === lesson.steps.length - 1 ? 'Finish ✓' : 'Next →';
  }

  function renderLook() {
    const shown = pointer.point(step().point_at ?? []);
    lookAt.hidden = !shown.length;
    lookAt.replaceChildren(...(shown.length ? [el('span', { class: 'lesson-look-label', text: 'Look at' })] : []),
      ...shown.map((t) => {
        const chip = el('button', { type: 'button', class: 'lesson-chip', text: t.label, 'data-target': t.target,
          'data-visible': String(t.visible), title: 'Show it' });
        chip.addEventListener('click', () => pointer.flash(t.target));
        return chip;
      }));
  }

  let entering = 0; // the latest enter(): an older one that was waiting for its session gives way

  /** Enter step `index`: set its run up (fresh, changed live, or kept), then show it. */
  async function enter(index, { fresh = false } = {}) {
    const ticket = ++entering;
    at = index;
    chosen = null;
    trained = false;
    training = null;
    ended = null;
    pendingTrain = false;
    setLesson({ id: lesson.id, step: at + 1 });
    writeHash();
    const current = run && state.session && run.session === state.session.id && !fresh ? run : null;
    const plan = entryPlan(lesson, at, current);
    body.replaceChildren(...richText(step().text));
    if (plan.kind === 'load') {
      ready = false;
      inspector.close();
      render();
      await startSession(plan.request);
      if (ticket !== entering) return;
      run = { index: at, key: plan.setup.key, session: state.session.id };
    } else {
      if (plan.kind === 'configure') command({ type: 'configure', config: plan.config });
      run = { index: at, key: plan.setup.key, session: state.session?.id };
      ready = Boolean(state.session);
      if (ready) afterReady();
    }
    render();
    renderLook();
  }

  /** The step's run is there: show the inspected sample the step works on, start a training asked for. */
  function afterReady() {
    const need = inspectorNeed(lesson, at);
    const shown = $('inspector');
    if (need === 'new' || (need === 'keep' && (shown.hidden || !shown.dataset.index))) {
      if (runState() === 'running') command({ type: 'pause' });
      inspector.open();
      command({ type: 'inspect', index: 'random' });
    }
    if (pendingTrain) startTraining();
  }

  function startTraining() {
    pendingTrain = false;
    const target = step().train_to_epoch;
    if (!ready) {
      pendingTrain = true;
      return;
    }
    if (trainStatus({ runState: runState(), epoch: epochNow(), target, started: false }) === 'reached') {
      finishTraining('reached');
      return;
    }
    training = { started: false };
    if (runState() === 'running' && epochNow() >= target) command({ type: 'pause' });
    else for (const message of trainCommands(target)) command(message);
    render();
  }

  function finishTraining(how) {
    training = null;
    trained = true;
    ended = how;
    render();
    revealIfAnswered();
  }

  /** Bring a revealed answer into view (the panel scrolls when the step is long). */
  function revealIfAnswered() {
    if (!answer.hidden) answer.scrollIntoView({ block: 'nearest' });
  }

  function choose(i) {
    if (chosen !== null) return;
    chosen = i;
    if (step().train_to_epoch) startTraining();
    render();
    revealIfAnswered();
  }

  async function open(id, stepNumber) {
    let data;
    try {
      // Known ids only: a mistyped link gets the list of lessons, not a 404 from the server.
      const known = (await api.lessons()).lessons.map((item) => item.id);
      if (!known.includes(id)) throw new Error(`no lesson '${id}'; the lessons are: ${known.join(', ')}`);
      data = await api.lesson(id);
    } catch (err) {
      toast(`The lesson could not be opened: ${err.message}`);
      return false;
    }
    const opening = panel.hidden;
    lesson = data;
    panel.hidden = false;
    appRoot().dataset.lesson = id;
    // The views change size with the columns: let them redraw (which also outlines the targets).
    if (opening) requestAnimationFrame(() => document.dispatchEvent(new CustomEvent('bp-restyle')));
    try {
      await enter(stepIndex(stepNumber, lesson.steps.length));
    } catch (err) {
      toast(`The lesson’s run could not be set up: ${err.message}`);
    }
    return true;
  }

  function shut() {
    panel.hidden = true;
    lesson = null;
    run = null;
    pointer.clear();
    delete appRoot().dataset.lesson;
    setLesson(null);
    writeHash();
    requestAnimationFrame(() => document.dispatchEvent(new CustomEvent('bp-restyle')));
  }

  const go = (delta) => {
    if (!lesson) return;
    const to = at + delta;
    if (to >= lesson.steps.length) shut();
    else if (to >= 0) enter(to).catch((err) => toast(err.message));
  };
  prev.addEventListener('click', () => go(-1));
  next.addEventListener('click', () => go(1));
  close.addEventListener('click', shut);
  restart.addEventListener('click', () => enter(at, { fresh: true }).catch((err) => toast(err.message)));
  train.addEventListener('click', startTraining);
  // Presentation mode and the theme redraw the views: outline the step's targets again.
  document.addEventListener('bp-restyle', () => lesson && requestAnimationFrame(() => {
    renderLook();
    revealIfAnswered();
  }));
  // A presenter's clicker sends PageDown / PageUp.
  document.addEventListener('keydown', (event) => {
    if (!lesson || event.ctrlKey || event.metaKey || event.altKey) return;
    if (event.target instanceof HTMLElement && event.target.closest('input, select, textarea')) return;
    if (event.key === 'PageDown' || event.key === 'PageUp') {
      event.preventDefault();
      go(event.key === 'PageDown' ? 1 : -1);
    }
  });

  return {
    open,
    close: shut,
    isOpen: () => lesson !== null,
    /** Every server frame, after the page has handled it. */
    onFrame(frame) {
      if (!lesson) return;
      if (frame.type === 'hello') {
        const wasReady = ready;
        ready = true;
        if (!wasReady) afterReady();
        render();
        pointer.again();
      }
      if (training && (frame.type === 'state' || frame.type === 'hello' || frame.type === 'metrics')) {
        if (runState() === 'running') training.started = true;
        const status = trainStatus({ runState: runState(), epoch: epochNow(), target: step().train_to_epoch, started: training.started });
        if (status === 'reached' || status === 'ended') finishTraining(status);
        else if (status === 'before' && training.started) training = null; // paused by hand: train again
      }
      if (['hello', 'state', 'metrics'].includes(frame.type)) renderTrain(step(), stepPhase(step(), { chosen, trained }));
    },
  };
}
