// Canvas drawing for the class wall: loss curves (a sparkline on each card, or one chart with
// axes for the overlay and a reveal's branches) and the boundary thumbnail, cell by cell.

import { classTint, diverging } from './colors.js';
import { branchColor, extent } from './wall-model.js';
import { fmt } from './format.js';

const FONT = '16px system-ui, sans-serif';

/** Size the canvas's backing store to its box; returns [ctx, width, height] in CSS pixels. */
function prepare(canvas) {
  const dpr = window.devicePixelRatio || 1;
  const w = Math.max(1, canvas.clientWidth);
  const h = Math.max(1, canvas.clientHeight);
  if (canvas.width !== Math.round(w * dpr) || canvas.height !== Math.round(h * dpr)) {
    canvas.width = Math.round(w * dpr);
    canvas.height = Math.round(h * dpr);
  }
  const ctx = canvas.getContext('2d');
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.clearRect(0, 0, w, h);
  return [ctx, w, h];
}

/**
 * Loss curves on a log scale: series [{x, y, color, width, alpha}]. `axes` adds epoch and loss
 * ticks (the overlay charts); without it the curves fill the canvas (a card's sparkline).
 */
export function drawCurves(canvas, series, { axes = false, ink = '#111', xFrom = -Infinity, marker = null } = {}) {
  const [ctx, w, h] = prepare(canvas);
  const shown = series.map((s) => s.y.filter((_, i) => s.x[i] >= xFrom));
  const [ylo, yhi] = extent(shown, { log: true });
  const [xlo, xhi] = extent(series.map((s) => s.x.filter((x) => x >= xFrom)));
  const pad = axes ? { l: 64, r: 12, t: 18, b: 34 } : { l: 3, r: 3, t: 4, b: 4 };
  const pw = w - pad.l - pad.r;
  const ph = h - pad.t - pad.b;
  const px = (x) => pad.l + ((x - xlo) / (xhi - xlo || 1)) * pw;
  const py = (y) => pad.t + (1 - (Math.log10(y) - ylo) / (yhi - ylo || 1)) * ph;
  if (axes) drawAxes(ctx, { xlo, xhi, ylo, yhi, px, py, pad, w, h, ink });
  ctx.save();
  ctx.beginPath();
  ctx.rect(pad.l, 0, pw, h);
  ctx.clip();
  if (marker) drawMarker(ctx, px(marker.x), pad.t, ph, marker.text, ink);
  ctx.lineJoin = 'round';
  for (const s of series) {
    ctx.strokeStyle = s.color;
    ctx.globalAlpha = s.alpha ?? 1;
    ctx.lineWidth = s.width ?? 2;
    ctx.beginPath();
    let pen = false;
    s.x.forEach((x, i) => {
      const y = s.y[i];
      if (!Number.isFinite(y) || y <= 0) {
        pen = false;
        return;
      }
      if (pen) ctx.lineTo(px(x), py(y));
      else ctx.moveTo(px(x), py(y));
      pen = true;
    });
    ctx.stroke();
    if (s.label && pen) {
      const i = s.x.length - 1;
      ctx.globalAlpha = 1;
      ctx.fillStyle = s.color;
      ctx.font = `600 ${FONT}`;
      ctx.textAlign = px(s.x[i]) > w - 90 ? 'right' : 'left';
      ctx.textBaseline = 'bottom';
      ctx.fillText(s.label, px(s.x[i]) + (ctx.textAlign === 'left' ? 6 : -6), py(s.y[i]) - 4);
    }
  }
  ctx.restore();
}

function drawMarker(ctx, x, top, height, text, ink) {
  ctx.save();
  ctx.strokeStyle = ink;
  ctx.globalAlpha = 0.6;
  ctx.setLineDash([6, 5]);
  ctx.lineWidth = 1.5;
  ctx.beginPath();
  ctx.moveTo(x, top);
  ctx.lineTo(x, top + height);
  ctx.stroke();
  ctx.globalAlpha = 1;
  ctx.fillStyle = ink;
  ctx.font = FONT;
  ctx.textAlign = 'left';
  ctx.textBaseline = 'top';
  ctx.fillText(text, x + 6, top + 2);
  ctx.restore();
}

const MANTISSAS = [[1], [1, 2, 5], [1, 2, 3, 5, 7], [1, 1.5, 2, 3, 4, 5, 6, 7, 8, 9]];

