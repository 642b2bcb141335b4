// Change markers, the pure part: a short label ("lr 0.01 → 0.3", "+ layer", "Adam") and a full
// description for each marker the server sends ({epoch, kind, changes: [{path, old, new}], fix?,
// reason?, kept?, fresh?, dropped?, train?, val?}; docs/protocol.md), and the merging of markers
// that would sit too close on a chart into one group. No DOM: marker-plugin.js draws them.

const OPTIMIZERS = { sgd: 'SGD', rmsprop: 'RMSProp', adagrad: 'Adagrad', adam: 'Adam', adamw: 'AdamW' };
const SHORT = {
  'training.learning_rate': 'lr',
  'training.batch_size': 'batch',
  'training.l1': 'L1',
  'training.l2': 'L2',
  'training.clip_norm': 'clip norm',
  'training.clip_value': 'clip value',
  'training.schedule.kind': 'schedule',
  'training.early_stopping.enabled': 'early stopping',
  'training.epochs_per_second': 'epochs/s',
  'training.stop_at_epoch': 'stop at',
  'dataset.name': 'data',
  'dataset.val_fraction': 'val split',
  'model.init': 'init',
  'model.init_scale': 'init scale',
};
const KIND_TEXT = {
  reset: ['reset', 'Reset: fresh weights, same settings. The run starts again here.'],
  regenerate: ['new points', 'New points drawn from the next data seed; the weights are kept.'],
  points: ['points edited', 'Training points added or removed by hand; the weights are kept.'],
  diverged: ['diverged', 'The training loss became non-finite: training paused.'],
  stopped: ['early stop', 'Early stopping: the validation loss stopped improving.'],
};

/** A value as people write it: 0.3, 1e-4, on/off, Adam, [x1, x2]. */
export function formatValue(v, path = '') {
  if (v === null || v === undefined) return 'off';
  if (typeof v === 'boolean') return v ? 'on' : 'off';
  if (typeof v === 'number') {
    const a = Math.abs(v);
    if (a !== 0 && (a < 1e-3 || a >= 1e5)) return v.toExponential().replace(/\.?0*e\+?/, 'e');
    return String(Number(v.toPrecision(4)));
  }
  if (Array.isArray(v)) return v.map((x) => formatValue(x)).join(', ');
  if (typeof v === 'string' && path === 'training.optimizer') return OPTIMIZERS[v] ?? v;
  return String(v);
}

/** The short name of a config path: lr, batch, momentum, noise, … */
export function shortName(path) {
  if (SHORT[path]) return SHORT[path];
  const leaf = String(path).split('.').pop();
  return leaf.replace(/_/g, ' ');
}

/** What changed between two lists of hidden layers, as short phrases ("+ layer", "L2 8 → 9 units"). */
export function layerPhrases(before, after) {
  const a = Array.isArray(before) ? before : [];
  const b = Array.isArray(after) ? after : [];
  const out = [];
  const diff = b.length - a.length;
  if (diff) out.push(`${diff > 0 ? '+' : '−'} ${Math.abs(diff) > 1 ? `${Math.abs(diff)} layers` : 'layer'}`);
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const [x, y] = [a[i] ?? {}, b[i] ?? {}];
    const name = `L${i + 1}`;
    if (x.units !== y.units) out.push(`${name} ${x.units} → ${y.units} units`);
    if (x.activation !== y.activation) out.push(`${name} ${x.activation} → ${y.activation}`);
    if (x.batch_norm !== y.batch_norm) out.push(`${name} batch norm ${y.batch_norm ? 'on' : 'off'}`);
    if (x.dropout !== y.dropout) out.push(`${name} dropout ${formatValue(x.dropout)} → ${formatValue(y.dropout)}`);
  }
  return out;
}

/** One change as a short phrase: "lr 0.01 → 0.3", "Adam", "+ layer". */
export function changeLabel(change) {
  const { path, old, new: now } = change;
  if (path === 'model.layers') return layerPhrases(old, now).join(', ') || 'layers';
  if (path === 'training.optimizer') return formatValue(now, path);
  return `${shortName(path)} ${formatValue(old, path)} → ${formatValue(now, path)}`;
}

/** One change in full: "training.learning_rate: 0.01 → 0.3". */
function changeDetail(change) {
  const { path, old, new: now } = change;
  if (path === 'model.layers') return `model.layers: ${layerPhrases(old, now).join(', ') || 'changed'}`;
  return `${path}: ${formatValue(old, path)} → ${formatValue(now, path)}`;
}

/** {short, full} for a marker: the label drawn on the charts and the text shown on hover. */
export function markerText(marker) {
  const changes = Array.isArray(marker.changes) ? marker.changes : [];
  const phrases = changes.map(changeLabel);
  const [kindShort, kindFull] = KIND_TEXT[marker.kind] ?? [null, null];
  let short = kindShort ?? (phrases.join(', ') || marker.kind);
  const lines = [`Epoch ${marker.epoch}`];
  if (marker.fix) {
    short = `fix: ${short}`;
    lines.push(`Fix applied: ${marker.fix}`);
  }
  if (kindFull) lines.push(kindFull);
  if (marker.kind === 'architecture') {
    lines.push(`Network edited; the history and the epoch count go on. ${marker.kept ?? 0} weights kept, `
      + `${marker.fresh ?? 0} new (freshly initialised), ${marker.dropped ?? 0} dropped.`);
  } else if (marker.kind === 'restart') {
    lines.push('The data or the initialiser changed: fresh weights, the run starts again here.');
  } else if (marker.kind === 'configure') {
    lines.push('Applied live: the weights are kept.');
  }
  if (marker.kind === 'points' && marker.train != null) lines.push(`Now ${marker.train} training and ${marker.val} validation points.`);
  if (marker.reason) lines.push(marker.reason);
  lines.push(...changes.map(changeDetail));
  return { short, full: lines.join('\n') };
}

/** `text` cut to at most `max` characters, with an ellipsis when cut. */
export function truncate(text, max) {
  if (text.length <= max) return text;
  if (max <= 1) return '…';
  return `${text.slice(0, max - 1).trimEnd()}…`;
}

/**
 * Group markers that would be drawn less than `minGap` pixels apart: `pos(epoch)` gives a
 * marker's x in pixels. Returns [{x, epoch, markers, short, full}] in order of x, each group at
 * the position of its first marker; a group of several is labelled "first label +N".
 */
export function mergeMarkers(markers, pos, minGap) {
  const sorted = [...markers].sort((a, b) => a.epoch - b.epoch);
  const groups = [];
  for (const m of sorted) {
    const x = pos(m.epoch);
    if (!Number.isFinite(x)) continue;
    const last = groups[groups.length - 1];
    if (last && x - last.x < minGap) last.markers.push(m);
    else groups.push({ x, epoch: m.epoch, markers: [m] });
  }
  for (const g of groups) {
    const texts = g.markers.map(markerText);
    g.short = texts.length === 1 ? texts[0].short : `${texts[texts.length - 1].short} +${texts.length - 1}`;
    g.full = texts.map((t) => t.full).join('\n\n');
  }
  return groups;
}
