// Data-point markers of the boundary view: one shape per class, filled for training points and
// hollow for validation points, the ✕ over a wrong prediction, the nearest-point search used by
// deletion, and the small legend swatches drawn with the same markers.

import { el } from './dom.js';

const SHAPES = ['circle', 'square', 'triangle', 'diamond', 'down', 'hex'];
const OUTLINE = 'rgba(0,0,0,0.8)';

/** Marker shape of class `k` (regression points are all circles). */
export const shapeFor = (task, k) => (task === 'regression' ? 'circle' : SHAPES[k % SHAPES.length]);

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
export function drawPoint(ctx, shape, x, y, r, color, hollow, outline = OUTLINE) {
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

/** An 18×18 canvas showing one filled or hollow marker, for the legend. */
export function swatch(shape, color, hollow) {
  // Sized once at creation; fitCanvas (for views redrawn at changing sizes) rasterised it differently.
  const dpr = window.devicePixelRatio || 1;
  const c = el('canvas', { width: 18 * dpr, height: 18 * dpr, class: 'bp-bd-swatch' });
  const g = c.getContext('2d');
  g.scale(dpr, dpr);
  drawPoint(g, shape, 9, 9, 5.5, color, hollow);
  return c;
}

/** A black-on-white ✕ centred at (px, py), half-width s. */
function drawCross(ctx, px, py, s) {
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

/**
 * Draw the dataset's points (and the locally added `pending` ones), crossing out those whose
 * prediction in `preds` ({train, val}) is wrong; returns how many were crossed out.
 */
export function drawPoints(ctx, { ds, pending, preds, r, toPx, shapeOf, colorOf, isWrong }) {
  const wrongMarks = [];
  for (const split of ['train', 'val']) {
    const part = ds[split];
    if (!part?.x) continue;
    const pred = preds[split];
    part.x.forEach((p, i) => {
      const y = part.y[i];
      const [px, py] = toPx(p[0], p[1]);
      drawPoint(ctx, shapeOf(y), px, py, r, colorOf(y), split === 'val');
      if (pred && pred[i] != null && isWrong(pred[i], y)) wrongMarks.push([px, py]);
    });
  }
  for (const p of pending) {
    const [px, py] = toPx(p.x, p.y);
    drawPoint(ctx, shapeOf(p.label), px, py, r, colorOf(p.label), false);
  }
  ctx.save();
  ctx.lineCap = 'round';
  for (const [px, py] of wrongMarks) drawCross(ctx, px, py, r * 1.5);
  ctx.restore();
  return wrongMarks.length;
}

/** The dataset point (data coordinates) drawn nearest to pixel (px, py), or null. */
export function nearestPoint(ds, toPx, px, py) {
  let best = null;
  let bestD = Infinity;
  for (const split of ['train', 'val']) {
    for (const p of ds?.[split]?.x ?? []) {
      const [qx, qy] = toPx(p[0], p[1]);
      const d = (qx - px) ** 2 + (qy - py) ** 2;
      if (d < bestD) {
        bestD = d;
        best = p;
      }
    }
  }
  return best;
}

/** The dashed red ring around the point an alt-click would delete. */
export function drawDeleteRing(ctx, qx, qy) {
  ctx.save();
  ctx.strokeStyle = '#D00';
  ctx.lineWidth = 3;
  ctx.setLineDash([4, 3]);
  ctx.beginPath();
  ctx.arc(qx, qy, 12, 0, 2 * Math.PI);
  ctx.stroke();
  ctx.restore();
}