/** Loss ticks for a log axis over [lo, hi] (log10): decades, else the first of ever denser
 * 1-2-5 style sets to give at least three ticks in range. */
/**
 * A reveal's branches overlaid: the shared past once, in grey (each branch samples it at other
 * epochs), then each branch in its choice's colour from epoch `at`, marked. The shared past
 * takes at most a third of the width: the branches are the story.
 */
export function drawBranches(canvas, branches, at, ink) {
  const latest = Math.max(...branches.map((b) => b.epoch));
  const xFrom = Math.max(0, at - (latest - at) / 2);
  const part = (b, keep) => {
    const idx = b.loss.epoch.map((x, i) => i).filter((i) => keep(b.loss.epoch[i]));
    return { x: idx.map((i) => b.loss.epoch[i]), y: idx.map((i) => b.loss.val[i]) };
  };
  const past = { ...part(branches[0], (x) => x <= at), color: ink, width: 2, alpha: 0.45 };
  const after = branches.map((b) => ({ ...part(b, (x) => x >= at), color: branchColor(b.choice), width: 3, label: b.label }));
  drawCurves(canvas, [past, ...after], { axes: true, ink, xFrom, marker: { x: at, text: `branched at ${at}` } });
}

export function logTicks(lo, hi) {
  let ticks = [];
  for (const mantissas of MANTISSAS) {
    ticks = [];
    for (let e = Math.floor(lo); e <= Math.ceil(hi); e++) {
      for (const m of mantissas) {
        const v = Number((m * 10 ** e).toPrecision(3));
        if (Math.log10(v) >= lo && Math.log10(v) <= hi) ticks.push(v);
      }
    }
    if (ticks.length >= 3) return ticks;
  }
  return ticks.length ? ticks : [Number((10 ** ((lo + hi) / 2)).toPrecision(2))];
}

function drawAxes(ctx, { xlo, xhi, ylo, yhi, px, py, pad, w, h, ink }) {
  ctx.font = FONT;
  ctx.fillStyle = ink;
  ctx.strokeStyle = 'rgba(127,127,127,0.35)';
  ctx.lineWidth = 1;
  ctx.textAlign = 'right';
  ctx.textBaseline = 'middle';
  for (const v of logTicks(ylo, yhi)) {
    const y = py(v);
    ctx.beginPath();
    ctx.moveTo(pad.l, y);
    ctx.lineTo(w - pad.r, y);
    ctx.stroke();
    ctx.fillText(fmt(v, 2), pad.l - 8, y);
  }
  ctx.textAlign = 'center';
  ctx.textBaseline = 'top';
  const step = niceStep((xhi - xlo) / 5);
  const ticks = [];
  for (let x = Math.ceil(xlo / step) * step; x <= xhi; x += step) ticks.push(x);
  ticks.forEach((x, i) => {
    const last = i === ticks.length - 1;
    ctx.textAlign = last && px(x) > w - 70 ? 'right' : 'center';
    ctx.fillText(last ? `epoch ${Math.round(x)}` : String(Math.round(x)), px(x), h - pad.b + 8);
  });
}

function niceStep(raw) {
  const p = 10 ** Math.floor(Math.log10(Math.max(raw, 1e-9)));
  for (const m of [1, 2, 5, 10]) if (raw <= m * p) return Math.max(1, m * p);
  return Math.max(1, 10 * p);
}

/** The boundary thumbnail {n, task, classes, cells} (row 0 at the top), smoothly scaled up. */
export function drawThumb(canvas, thumb) {
  const [ctx, w, h] = prepare(canvas);
  if (!thumb || !Array.isArray(thumb.cells) || thumb.cells.length !== thumb.n * thumb.n) return;
  const n = thumb.n;
  const cells = document.createElement('canvas');
  cells.width = n;
  cells.height = n;
  const cctx = cells.getContext('2d');
  const img = cctx.createImageData(n, n);
  thumb.cells.forEach((v, i) => {
    let c = [190, 190, 190];
    if (v !== null) c = thumb.task === 'multiclass' ? classTint(v, 0.6) : diverging((2 * v) / 99 - 1, 0.75);
    img.data.set([c[0], c[1], c[2], 255], i * 4);
  });
  cctx.putImageData(img, 0, 0);
  ctx.imageSmoothingEnabled = true;
  ctx.imageSmoothingQuality = 'high';
  ctx.drawImage(cells, 0, 0, w, h);
}
