// Decision-boundary view: a <canvas> heatmap of the model's output over the plane (planar data)
// with the training (filled) and validation (hollow) points, or, for tabular data, the points at
// their 2-D projection marked where the prediction is wrong. Click/shift-click/alt-click edit points.
import { fitCanvas } from './canvas.js';
import { classColor, classTint, diverging, rgbCss, textColor } from './colors.js';
import { oncePerFrame } from './redraw.js';

const SHAPES = ['circle', 'square', 'triangle', 'diamond', 'down', 'hex'];

/** Trace a marker of `shape` centred at (x, y) with radius r. */
function shapePath(ctx, shape, x, y, r) {
  ctx.beginPath();
  if (shape === 'square') ctx.rect(x - r * 0.85, y - r * 0.85, r * 1.7, r * 1.7);
  else if (shape === 'triangle' || shape === 'down') {
    const s = shape === 'down' ? -1 : 1;
    ctx.moveTo(x, y - s * r * 1.15);
    ctx.lineTo(x + r * 1.05, y + s * r * 0.75);
    ctx.lineTo(x - r * 1.05, y + s * r * 0.75);
    ctx.closePath();
  } else if (shape === 'diamond') {
    ctx.moveTo(x, y - r * 1.2);
    ctx.lineTo(x + r * 1.2, y);
    ctx.lineTo(x, y + r * 1.2);
    ctx.lineTo(x - r * 1.2, y);
    ctx.closePath();
  } else if (shape === 'hex') {
    for (let i = 0; i < 6; i++) ctx[i ? 'lineTo' : 'moveTo'](x + r * 1.05 * Math.cos((i * Math.PI) / 3), y + r * 1.05 * Math.sin((i * Math.PI) / 3));
    ctx.closePath();
  } else ctx.arc(x, y, r, 0, 2 * Math.PI);
}

/** Draw one data point: filled (train) or hollow (validation). */
function drawPoint(ctx, shape, x, y, r, color, hollow, outline) {
  shapePath(ctx, shape, x, y, r);
  if (hollow) {
    ctx.fillStyle = 'rgba(255,255,255,0.9)';
    ctx.fill();
    ctx.lineWidth = Math.max(2.5, r * 0.55);
    ctx.strokeStyle = color;
    ctx.stroke();
    shapePath(ctx, shape, x, y, r + ctx.lineWidth / 2);
    ctx.lineWidth = 1;
    ctx.strokeStyle = outline;
    ctx.stroke();
  } else {
    ctx.fillStyle = color;
    ctx.fill();
    ctx.lineWidth = 1.5;
    ctx.strokeStyle = outline;
    ctx.stroke();
  }
}

/** Round "nice" tick positions covering [lo, hi] with about `count` ticks. */
function niceTicks(lo, hi, count) {
  const raw = (hi - lo) / Math.max(1, count);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) || raw;
  const out = [];
  for (let v = Math.ceil(lo / step - 1e-9) * step; v <= hi + 1e-9; v += step) out.push(Math.abs(v) < step * 1e-9 ? 0 : v);
  return out;
}

const fmtTick = (v) => String(Number(v.toPrecision(3)));

