// The class wall's pure helpers (no DOM): which figure ranks a run, the order of the cards, the
// colour of each run by a chosen setting (with its legend), vote shares, and the config patch a
// poll choice carries. Tested in tests/js/wall-model.test.js.

import { label, fmt } from './format.js';

/** Settings the wall can colour by: key in run.settings and how it reads. */
export const COLOR_BY = {
  lr: { title: 'Learning rate', scale: 'log', short: 'lr' },
  optimizer: { title: 'Optimiser', scale: 'category' },
  depth: { title: 'Depth', scale: 'category' },
  activation: { title: 'Activation', scale: 'category' },
};

/** Settings a poll choice may change, with how their values are typed. */
export const PATCHABLE = {
  'training.learning_rate': { title: 'learning rate', type: 'number' },
  'training.optimizer': { title: 'optimiser', type: 'text' },
  'training.batch_size': { title: 'batch size', type: 'integer' },
  'training.momentum': { title: 'momentum', type: 'number' },
  'training.weight_decay': { title: 'weight decay', type: 'number' },
};

// Categorical colours (Okabe-Ito, darkened where it must read on white) and a sequential ramp.
const CATEGORY = ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#E69F00', '#56B4E9', '#882255', '#44AA99'];
const RAMP = [[214, 120, 0], [200, 40, 40], [117, 22, 113], [33, 29, 108]]; // dark enough on white

/** The figure a run is ranked by: validation accuracy when known (higher is better), else loss. */
export function valFigure(run) {
  if (Number.isFinite(run.val_acc)) return { kind: 'acc', value: run.val_acc, text: `${Math.round(run.val_acc * 100)}%` };
  if (Number.isFinite(run.val_loss)) return { kind: 'loss', value: run.val_loss, text: `loss ${fmt(run.val_loss)}` };
  return { kind: 'none', value: null, text: '—' };
}

/** Runs in display order: 'val' (best first, runs with no figure last), 'name' or 'joined'. */
export function sortRuns(runs, by) {
  const out = [...runs];
  if (by === 'name') return out.sort((a, b) => a.name.localeCompare(b.name));
  if (by !== 'val') return out;
  const score = (run) => {
    const f = valFigure(run);
    if (f.kind === 'acc') return [0, -f.value];
    if (f.kind === 'loss') return [1, f.value];
    return [2, 0];
  };
  return out.sort((a, b) => {
    const [ga, va] = score(a);
    const [gb, vb] = score(b);
    return ga - gb || va - vb;
  });
}

const rgb = (c) => `rgb(${c.map((v) => Math.round(v)).join(',')})`;

function ramp(t) {
  const x = Math.max(0, Math.min(1, t)) * (RAMP.length - 1);
  const i = Math.min(RAMP.length - 2, Math.floor(x));
  return rgb(RAMP[i].map((a, k) => a + (RAMP[i + 1][k] - a) * (x - i)));
}

/**
 * A colour for every run by setting `key`: {colorOf(run), badgeOf(run), legend: [{text, color}]};
 * badgeOf is the run's value in a few characters, printed on the colour (read from the back).
 */
export function colorScale(runs, key) {
  const spec = COLOR_BY[key] ?? COLOR_BY.lr;
  const values = runs.map((r) => r.settings?.[key]).filter((v) => v !== undefined && v !== null);
  if (spec.scale === 'log') {
    const logs = values.filter((v) => v > 0).map(Math.log10);
    const lo = Math.min(...logs);
    const hi = Math.max(...logs);
    const at = (v) => (hi > lo ? (Math.log10(v) - lo) / (hi - lo) : 0.5);
    const distinct = [...new Set(values)].sort((a, b) => a - b);
    const shown = distinct.length <= 6 ? distinct : [distinct[0], distinct[distinct.length - 1]];
    return {
      colorOf: (run) => (run.settings?.[key] > 0 ? ramp(at(run.settings[key])) : '#888'),
      badgeOf: (run) => `${spec.short} ${fmt(run.settings?.[key])}`,
      legend: shown.map((v) => ({ text: `${spec.title} ${fmt(v)}`, color: ramp(at(v)) })),
    };
  }
  const order = [...new Set(values.map(String))].sort((a, b) => a.localeCompare(b, undefined, { numeric: true }));
  const colorFor = (v) => CATEGORY[order.indexOf(String(v)) % CATEGORY.length] ?? '#888';
  const name = (v) => (key === 'depth' ? `${v} hidden layer${Number(v) === 1 ? '' : 's'}` : label(v));
  return {
    colorOf: (run) => colorFor(run.settings?.[key]),
    badgeOf: (run) => name(run.settings?.[key]),
    legend: order.map((v) => ({ text: name(v), color: colorFor(v) })),
  };
}

/** The colour of a reveal's branch `i` (the same in the legend and on the chart). */
export const branchColor = (i) => CATEGORY[i % CATEGORY.length];

/** Vote shares: counts to {count, share (0..1), leading} per choice. */
export function voteShares(counts = []) {
  const total = counts.reduce((a, b) => a + b, 0);
  const top = Math.max(0, ...counts);
  return counts.map((count) => ({ count, share: total ? count / total : 0, leading: top > 0 && count === top }));
}

/** A choice's config patch from a setting path and typed text; {} with no setting; throws on bad text. */
export function choicePatch(path, text) {
  if (!path) return {};
  const spec = PATCHABLE[path];
  if (!spec) throw new Error(`cannot change ${path}`);
  const raw = String(text ?? '').trim();
  if (!raw) throw new Error(`give the ${spec.title} this choice sets`);
  let value = raw;
  if (spec.type !== 'text') {
    value = Number(raw);
    if (!Number.isFinite(value) || (spec.type === 'integer' && !Number.isInteger(value))) {
      throw new Error(`the ${spec.title} must be ${spec.type === 'integer' ? 'a whole number' : 'a number'}, not “${raw}”`);
    }
  }
  const out = {};
  let cur = out;
  const keys = path.split('.');
  keys.forEach((key, i) => {
    cur[key] = i === keys.length - 1 ? value : {};
    cur = cur[key];
  });
  return out;
}

/** The text a patch reads as on a card: "learning rate 0.1" ('' for no change). */
export function describePatch(patch) {
  const parts = [];
  for (const [path, spec] of Object.entries(PATCHABLE)) {
    const [group, key] = path.split('.');
    const value = patch?.[group]?.[key];
    if (value !== undefined) parts.push(`${spec.title} ${typeof value === 'number' ? fmt(value) : label(value)}`);
  }
  return parts.join(', ');
}

/** Finite [lo, hi] over several series (padded a little; [0, 1] when nothing is finite). */
export function extent(seriesList, { log = false } = {}) {
  let lo = Infinity;
  let hi = -Infinity;
  for (const series of seriesList) {
    for (const v of series) {
      if (!Number.isFinite(v) || (log && v <= 0)) continue;
      const x = log ? Math.log10(v) : v;
      if (x < lo) lo = x;
      if (x > hi) hi = x;
    }
  }
  if (!(hi >= lo)) return [0, 1];
  if (hi === lo) return [lo - 0.5, hi + 0.5];
  const pad = (hi - lo) * 0.04;
  return [lo - pad, hi + pad];
}
