// Decision-boundary view: a <canvas> heatmap of the model's output over the plane (planar data)
// with the training (filled) and validation (hollow) points, or, for tabular data, the points at
// their 2-D projection marked where the prediction is wrong. Click/shift-click/alt-click edit points.
// This module owns the view's state, its coordinate mapping, the draw order and the mouse; the
// heatmap, markers, axes and legend are drawn by the boundary-*.js modules.
import { el } from './dom.js';
import { drawAxes, drawKey, plotBox } from './boundary-axes.js';
import { describeOutput, drawHeatmap, paintGrid, toSigned } from './boundary-heatmap.js';
import { createClassPicker } from './boundary-legend.js';
import { drawDeleteRing, drawPoints, nearestPoint, shapeFor } from './boundary-points.js';

const PICK_PX = 14; // the inspector picks the training point within this many pixels of a click

/** The inspector's ring around the point it shows. */
function drawMark(ctx, qx, qy) {
  ctx.save();
  ctx.strokeStyle = '#111';
  ctx.lineWidth = 3;
  ctx.beginPath();
  ctx.arc(qx, qy, 11, 0, 2 * Math.PI);
  ctx.stroke();
  ctx.strokeStyle = '#fff';
  ctx.lineWidth = 1.5;
  ctx.beginPath();
  ctx.arc(qx, qy, 14, 0, 2 * Math.PI);
  ctx.stroke();
  ctx.restore();
}
import { fitCanvas } from './canvas.js';
import { classColor, diverging, rgbCss, textColor } from './colors.js';
import { oncePerFrame } from './redraw.js';

