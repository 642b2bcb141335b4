// Pure data for the compare charts: several runs' columns on one epoch axis (uPlot wants one x
// array), which columns each chart draws, and the figures the compare table lists.

/** The compare charts: title, the live chart kind whose y range they share, the columns drawn per run
 * (solid first, dashed second). */
export const COMPARE_CHARTS = [
  { id: 'loss', kind: 'loss', title: 'Loss', log: false, keys: ['val_loss', 'train_loss'] },
  { id: 'accuracy', kind: 'acc', title: 'Accuracy', regressionTitle: 'R²', log: false, keys: ['val_acc', 'train_acc'] },
  { id: 'grad', kind: 'clip', title: 'Gradient norm (global)', hint: 'Before clipping, mean over the epoch’s steps', log: true, keys: ['grad_norm_global'] },
];

/** Epochs a run trained in all its segments (the end of its epoch axis). */
export const totalEpochs = (run) => run.segments.reduce((sum, s) => sum + s.last, 0);

/** Rows of metrics in the compare table: [label, pick(run)] with the run's final and best figures. */
export const METRIC_ROWS = [
  ['epochs (every segment)', (r) => totalEpochs(r)],
  ['final train loss', (r) => r.final?.train_loss],
  ['final val loss', (r) => r.final?.val_loss],
  ['final val acc / R²', (r) => r.final?.val_acc],
  ['best val loss', (r) => r.best?.val_loss],
  ['best val acc / R²', (r) => r.best?.val_acc],
];

/**
 * uPlot data for `runs` ({columns: {epoch, ...}}): [x, then one array per run and key], x the
 * sorted union of every run's epochs and null where a run has no row at that epoch.
 */
export function alignRuns(runs, keys) {
  const xs = [...new Set(runs.flatMap((r) => r.columns.epoch))].sort((a, b) => a - b);
  const at = new Map(xs.map((x, i) => [x, i]));
  const series = [];
  for (const run of runs) {
    for (const key of keys) {
      const ys = new Array(xs.length).fill(null);
      const col = run.columns[key] ?? [];
      run.columns.epoch.forEach((e, j) => {
        ys[at.get(e)] = col[j] ?? null;
      });
      series.push(ys);
    }
  }
  return [xs, ...series];
}

/** Whether every run is a regression (the accuracy chart then shows R²). */
export const allRegression = (runs) => runs.length > 0 && runs.every((r) => r.columns.val_mae?.some((v) => v !== null));

/**
 * The value of `ys` at `idx`, else the closest one before it (runs are sampled at different
 * epochs); null before a run's first value and after its last (it had not trained that far).
 */
export function valueAt(ys, idx) {
  const has = (v) => v !== null && v !== undefined;
  if (has(ys[idx])) return ys[idx];
  if (!ys.slice(idx + 1).some(has)) return null;
  for (let j = idx - 1; j >= 0; j -= 1) if (has(ys[j])) return ys[j];
  return null;
}
