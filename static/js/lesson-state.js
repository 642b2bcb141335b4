// The lessons' rules, without DOM: a step's text markup, which run a step needs (and whether
// entering it starts a fresh run, changes the current one live, or keeps it), when a "train to
// epoch N" is over, and what a chosen answer means. lessons.js draws and wires; tests/js test this.

import { deepMerge } from './state.js';

// ---- text: paragraphs (blank line), **bold**, *italic*, `code`; never HTML ----------------------
const INLINE = /(\*\*[^*]+\*\*|`[^`]+`|\*[^*]+\*)/;

/** Split `text` into paragraphs of runs {text, style: null|'bold'|'italic'|'code'} (as textContent). */
export function parseMarkup(text) {
  return String(text)
    .split(/\n\s*\n/)
    .map((para) => para.replace(/\s*\n\s*/g, ' ').trim())
    .filter(Boolean)
    .map((para) => para.split(INLINE).filter(Boolean).map((part) => {
      if (part.length > 4 && part.startsWith('**') && part.endsWith('**')) return { text: part.slice(2, -2), style: 'bold' };
      if (part.length > 2 && part.startsWith('`') && part.endsWith('`')) return { text: part.slice(1, -1), style: 'code' };
      if (part.length > 2 && part.startsWith('*') && part.endsWith('*')) return { text: part.slice(1, -1), style: 'italic' };
      return { text: part, style: null };
    }));
}

// ---- which run a step needs ------------------------------------------------------------------------

/**
 * The run step `index` needs: the last `load` at or before it (its index `base`, preset and config)
 * plus every live `configure` after that load, merged in order. `key` identifies it.
 */
export function setupAt(lesson, index) {
  let base = index;
  while (base > 0 && !lesson.steps[base].load) base -= 1;
  const load = lesson.steps[base].load ?? {};
  let live = {};
  for (let i = base + 1; i <= index; i += 1) {
    if (lesson.steps[i].configure) live = deepMerge(live, lesson.steps[i].configure);
  }
  const preset = load.preset ?? null;
  const config = deepMerge(load.config ?? {}, live);
  return { base, preset, config, key: JSON.stringify([base, preset, config]) };
}

/**
 * What entering step `index` does, given the run the session has (`current`: {index, key} of the
 * step whose setup it holds, or null when unknown): `{kind: 'keep'}`; `{kind: 'configure',
 * config}` (the next step changes the same run live); or `{kind: 'load', request}` (a fresh run:
 * a request for a new session, {preset?, config?}).
 */
export function entryPlan(lesson, index, current) {
  const want = setupAt(lesson, index);
  if (current && current.key === want.key) return { kind: 'keep', setup: want };
  const step = lesson.steps[index];
  if (current && index === current.index + 1 && !step.load && step.configure
      && setupAt(lesson, current.index).key === current.key) {
    return { kind: 'configure', config: step.configure, setup: want };
  }
  const request = {};
  if (want.preset) request.preset = want.preset;
  if (Object.keys(want.config).length) request.config = want.config;
  return { kind: 'load', request, setup: want };
}

/**
 * Whether step `index` works on an inspected sample: it or a step since its run was loaded opened
 * the inspector. 'new' when the step itself asks for a (new) sample, 'keep' when an earlier one did.
 */
export function inspectorNeed(lesson, index) {
  if (lesson.steps[index].inspect) return 'new';
  for (let i = index - 1; i >= setupAt(lesson, index).base; i -= 1) {
    if (lesson.steps[i].inspect) return 'keep';
  }
  return null;
}

// ---- training to an epoch -------------------------------------------------------------------------
const ENDED = new Set(['diverged', 'stopped']);

/**
 * Where a "train to epoch `target`" stands: 'reached' (paused at or past it), 'ended' (the run
 * diverged or stopped early first, which also answers the question), 'running', or 'before' (not
 * started). `started` says whether the run has been seen running since the button was pressed: a
 * run that was diverged before it was asked to train has not ended yet.
 */
export function trainStatus({ runState, epoch, target, started }) {
  if (runState === 'running') return 'running';
  if (!started) return epoch >= target && !ENDED.has(runState) ? 'reached' : 'before';
  if (ENDED.has(runState)) return 'ended';
  return epoch >= target ? 'reached' : 'before';
}

/** The commands that train the current run to epoch `target` (the session pauses there). */
export const trainCommands = (target) => [
  { type: 'configure', config: { training: { stop_at_epoch: target } } },
  { type: 'play' },
];

// ---- questions -------------------------------------------------------------------------------------

/** The verdict on choice `chosen` of `question`: {correct, answer: the right choice's text}. */
export function verdict(question, chosen) {
  const right = question.choices.findIndex((c) => c.correct);
  return { correct: chosen === right, right, answer: question.choices[right]?.text ?? '' };
}

/**
 * What a step shows now: 'ask' (a question waiting for its answer), 'train' (a run to start or
 * under way), 'reveal' (the answer and why), or 'read' (nothing more to do).
 */
export function stepPhase(step, { chosen, trained }) {
  if (step.question && chosen === null) return 'ask';
  if (step.train_to_epoch && !trained) return 'train';
  return step.question ? 'reveal' : 'read';
}

// ---- places -----------------------------------------------------------------------------------------

/** "Step 3 of 7" for the 0-based `index`. */
export const progressText = (index, count) => `Step ${index + 1} of ${count}`;

/** The 0-based step for a 1-based `step` from a URL (clamped; NaN or missing: the first). */
export function stepIndex(step, count) {
  const n = Number.parseInt(step, 10);
  if (!Number.isFinite(n)) return 0;
  return Math.min(Math.max(n, 1), count) - 1;
}

/** A `kind:name` target as {kind, name}. */
export function parseTarget(target) {
  const at = target.indexOf(':');
  return { kind: target.slice(0, at), name: target.slice(at + 1) };
}

/** The network-view column of a layer target ('input', 'output' or N) for `hidden` hidden layers. */
export function layerColumn(name, hidden) {
  if (name === 'input') return 0;
  if (name === 'output') return hidden + 1;
  const n = Number(name);
  return Number.isInteger(n) && n >= 1 && n <= hidden ? n : null;
}

/** How a layer target reads: 'the inputs', 'hidden layer 2', 'the output layer'. */
export function layerLabel(name) {
  if (name === 'input') return 'the inputs';
  if (name === 'output') return 'the output layer';
  return `hidden layer ${name}`;
}