/** Create the boundary view in `containerEl`; callbacks get data coordinates. */
export function createBoundaryView(containerEl, { onAddPoint = () => {}, onRemovePoint = () => {} } = {}) {
  const root = document.createElement('div');
  root.className = 'bp-boundary';
  const bar = document.createElement('div');
  bar.className = 'bp-bd-bar';
  const legend = document.createElement('div');
  legend.className = 'bp-bd-legend';
  legend.dataset.testid = 'class-picker';
  bar.append(legend);
  const stage = document.createElement('div');
  stage.className = 'bp-bd-stage';
  const canvas = document.createElement('canvas');
  canvas.dataset.testid = 'boundary-canvas';
  canvas.className = 'bp-bd-canvas';
  canvas.setAttribute('role', 'img');
  canvas.setAttribute('aria-label', 'Decision boundary and data points');
  const readout = document.createElement('div');
  readout.className = 'bp-bd-readout';
  readout.setAttribute('aria-live', 'off');
  stage.append(canvas, readout);
  root.append(bar, stage);
  containerEl.append(root);

  const ctx = canvas.getContext('2d');
  const heat = document.createElement('canvas');
  let ds = null; // dataset frame
  let bd = null; // snapshot.boundary
  let pending = []; // points added locally, shown until the next dataset frame
  let yRange = [-1, 1];
  let plot = { x: 0, y: 0, w: 1, h: 1 };
  let extent = [-6, 6, -6, 6];
  let hover = null; // {px, py, alt}

  const task = () => ds?.task || bd?.task || 'binary';
  const nClasses = () => Math.max(2, ds?.class_names?.length || 2);
  const planar = () => ds ? ds.is_planar !== false : true;
  const editable = () => planar() && !!ds;
  const shapeOf = (k) => (task() === 'regression' ? 'circle' : SHAPES[k % SHAPES.length]);

  /** Colour of a label: class colour, or the diverging scale for regression values. */
  function labelColor(v) {
    if (task() !== 'regression') return classColor(v | 0);
    const [lo, hi] = yRange;
    const t = hi > lo ? (2 * (v - lo)) / (hi - lo) - 1 : 0;
    return rgbCss(diverging(t));
  }

  const schedule = oncePerFrame(draw);

  const toPx = (x, y) => [plot.x + ((x - extent[0]) / (extent[1] - extent[0])) * plot.w,
    plot.y + ((extent[3] - y) / (extent[3] - extent[2])) * plot.h];
  const toData = (px, py) => [extent[0] + ((px - plot.x) / plot.w) * (extent[1] - extent[0]),
    extent[3] - ((py - plot.y) / plot.h) * (extent[3] - extent[2])];

  /** Render the boundary grid into the small offscreen canvas (one pixel per grid cell). */
  function buildHeat() {
    const res = bd?.resolution | 0;
    if (!planar() || !bd || !res || !Array.isArray(bd.values) || bd.values.length !== res * res) return;
    heat.width = res;
    heat.height = res;
    const hctx = heat.getContext('2d');
    const img = hctx.createImageData(res, res);
    const t = bd.task || task();
    const k = nClasses();
    for (let i = 0; i < res * res; i++) {
      const v = bd.values[i];
      let c;
      if (v == null || !Number.isFinite(v)) c = [170, 170, 170];
      else if (t === 'multiclass') {
        const conf = bd.confidence?.[i] ?? 1;
        c = classTint(v, 0.15 + 0.45 * Math.max(0, (conf - 1 / k) / (1 - 1 / k)));
      } else if (t === 'regression') {
        const [lo, hi] = yRange;
        c = diverging(hi > lo ? (2 * (v - lo)) / (hi - lo) - 1 : 0, 0.6);
      } else c = diverging(2 * v - 1, 0.55);
      img.data.set([c[0], c[1], c[2], 255], i * 4);
    }
    hctx.putImageData(img, 0, 0);
  }

  /** The 0.5 contour of a binary boundary, by marching squares over the grid. */
  function drawContour() {
    const res = bd.resolution;
    const v = bd.values;
    const [x0, x1, y0, y1] = bd.extent || extent;
    const cx = (c) => toPx(x0 + ((c + 0.5) / res) * (x1 - x0), 0)[0];
    const cy = (r) => toPx(0, y1 - ((r + 0.5) / res) * (y1 - y0))[1];
    const lerp = (a, b) => (0.5 - a) / (b - a);
    ctx.beginPath();
    for (let r = 0; r + 1 < res; r++) {
      for (let c = 0; c + 1 < res; c++) {
        const a = v[r * res + c]; const b = v[r * res + c + 1];
        const d = v[(r + 1) * res + c]; const e = v[(r + 1) * res + c + 1];
        if (![a, b, d, e].every(Number.isFinite)) continue;
        const pts = [];
        if ((a < 0.5) !== (b < 0.5)) pts.push([cx(c) + lerp(a, b) * (cx(c + 1) - cx(c)), cy(r)]);
        if ((b < 0.5) !== (e < 0.5)) pts.push([cx(c + 1), cy(r) + lerp(b, e) * (cy(r + 1) - cy(r))]);
        if ((d < 0.5) !== (e < 0.5)) pts.push([cx(c) + lerp(d, e) * (cx(c + 1) - cx(c)), cy(r + 1)]);
        if ((a < 0.5) !== (d < 0.5)) pts.push([cx(c), cy(r) + lerp(a, d) * (cy(r + 1) - cy(r))]);
        for (let p = 0; p + 1 < pts.length; p += 2) {
          ctx.moveTo(pts[p][0], pts[p][1]);
          ctx.lineTo(pts[p + 1][0], pts[p + 1][1]);
        }
      }
    }
    ctx.strokeStyle = 'rgba(20,20,20,0.75)';
    ctx.lineWidth = 2;
    ctx.stroke();
  }

  function layoutPlot(w, h) {
    const left = 40;
    const bottom = 38;
    const pad = 8;
    let pw = w - left - pad;
    let ph = h - bottom - pad;
    if (planar()) pw = ph = Math.max(10, Math.min(pw, ph));
    plot = { x: left + Math.max(0, (w - left - pad - pw) / 2), y: pad, w: Math.max(10, pw), h: Math.max(10, ph) };
  }

  function draw() {
    const w = stage.clientWidth;
    const h = stage.clientHeight;
    if (w < 30 || h < 30) return;
    fitCanvas(canvas, ctx, w, h);
    extent = ds?.extent || bd?.extent || extent;
    layoutPlot(w, h);
    const fg = textColor(root);

    // Background: heatmap (planar) or a neutral panel (tabular / no snapshot yet).
    ctx.fillStyle = '#f2f2f2';
    ctx.fillRect(plot.x, plot.y, plot.w, plot.h);
    const showHeat = planar() && bd && heat.width > 0 && bd.resolution === heat.width;
    if (showHeat) {
      const [x0, x1, y0, y1] = bd.extent || extent;
      const [px0, py0] = toPx(x0, y1);
      const [px1, py1] = toPx(x1, y0);
      ctx.save();
      ctx.beginPath();
      ctx.rect(plot.x, plot.y, plot.w, plot.h);
      ctx.clip();
      ctx.imageSmoothingEnabled = true;
      ctx.imageSmoothingQuality = 'high';
      ctx.drawImage(heat, px0, py0, px1 - px0, py1 - py0);
      if ((bd.task || task()) === 'binary') drawContour();
      ctx.restore();
    }
    drawAxes(fg);
    drawKey(fg);
    drawPoints();
    drawHover();
  }

  function drawAxes(fg) {
    ctx.save();
    ctx.strokeStyle = fg;
    ctx.globalAlpha = 0.7;
    ctx.lineWidth = 1.5;
    ctx.strokeRect(plot.x, plot.y, plot.w, plot.h);
    ctx.globalAlpha = 1;
    ctx.fillStyle = fg;
    ctx.font = '600 13px system-ui, sans-serif';
    const count = Math.max(2, Math.floor(plot.w / 55));
    ctx.textAlign = 'center';
    ctx.textBaseline = 'top';
    for (const v of niceTicks(extent[0], extent[1], count)) {
      const [px] = toPx(v, 0);
      ctx.fillRect(px - 0.75, plot.y + plot.h, 1.5, 5);
      ctx.fillText(fmtTick(v), px, plot.y + plot.h + 6);
    }
    ctx.textAlign = 'right';
    ctx.textBaseline = 'middle';
    for (const v of niceTicks(extent[2], extent[3], Math.max(2, Math.floor(plot.h / 45)))) {
      const [, py] = toPx(0, v);
      ctx.fillRect(plot.x - 5, py - 0.75, 5, 1.5);
      ctx.fillText(fmtTick(v), plot.x - 7, py);
    }
    const names = planar() ? ['x₁', 'x₂'] : ['component 1', 'component 2'];
    ctx.font = '700 14px system-ui, sans-serif';
    ctx.textAlign = 'center';
    ctx.textBaseline = 'bottom';
    ctx.fillText(names[0], plot.x + plot.w / 2, plot.y + plot.h + 37);
    ctx.save();
    ctx.translate(12, plot.y + plot.h / 2);
    ctx.rotate(-Math.PI / 2);
    ctx.textBaseline = 'middle';
    ctx.fillText(names[1], 0, 0);
    ctx.restore();
    ctx.restore();
  }

  /** "● train ○ validation" in the bottom-left corner, under the y-axis ticks. */
  function drawKey(fg) {
    const y = plot.y + plot.h + 30;
    const room = plot.x + plot.w / 2 - 24;
    const items = [['train', false], [room > 150 ? 'validation' : 'val', true]];
    ctx.save();
    ctx.font = '600 13px system-ui, sans-serif';
    ctx.textBaseline = 'middle';
    let x = 6;
    for (const [text, hollow] of items) {
      drawPoint(ctx, 'circle', x + 5, y, 4.5, '#777', hollow, 'rgba(0,0,0,0.8)');
      ctx.fillStyle = fg;
      ctx.globalAlpha = 0.85;
      ctx.fillText(text, x + 13, y);
      ctx.globalAlpha = 1;
      x += 13 + ctx.measureText(text).width + 10;
    }
    ctx.restore();
  }

  function drawPoints() {
    if (!ds) return;
    const r = Math.max(3, Math.min(6.5, plot.w / 85));
    const outline = 'rgba(0,0,0,0.8)';
    const wrongMarks = [];
    const preds = !planar() && bd ? { train: bd.train_pred, val: bd.val_pred } : {};
    for (const split of ['train', 'val']) {
      const part = ds[split];
      if (!part?.x) continue;
      const pred = preds[split];
      part.x.forEach((p, i) => {
        const y = part.y[i];
        const [px, py] = toPx(p[0], p[1]);
        drawPoint(ctx, shapeOf(y), px, py, r, labelColor(y), split === 'val', outline);
        if (pred && pred[i] != null && isWrong(pred[i], y)) wrongMarks.push([px, py]);
      });
    }
    for (const p of pending) {
      const [px, py] = toPx(p.x, p.y);
      drawPoint(ctx, shapeOf(p.label), px, py, r, labelColor(p.label), false, outline);
    }
    ctx.save();
    ctx.lineCap = 'round';
    for (const [px, py] of wrongMarks) {
      const s = r * 1.5;
      for (const [color, width] of [['#fff', 5], ['#111', 2.5]]) {
        ctx.strokeStyle = color;
        ctx.lineWidth = width;
        ctx.beginPath();
        ctx.moveTo(px - s, py - s);
        ctx.lineTo(px + s, py + s);
        ctx.moveTo(px + s, py - s);
        ctx.lineTo(px - s, py + s);
        ctx.stroke();
      }
    }
    ctx.restore();
    root.dataset.wrong = String(wrongMarks.length);
    updateWrongCount(wrongMarks.length);
  }

  function isWrong(pred, y) {
    if (task() !== 'regression') return (pred | 0) !== (y | 0);
    return Math.abs(pred - y) > 0.25 * Math.max(1e-9, yRange[1] - yRange[0]);
  }

  /** All points in data coordinates, for the nearest-point search. */
  function allPoints() {
    const out = [];
    for (const split of ['train', 'val']) ds?.[split]?.x?.forEach((p) => out.push(p));
    return out;
  }

  function nearest(px, py) {
    let best = null;
    let bestD = Infinity;
    for (const p of allPoints()) {
      const [qx, qy] = toPx(p[0], p[1]);
      const d = (qx - px) ** 2 + (qy - py) ** 2;
      if (d < bestD) {
        bestD = d;
        best = p;
      }
    }
    return best;
  }

  function drawHover() {
    if (!hover || !editable()) return;
    if (hover.alt) {
      const p = nearest(hover.px, hover.py);
      if (!p) return;
      const [qx, qy] = toPx(p[0], p[1]);
      ctx.save();
      ctx.strokeStyle = '#D00';
      ctx.lineWidth = 3;
      ctx.setLineDash([4, 3]);
      ctx.beginPath();
      ctx.arc(qx, qy, 12, 0, 2 * Math.PI);
      ctx.stroke();
      ctx.restore();
    }
  }

  function updateReadout() {
    if (!hover) {
      readout.replaceChildren();
      return;
    }
    const [x, y] = toData(hover.px, hover.py);
    let text = `(${x.toFixed(2)}, ${y.toFixed(2)})`;
    if (planar() && bd?.values && bd.resolution) {
      const res = bd.resolution;
      const [x0, x1, y0, y1] = bd.extent || extent;
      const c = Math.floor(((x - x0) / (x1 - x0)) * res);
      const r = Math.floor(((y1 - y) / (y1 - y0)) * res);
      if (c >= 0 && c < res && r >= 0 && r < res) {
        const v = bd.values[r * res + c];
        const t = bd.task || task();
        if (v == null) text += '  output: —';
        else if (t === 'binary') text += `  P(${className(1)}) = ${v.toFixed(2)}`;
        else if (t === 'multiclass') text += `  → ${className(v)} (${((bd.confidence?.[r * res + c] ?? 1) * 100).toFixed(0)}%)`;
        else text += `  ŷ = ${v.toFixed(2)}`;
      }
    }
    readout.replaceChildren(text);
    if (editable() && choices.length) {
      const h = document.createElement('div');
      h.className = 'bp-bd-hint';
      const name = (v) => (task() === 'regression' ? `y=${v}` : className(v));
      h.textContent = `click: ${name(choices[pick])} · shift: ${name(otherLabel())} · alt: delete`;
      readout.append(h);
    }
  }

  const className = (k) => String(ds?.class_names?.[k] ?? `class ${k}`);

  // ----- legend and picker -----
  let wrongEl = null;
  function updateWrongCount(n) {
    if (wrongEl) wrongEl.textContent = `${n} wrong`;
  }

  function swatch(shape, color, hollow) {
    const c = document.createElement('canvas');
    const dpr = window.devicePixelRatio || 1;
    c.width = 18 * dpr;
    c.height = 18 * dpr;
    c.className = 'bp-bd-swatch';
    const g = c.getContext('2d');
    g.scale(dpr, dpr);
    drawPoint(g, shape, 9, 9, 5.5, color, hollow, 'rgba(0,0,0,0.8)');
    return c;
  }

  // The legend doubles as the picker of the class (or value) a click adds: a radio group.
  let choices = []; // label values a click can add, in legend order
  let pick = 0;

  function buildLegend() {
    legend.replaceChildren();
    wrongEl = null;
    const editing = planar();
    legend.setAttribute('role', editing ? 'radiogroup' : 'list');
    legend.setAttribute('aria-label', editing ? 'Class added by a click' : 'Classes');
    const label = (t) => {
      const s = document.createElement('span');
      s.textContent = t;
      return s;
    };
    const entries = [];
    if (task() === 'regression') {
      // Three value buttons (low, middle, high) double as the colour key of the diverging scale.
      const [lo, hi] = yRange;
      const decimals = Math.max(0, 2 - Math.floor(Math.log10(Math.max(1e-9, hi - lo))));
      for (const v of [lo, (lo + hi) / 2, hi]) {
        const r = Number(v.toFixed(Math.min(10, decimals))) || 0;
        entries.push([r, `y=${r}`, swatch('circle', labelColor(v), false)]);
      }
    } else {
      (ds?.class_names?.length ? ds.class_names : ['class 0', 'class 1']).forEach((name, k) => {
        entries.push([k, String(name), swatch(shapeOf(k), classColor(k), false)]);
      });
    }
    choices = entries.map(([v]) => v);
    pick = Math.min(pick, choices.length - 1);
    entries.forEach(([value, text, sw], i) => {
      const b = document.createElement('button');
      b.type = 'button';
      b.className = 'bp-bd-item bp-bd-classbtn';
      b.dataset.value = String(value);
      b.title = editing ? `Clicks on the plot add points of ${text}` : text;
      b.disabled = !editing;
      if (editing) b.setAttribute('role', 'radio');
      b.append(sw, label(text));
      b.addEventListener('click', () => {
        pick = i;
        syncPicked();
      });
      legend.append(b);
    });
    if (!editing) {
      const x = label('✕');
      x.className = 'bp-bd-x';
      wrongEl = label('');
      const s = document.createElement('span');
      s.className = 'bp-bd-item bp-bd-key';
      s.append(x, wrongEl);
      legend.append(s);
    }
    syncPicked();
  }

  function syncPicked() {
    legend.querySelectorAll('.bp-bd-classbtn').forEach((b, i) => {
      if (planar()) b.setAttribute('aria-checked', String(i === pick));
      else b.removeAttribute('aria-checked');
    });
    legend.dataset.value = choices.length ? String(choices[pick]) : '';
  }

  // ----- editing -----
  function eventPos(ev) {
    const rect = canvas.getBoundingClientRect();
    return [ev.clientX - rect.left, ev.clientY - rect.top];
  }
  const inPlot = (px, py) => px >= plot.x && px <= plot.x + plot.w && py >= plot.y && py <= plot.y + plot.h;

  /** Shift-click label: the other class (binary) or the next choice (multiclass, regression). */
  function otherLabel() {
    if (task() === 'binary') return choices[pick === 0 ? 1 : 0];
    return choices[(pick + 1) % choices.length];
  }

  function removeAt(px, py) {
    const p = nearest(px, py);
    if (p) onRemovePoint(p[0], p[1]);
  }

  canvas.addEventListener('click', (ev) => {
    const [px, py] = eventPos(ev);
    if (!editable() || !inPlot(px, py)) return;
    if (ev.altKey) {
      removeAt(px, py);
      return;
    }
    const label = ev.shiftKey ? otherLabel() : choices[pick];
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
    canvas.style.cursor = hover && editable() ? (ev.altKey ? 'not-allowed' : 'crosshair') : 'default';
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

  new ResizeObserver(schedule).observe(stage);
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
      if (key !== prevKey) pick = 0;
      if (key !== prevKey || task() === 'regression') buildLegend();
      root.dataset.planar = String(planar());
      root.dataset.points = String((frame?.train?.x?.length || 0) + (frame?.val?.x?.length || 0));
      buildHeat();
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