/** Create the boundary view in `containerEl`; callbacks get data coordinates. */
export function createBoundaryView(containerEl, { onAddPoint = () => {}, onRemovePoint = () => {} } = {}) {
  const legend = el('div', { class: 'bp-bd-legend', testid: 'class-picker' });
  const canvas = el('canvas', {
    class: 'bp-bd-canvas',
    testid: 'boundary-canvas',
    role: 'img',
    'aria-label': 'Decision boundary and data points',
  });
  const readout = el('div', { class: 'bp-bd-readout', 'aria-live': 'off' });
  const stage = el('div', { class: 'bp-bd-stage' }, canvas, readout);
  const root = el('div', { class: 'bp-boundary' }, el('div', { class: 'bp-bd-bar' }, legend), stage);
  containerEl.append(root);

  const ctx = canvas.getContext('2d');
  const heat = el('canvas');
  const picker = createClassPicker(legend);
  let ds = null; // dataset frame
  let bd = null; // snapshot.boundary
  let pending = []; // points added locally, shown until the next dataset frame
  let yRange = [-1, 1];
  let plot = { x: 0, y: 0, w: 1, h: 1 };
  let extent = [-6, 6, -6, 6];
  let hover = null; // {px, py, alt}
  let onPick = null; // inspector: a click picks a training point (its index) instead of adding one
  let marked = null; // index of the training point the inspector shows (ringed)
  let textScale = 1; // boundary text size / its desk size (restyle() below)

  const task = () => ds?.task || bd?.task || 'binary';
  const gridTask = () => bd.task || task();
  const nClasses = () => Math.max(2, ds?.class_names?.length || 2);
  const planar = () => ds ? ds.is_planar !== false : true;
  const editable = () => planar() && !!ds;
  const shapeOf = (k) => shapeFor(task(), k);
  const className = (k) => String(ds?.class_names?.[k] ?? `class ${k}`);

  /** Colour of a label: class colour, or the diverging scale for regression values. */
  function labelColor(v) {
    if (task() !== 'regression') return classColor(v | 0);
    return rgbCss(diverging(toSigned(v, yRange)));
  }

  function isWrong(pred, y) {
    if (task() !== 'regression') return (pred | 0) !== (y | 0);
    return Math.abs(pred - y) > 0.25 * Math.max(1e-9, yRange[1] - yRange[0]);
  }

  const toPx = (x, y) => [plot.x + ((x - extent[0]) / (extent[1] - extent[0])) * plot.w,
    plot.y + ((extent[3] - y) / (extent[3] - extent[2])) * plot.h];
  const toData = (px, py) => [extent[0] + ((px - plot.x) / plot.w) * (extent[1] - extent[0]),
    extent[3] - ((py - plot.y) / plot.h) * (extent[3] - extent[2])];
  const inPlot = (px, py) => px >= plot.x && px <= plot.x + plot.w && py >= plot.y && py <= plot.y + plot.h;
  const nearest = (px, py) => nearestPoint(ds, toPx, px, py);

  function buildHeat() {
    if (planar() && bd) paintGrid(heat, bd, { task: gridTask(), nClasses: nClasses(), yRange });
  }

  function buildLegend() {
    picker.build({ editing: planar(), task: task(), classNames: ds?.class_names, yRange, colorOf: labelColor, shapeOf });
  }

  function draw() {
    const w = stage.clientWidth;
    const h = stage.clientHeight;
    if (w < 30 || h < 30) return;
    fitCanvas(canvas, ctx, w, h);
    extent = ds?.extent || bd?.extent || extent;
    plot = plotBox(w, h, planar(), textScale);
    const fg = textColor(root);

    // Background: heatmap (planar) or a neutral panel (tabular / no snapshot yet).
    ctx.fillStyle = '#f2f2f2';
    ctx.fillRect(plot.x, plot.y, plot.w, plot.h);
    if (planar() && bd && heat.width > 0 && bd.resolution === heat.width) {
      drawHeatmap(ctx, heat, bd, { plot, extent, toPx, task: gridTask() });
    }
    drawAxes(ctx, { plot, extent, toPx }, fg, planar() ? ['x₁', 'x₂'] : ['component 1', 'component 2']);
    drawKey(ctx, plot, fg);
    if (ds) {
      const wrong = drawPoints(ctx, {
        ds, pending, toPx, shapeOf, colorOf: labelColor, isWrong,
        r: Math.max(3, Math.min(6.5, plot.w / 85)),
        preds: !planar() && bd ? { train: bd.train_pred, val: bd.val_pred } : {},
      });
      root.dataset.wrong = String(wrong);
      picker.setWrongCount(wrong);
    }
    const m = marked !== null ? ds?.train?.x?.[marked] : null;
    if (m) drawMark(ctx, ...toPx(m[0], m[1]));
    if (hover?.alt && editable()) {
      const p = nearest(hover.px, hover.py);
      if (p) drawDeleteRing(ctx, ...toPx(p[0], p[1]));
    }
  }
  const schedule = oncePerFrame(draw);

  function updateReadout() {
    if (!hover) {
      readout.replaceChildren();
      return;
    }
    const [x, y] = toData(hover.px, hover.py);
    let text = `(${x.toFixed(2)}, ${y.toFixed(2)})`;
    if (planar() && bd?.values && bd.resolution) {
      text += describeOutput(bd, extent, x, y, { task: gridTask(), className });
    }
    readout.replaceChildren(text);
    if (editable() && picker.count()) {
      const name = (v) => (task() === 'regression' ? `y=${v}` : className(v));
      readout.append(el('div', { class: 'bp-bd-hint',
        text: `click: ${name(picker.current())} · shift: ${name(picker.other(task()))} · alt: delete` }));
    }
  }

  // ----- editing -----
  function eventPos(ev) {
    const rect = canvas.getBoundingClientRect();
    return [ev.clientX - rect.left, ev.clientY - rect.top];
  }

  function removeAt(px, py) {
    const p = nearest(px, py);
    if (p) onRemovePoint(p[0], p[1]);
  }

  /** Index of the training point drawn nearest to (px, py) within PICK_PX, or null. */
  function nearestTrain(px, py) {
    let best = null;
    let bestD = PICK_PX ** 2;
    (ds?.train?.x ?? []).forEach((p, i) => {
      const [qx, qy] = toPx(p[0], p[1]);
      const d = (qx - px) ** 2 + (qy - py) ** 2;
      if (d <= bestD) [best, bestD] = [i, d];
    });
    return best;
  }

  canvas.addEventListener('click', (ev) => {
    const [px, py] = eventPos(ev);
    if (onPick && inPlot(px, py)) {
      const i = nearestTrain(px, py);
      if (i !== null) onPick(i);
      return;
    }
    if (!editable() || !inPlot(px, py)) return;
    if (ev.altKey) {
      removeAt(px, py);
      return;
    }
    const label = ev.shiftKey ? picker.other(task()) : picker.current();
    if (!Number.isFinite(label)) return;
    const [x, y] = toData(px, py);
    pending.push({ x, y, label });
    schedule();
    onAddPoint(x, y, label);
  });
  canvas.addEventListener('contextmenu', (ev) => {
    const [px, py] = eventPos(ev);
    if (!editable() || !inPlot(px, py)) return;
    ev.preventDefault();
    removeAt(px, py);
  });
  canvas.addEventListener('mousemove', (ev) => {
    const [px, py] = eventPos(ev);
    hover = inPlot(px, py) ? { px, py, alt: ev.altKey } : null;
    canvas.style.cursor = hover && onPick ? 'pointer'
      : hover && editable() ? (ev.altKey ? 'not-allowed' : 'crosshair') : 'default';
    updateReadout();
    schedule();
  });
  canvas.addEventListener('mouseleave', () => {
    hover = null;
    updateReadout();
    schedule();
  });

  // Holding Alt over the plot rings the point an alt-click would delete.
  const onAltKey = (ev) => {
    if (ev.key !== 'Alt' || !hover) return;
    hover.alt = ev.type === 'keydown';
    schedule();
  };
  document.addEventListener('keydown', onAltKey);
  document.addEventListener('keyup', onAltKey);

  // Text grows with the charts' (presentation mode): --bp-chart-font is 14 px at the desk. Read
  // on resize and restyle only, so a draw never forces a style recalculation.
  const restyle = () => {
    textScale = (parseFloat(getComputedStyle(root).getPropertyValue('--bp-chart-font')) || 14) / 14;
    schedule();
  };
  new ResizeObserver(restyle).observe(stage);
  document.addEventListener('bp-restyle', restyle); // theme or presentation mode changed
  buildLegend();

  return {
    /** Show a dataset frame: its points, classes and extent (clears locally added points). */
    setDataset(frame) {
      const prevKey = ds ? `${ds.task}|${(ds.class_names || []).join('\u0000')}|${ds.is_planar}` : '';
      ds = frame;
      pending = [];
      const ys = [...(frame?.train?.y || []), ...(frame?.val?.y || [])].filter(Number.isFinite);
      yRange = ys.length ? [Math.min(...ys), Math.max(...ys)] : [-1, 1];
      const key = `${ds.task}|${(ds.class_names || []).join('\u0000')}|${ds.is_planar}`;
      if (key !== prevKey) picker.resetPick();
      if (key !== prevKey || task() === 'regression') buildLegend();
      root.dataset.planar = String(planar());
      root.dataset.points = String((frame?.train?.x?.length || 0) + (frame?.val?.x?.length || 0));
      buildHeat();
      schedule();
    },
    /** Inspector: `fn(index)` gets the training point clicked instead of adding one; null ends it. */
    setPicker(fn) {
      onPick = fn;
    },
    /** Canvas pixel [x, y] of training point `index` (tests click it), or null. */
    pixelOf(index) {
      const p = ds?.train?.x?.[index];
      return p ? toPx(p[0], p[1]) : null;
    },
    /** Inspector: ring training point `index` (null: none). */
    markPoint(index) {
      marked = index;
      schedule();
    },
    /** Show a snapshot's boundary (heatmap grid, or per-point predictions for tabular data). */
    setSnapshot(snapshot) {
      if (!snapshot?.boundary) return;
      bd = snapshot.boundary;
      buildHeat();
      updateReadout();
      schedule();
    },
  };
}
