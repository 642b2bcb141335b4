// The boundary view's frame: where the plot sits in the canvas, its border, ticks and axis
// names, and the "● train ○ validation" key under the y-axis ticks.
import { drawPoint } from './boundary-points.js';

const LEFT = 40;
const BOTTOM = 38;
const PAD = 8;

/**
 * The plot rectangle in a w×h canvas (square and centred when `square`); `k` scales the text and
 * the margins that hold it (presentation mode). The rectangle remembers `k` for drawAxes/drawKey.
 */
export function plotBox(w, h, square, k = 1) {
  const left = LEFT * k;
  const bottom = BOTTOM * k;
  let pw = w - left - PAD;
  let ph = h - bottom - PAD;
  if (square) pw = ph = Math.max(10, Math.min(pw, ph));
  return { x: left + Math.max(0, (w - left - PAD - pw) / 2), y: PAD, w: Math.max(10, pw), h: Math.max(10, ph), k };
}

const font = (weight, px, k) => `${weight} ${Math.round(px * k)}px system-ui, sans-serif`;

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

/** Border, ticks with labels, and the axis names `names` ([x, y]) around `plot`. */
export function drawAxes(ctx, { plot, extent, toPx }, fg, names) {
  ctx.save();
  ctx.strokeStyle = fg;
  ctx.globalAlpha = 0.7;
  ctx.lineWidth = 1.5;
  ctx.strokeRect(plot.x, plot.y, plot.w, plot.h);
  ctx.globalAlpha = 1;
  ctx.fillStyle = fg;
  const k = plot.k ?? 1;
  ctx.font = font(600, 13, k);
  const count = Math.max(2, Math.floor(plot.w / (55 * k)));
  ctx.textAlign = 'center';
  ctx.textBaseline = 'top';
  for (const v of niceTicks(extent[0], extent[1], count)) {
    const [px] = toPx(v, 0);
    ctx.fillRect(px - 0.75, plot.y + plot.h, 1.5, 5);
    ctx.fillText(fmtTick(v), px, plot.y + plot.h + 6);
  }
  ctx.textAlign = 'right';
  ctx.textBaseline = 'middle';
  for (const v of niceTicks(extent[2], extent[3], Math.max(2, Math.floor(plot.h / (45 * k))))) {
    const [, py] = toPx(0, v);
    ctx.fillRect(plot.x - 5, py - 0.75, 5, 1.5);
    ctx.fillText(fmtTick(v), plot.x - 7, py);
  }
  ctx.font = font(700, 14, k);
  ctx.textAlign = 'center';
  ctx.textBaseline = 'bottom';
  ctx.fillText(names[0], plot.x + plot.w / 2, plot.y + plot.h + 37 * k);
  ctx.save();
  ctx.translate(12 * k, plot.y + plot.h / 2);
  ctx.rotate(-Math.PI / 2);
  ctx.textBaseline = 'middle';
  ctx.fillText(names[1], 0, 0);
  ctx.restore();
  ctx.restore();
}

/** "● train ○ validation" in the bottom-left corner, under the y-axis ticks. */
export function drawKey(ctx, plot, fg) {
  const k = plot.k ?? 1;
  const y = plot.y + plot.h + 30 * k;
  const room = plot.x + plot.w / 2 - 24;
  const items = [['train', false], [room > 150 * k ? 'validation' : 'val', true]];
  ctx.save();
  ctx.font = font(600, 13, k);
  ctx.textBaseline = 'middle';
  let x = 6;
  for (const [text, hollow] of items) {
    drawPoint(ctx, 'circle', x + 5, y, 4.5, '#777', hollow);
    ctx.fillStyle = fg;
    ctx.globalAlpha = 0.85;
    ctx.fillText(text, x + 13, y);
    ctx.globalAlpha = 1;
    x += 13 + ctx.measureText(text).width + 10;
  }
  ctx.restore();
}
