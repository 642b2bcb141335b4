// What the chart panel shows: the chart kinds (which metric columns each plots, its title, its
// y scale) and the tabs that group them. No DOM and no data: charts.js builds the panels.
import uPlot from '/static/vendor/uPlot.esm.js';
import { TRAIN, TRAIN_DARK, VAL, VAL_DARK, isDark, layerStyle, shortLayerName } from './colors.js';

const layerKind = (title, col, opts = {}) => ({ title, perLayer: col, ...opts });
const pairKind = (title, a, b, opts = {}) => ({ title, pair: [a, b], ...opts });

/** Chart kinds: which columns they plot and how. */
export const KINDS = {
  loss: pairKind('Loss', ['train_loss', 'train'], ['val_loss', 'val'], { min0: true, logToggle: true }),
  acc: pairKind('Accuracy', ['train_acc', 'train'], ['val_acc', 'val'], { acc: true }),
  grad: layerKind('Gradient norm per layer', 'grad_norm', { log: true }),
  gradb: layerKind('Bias gradient norm per layer', 'grad_norm_b', { log: true }),
  update: layerKind('Update / weight ratio per layer', 'update_ratio', { log: true, ref: 1e-3 }),
  clip: pairKind('Global gradient norm', ['grad_norm_global', 'before clip'], ['grad_norm_clipped', 'after clip'], { log: true }),
  actstd: layerKind('Activation std per layer', 'act_std', { min0: true }),
  actmean: layerKind('Activation mean per layer', 'act_mean'),
  deadsat: layerKind('Dead or saturated units (fraction)', ['dead_frac', 'saturated_frac'], { unit: true }),
  weight: layerKind('Weight norm per layer', 'weight_norm', { log: true }),
  lr: { title: 'Learning rate (used)', single: ['lr', 'learning rate'], min0: true },
  mae: pairKind('Mean absolute error', ['train_mae', 'train'], ['val_mae', 'val'], { min0: true, regressionOnly: true }),
};

/** Chart tabs, each up to three kinds. */
export const TABS = [
  { id: 'training', title: 'Training', kinds: ['loss', 'acc', 'grad'] },
  { id: 'gradients', title: 'Gradients', kinds: ['update', 'clip', 'gradb'] },
  { id: 'activations', title: 'Activations', kinds: ['actstd', 'deadsat', 'actmean'] },
  { id: 'weights', title: 'Weights & LR', kinds: ['weight', 'lr', 'mae'] },
];

/** The kinds of a tab that apply to `task` (some are regression only). */
export const kindsOf = (tab, task) => tab.kinds.filter((k) => !KINDS[k].regressionOnly || task === 'regression');

/** Chart title; loss and accuracy are named after the task's loss and score. */
export function titleOf(kindId, task) {
  if (kindId === 'acc') return task === 'regression' ? 'R² (coefficient of determination)' : 'Accuracy';
  if (kindId === 'loss') return task === 'regression' ? 'Loss (mean squared error)' : 'Loss (cross-entropy)';
  return KINDS[kindId].title;
}

/**
 * The series of a kind: {label, color, dash, get(j)} with get reading epoch index j from the
 * columns (`col(key)`) or, for per-layer kinds, from layer i's columns (`layerCol(i, key)`).
 */
export function seriesDefs(kindId, layerNames, { col, layerCol }) {
  const k = KINDS[kindId];
  const dark = isDark();
  if (k.perLayer) {
    return layerNames.map((name, i) => ({
      label: shortLayerName(name, i, layerNames.length),
      ...layerStyle(i, dark),
      get: (j) => {
        if (Array.isArray(k.perLayer)) {
          const a = layerCol(i, k.perLayer[0])?.[j];
          return a != null ? a : layerCol(i, k.perLayer[1])?.[j];
        }
        return layerCol(i, k.perLayer)?.[j];
      },
    }));
  }
  const pairs = k.pair || [k.single];
  const [train, val] = dark ? [TRAIN_DARK, VAL_DARK] : [TRAIN, VAL];
  return pairs.map(([key, label], i) => ({
    label,
    color: i === 0 ? train : val,
    dash: i === 0 ? undefined : [10, 6],
    get: (j) => col(key)?.[j],
  }));
}

/** uPlot y-range function of a kind on a log (`log`) or linear axis, for `task`. */
export function yRange(kindId, task, log) {
  const k = KINDS[kindId];
  if (log) {
    return (u, min, max) => (min == null || !(min > 0) ? [1e-3, 1] : uPlot.rangeLog(min, max, 10, true));
  }
  if (k.acc && task !== 'regression') return () => [0, 1];
  if (k.acc) return (u, min) => [min == null ? 0 : Math.max(-1, Math.min(0, Math.floor(min * 10) / 10)), 1];
  if (k.unit) return () => [0, 1];
  return (u, min, max) => {
    if (min == null) return [0, 1];
    const lo = k.min0 ? Math.min(0, min) : min;
    return uPlot.rangeNum(lo, max === lo ? lo + 1 : max, 0.08, true);
  };
}
