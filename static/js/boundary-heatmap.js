// The boundary view's heatmap: the model's output grid (snapshot.boundary) painted one pixel per
// cell into an offscreen canvas, scaled onto the plot with the binary 0.5 contour on top, and the
// grid value under the cursor as readout text.
import { classTint, diverging } from './colors.js';

/** Map v from the value range [lo, hi] onto [-1, 1] (0 when the range is empty). */
export const toSigned = (v, [lo, hi]) => (hi > lo ? (2 * (v - lo)) / (hi - lo) - 1 : 0);

/** Paint grid `bd` into the canvas `heat` (res×res); a malformed grid leaves `heat` as it was. */
export function paintGrid(heat, bd, { task, nClasses, yRange }) {
  const res = bd.resolution | 0;
  if (!res || !Array.isArray(bd.values) || bd.values.length !== res * res) return;
  heat.width = res;
  heat.height = res;
  const hctx = heat.getContext('2d');
  const img = hctx.createImageData(res, res);
  const k = nClasses;
  for (let i = 0; i < res * res; i++) {
    const v = bd.values[i];
    let c;
    if (v == null || !Number.isFinite(v)) c = [170, 170, 170];
    else if (task === 'multiclass') {
      const conf = bd.confidence?.[i] ?? 1;
      c = classTint(v, 0.15 + 0.45 * Math.max(0, (conf - 1 / k) / (1 - 1 / k)));
    } else if (task === 'regression') {
      c = diverging(toSigned(v, yRange), 0.6);
    } else c = diverging(2 * v - 1, 0.55);
    img.data.set([c[0], c[1], c[2], 255], i * 4);
  }
  hctx.putImageData(img, 0, 0);
}

/** Draw the painted grid over its extent, clipped to `plot`, plus the contour when binary. */
export function drawHeatmap(ctx, heat, bd, { plot, extent, toPx, task }) {
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
  if (task === 'binary') drawContour(ctx, bd, extent, toPx);
  ctx.restore();
}

/** The 0.5 contour of a binary boundary, by marching squares over the grid. */
function drawContour(ctx, bd, extent, toPx) {
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

/** Readout text for the grid cell under data point (x, y) ("" outside the grid). */
export function describeOutput(bd, extent, x, y, { task, className }) {
  const res = bd.resolution;
  const [x0, x1, y0, y1] = bd.extent || extent;
  const c = Math.floor(((x - x0) / (x1 - x0)) * res);
  const r = Math.floor(((y1 - y) / (y1 - y0)) * res);
  if (!(c >= 0 && c < res && r >= 0 && r < res)) return '';
  const v = bd.values[r * res + c];
  if (v == null) return '  output: —';
  if (task === 'binary') return `  P(${className(1)}) = ${v.toFixed(2)}`;
  if (task === 'multiclass') return `  → ${className(v)} (${((bd.confidence?.[r * res + c] ?? 1) * 100).toFixed(0)}%)`;
  return `  ŷ = ${v.toFixed(2)}`;
}
