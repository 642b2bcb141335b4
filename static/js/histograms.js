// Distributions over time, like TensorBoard's: one heatmap strip per layer, x = histogram frame
// (epoch), y = value, colour = share of the layer's values in that bin (normalised per column).
// Each frame has its own bins [lo, hi]; they are re-binned into one shared y range per strip.
import { el } from './dom.js';
import { fitCanvas } from './canvas.js';
import { oncePerFrame } from './redraw.js';
import { sequential, shortLayerName, textColor } from './colors.js';

const KINDS = [['weights', 'weights'], ['grads', 'gradients'], ['acts', 'activations']];
const YBINS = 48;
const MAX_FRAMES = 400;

/** Re-bin `counts` over [lo, hi] into `out` (YBINS bins); `pos(v)` maps a value to 0..YBINS. */
function rebin(h, pos, out) {
  const counts = h.counts || [];
  const n = counts.length;
  const clampBin = (x) => Math.min(YBINS - 1, Math.max(0, Math.floor(x)));
  if (!(h.hi > h.lo)) {
    out[clampBin(pos(h.lo))] += counts.reduce((acc, c) => acc + (c || 0), 0);
    return;
  }
  const bw = (h.hi - h.lo) / n;
  for (let i = 0; i < n; i++) {
    const c = counts[i] || 0;
    if (!c) continue;
    const a = pos(h.lo + i * bw);
    const b = pos(h.lo + (i + 1) * bw);
    if (b <= 0) out[0] += c; // outside the strip's range: pile up on its edge
    else if (a >= YBINS) out[YBINS - 1] += c;
    else {
      if (a < 0) out[0] += (c * -a) / (b - a);
      if (b > YBINS) out[YBINS - 1] += (c * (b - YBINS)) / (b - a);
      for (let j = Math.max(0, Math.floor(a)); j < Math.min(YBINS, Math.ceil(b)); j++) {
        const overlap = Math.min(b, j + 1) - Math.max(a, j);
        if (overlap > 0) out[j] += (c * overlap) / (b - a);
      }
    }
  }
}

/**
 * The y scale of a strip over [L, H]: linear, or symmetric-log (asinh) when the frames' spreads
 * differ by more than 4x, as gradients do: one wild frame would otherwise flatten all the others.
 */
function stripScale(L, H, halfWidths) {
  const sorted = halfWidths.filter((v) => v > 0).sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)];
  const widest = sorted[sorted.length - 1];
  if (median > 0 && widest / median > 4) {
    const sc = median / 2;
    const f = (v) => Math.asinh(v / sc);
    const f0 = f(L);
    const f1 = f(H);
    return { L, H, sym: true, u: (v) => (f(v) - f0) / (f1 - f0), v: (u) => sc * Math.sinh(f0 + u * (f1 - f0)) };
  }
  return { L, H, sym: false, u: (v) => (v - L) / (H - L), v: (u) => L + u * (H - L) };
}

/** The value range holding the central `1 - 2q` of a histogram's mass (outliers set lo/hi alone). */
function massRange(h, q = 0.01) {
  const counts = h.counts || [];
  const n = counts.length;
  const total = counts.reduce((a, b) => a + (b || 0), 0);
  if (!(h.hi > h.lo) || !total) return [h.lo, h.hi];
  const bw = (h.hi - h.lo) / n;
  let acc = 0;
  let lo = h.lo;
  let hi = h.hi;
  for (let i = 0; i < n; i++) {
    const next = acc + (counts[i] || 0);
    if (acc <= q * total && next > q * total) lo = h.lo + i * bw;
    if (acc < (1 - q) * total && next >= (1 - q) * total) hi = h.lo + (i + 1) * bw;
    acc = next;
  }
  return [lo, hi];
}

const fmt = (v) => {
  const a = Math.abs(v);
  if (a === 0) return '0';
  return a < 1e-2 || a >= 1e4 ? v.toExponential(1) : String(Number(v.toPrecision(2)));
};

/** Create the histogram view in `containerEl`; returns {reset(layerNames), add(frame)}. */
export function createHistogramView(containerEl) {
  const seg = el('div', { class: 'bp-seg', role: 'radiogroup', testid: 'hist-kind' });
  const note = el('span', {
    class: 'bp-hist-note',
    text: '~ symmetric-log scale',
    title: 'Strips marked ~ use a compressed (asinh) value axis: their spreads differ by more than 4x over time',
  });
  const bar = el('div', { class: 'bp-hist-bar' }, el('span', { class: 'bp-hist-title', text: 'Distributions' }), seg, note);
  const canvas = el('canvas', { class: 'bp-hist-canvas', testid: 'hist-canvas' });
  const readout = el('span', { class: 'bp-hist-readout' });
  const stage = el('div', { class: 'bp-hist-stage' }, canvas, readout);
  const root = el('div', { class: 'bp-hist' }, bar, stage);
  containerEl.append(root);
  const ctx = canvas.getContext('2d');
  const tile = el('canvas');

  let kind = 'weights';
  let names = [];
  let frames = []; // [{epoch, byName: {name: {weights, grads, acts}}}]
  let strips = []; // layout for hover: [{name, y, h, scale}]

  for (const [k, text] of KINDS) {
    const b = el('button', { type: 'button', class: 'bp-btn bp-seg-btn', text, testid: `hist-kind-${k}`, role: 'radio' });
    b.addEventListener('click', () => setKind(k));
    seg.append(b);
  }

  function setKind(k) {
    kind = k;
    for (const b of seg.children) b.setAttribute('aria-checked', String(b.dataset.testid === `hist-kind-${k}`));
    schedule();
  }

  const schedule = oncePerFrame(draw);

  function draw() {
    const w = stage.clientWidth;
    const h = stage.clientHeight;
    if (w < 40 || h < 30) return;
    fitCanvas(canvas, ctx, w, h);
    const fg = textColor(root);
    ctx.fillStyle = fg;
    strips = [];
    if (!frames.length || !names.length) {
      ctx.font = '600 14px system-ui, sans-serif';
      ctx.textAlign = 'center';
      ctx.textBaseline = 'middle';
      ctx.globalAlpha = 0.7;
      ctx.fillText('Histograms appear every few epochs while training', w / 2, h / 2);
      ctx.globalAlpha = 1;
      return;
    }
    // Strips in a grid, column-major, so each stays at least ~40 px tall when there are many layers.
    const axisH = 22;
    const gap = 4;
    const colGap = 16;
    const rowsFit = Math.max(1, Math.floor((h - axisH + gap) / (40 + gap)));
    const maxCols = Math.max(1, Math.floor((w + colGap) / (260 + colGap)));
    const nCols = Math.min(maxCols, Math.ceil(names.length / rowsFit));
    const rows = Math.ceil(names.length / nCols);
    const cellW = (w - colGap * (nCols - 1)) / nCols;
    const cellH = (h - axisH - gap * (rows - 1)) / rows;
    const labelW = 92;
    names.forEach((name, li) => {
      const c = Math.floor(li / rows);
      const cellX = c * (cellW + colGap);
      const cell = { labelX: cellX, x: cellX + labelW, w: cellW - labelW - 4, y: (li % rows) * (cellH + gap), h: cellH };
      drawStrip(name, shortLayerName(name, li, names.length), cell, fg);
    });
    for (let c = 0; c < nCols; c++) drawEpochAxis(c * (cellW + colGap) + labelW, cellW - labelW - 4, h - axisH, fg);
    note.hidden = !strips.some((st) => st.scale.sym);
  }

  function drawStrip(name, label, cell, fg) {
    const { y, h: sh } = cell;
    const hs = frames.map((f) => f.byName[name]?.[kind]).map((hh) => (hh && Number.isFinite(hh.lo) && Number.isFinite(hh.hi) ? hh : null));
    let L = Infinity;
    let H = -Infinity;
    // Strip range: the frames' central mass, ignoring the most extreme 5 % of frames once there
    // are enough of them (one wild early frame would otherwise squash all the others).
    const ranges = hs.filter(Boolean).map((hh) => massRange(hh));
    const los = ranges.map((r) => r[0]).sort((a, b) => a - b);
    const his = ranges.map((r) => r[1]).sort((a, b) => a - b);
    const cut = los.length >= 20 ? Math.floor(los.length * 0.05) : 0;
    if (los.length) {
      L = los[cut];
      H = his[his.length - 1 - cut];
    }
    if (!(H >= L)) {
      L = -1;
      H = 1;
    }
    if (H === L) {
      L -= 0.5 * (Math.abs(L) || 1);
      H += 0.5 * (Math.abs(H) || 1);
    }
    const scale = stripScale(L, H, ranges.map(([lo, hi]) => Math.max(Math.abs(lo), Math.abs(hi))));
    const pos = (v) => scale.u(v) * YBINS;
    strips.push({ name: label, ...cell, scale });
    const n = frames.length;
    tile.width = n;
    tile.height = YBINS;
    const tctx = tile.getContext('2d');
    const img = tctx.createImageData(n, YBINS);
    const col = new Float64Array(YBINS);
    const smooth = new Float64Array(YBINS);
    hs.forEach((hh, f) => {
      col.fill(0);
      if (hh) rebin(hh, pos, col);
      // A light [1 2 1] blur: small layers have a few dozen values, which would print as specks.
      let max = 0;
      for (let j = 0; j < YBINS; j++) {
        smooth[j] = (2 * col[j] + (col[j - 1] ?? col[j]) + (col[j + 1] ?? col[j])) / 4;
        max = Math.max(max, smooth[j]);
      }
      for (let j = 0; j < YBINS; j++) {
        // Soft log of the share of the column's peak: tails stay visible beside a tall peak.
        const t = max > 0 ? Math.log1p((30 * smooth[j]) / max) / Math.log1p(30) : 0;
        const c = hh ? sequential(t) : [225, 225, 225];
        img.data.set([c[0], c[1], c[2], 255], ((YBINS - 1 - j) * n + f) * 4);
      }
    });
    tctx.putImageData(img, 0, 0);
    ctx.imageSmoothingEnabled = n > 1;
    ctx.drawImage(tile, cell.x, y, cell.w, sh);
    ctx.strokeStyle = 'rgba(128,128,128,0.6)';
    ctx.lineWidth = 1;
    ctx.strokeRect(cell.x + 0.5, y + 0.5, cell.w - 1, sh - 1);
    if (L < 0 && H > 0) {
      const zy = y + sh * (1 - scale.u(0));
      ctx.save();
      ctx.setLineDash([4, 4]);
      ctx.strokeStyle = 'rgba(230,90,0,0.7)';
      ctx.beginPath();
      ctx.moveTo(cell.x, zy);
      ctx.lineTo(cell.x + cell.w, zy);
      ctx.stroke();
      ctx.restore();
    }
    ctx.fillStyle = fg;
    ctx.textBaseline = 'middle';
    ctx.textAlign = 'left';
    ctx.font = `700 ${sh >= 28 ? 14 : 13}px system-ui, sans-serif`;
    ctx.fillText(label.slice(0, 9), cell.labelX + 2, y + sh / 2, 44);
    ctx.font = '600 12px system-ui, sans-serif';
    ctx.textAlign = 'right';
    const mark = scale.sym ? '~' : ''; // "~": symmetric-log scale
    if (sh >= 28) {
      ctx.textBaseline = 'top';
      ctx.fillText(mark + fmt(H), cell.x - 4, y);
      ctx.textBaseline = 'bottom';
      ctx.fillText(fmt(L), cell.x - 4, y + sh);
    } else {
      ctx.fillText(`${mark}±${fmt(Math.max(Math.abs(L), Math.abs(H)))}`, cell.x - 4, y + sh / 2, 44);
    }
  }

  function drawEpochAxis(x0, width, y, fg) {
    const n = frames.length;
    ctx.fillStyle = fg;
    ctx.font = '600 13px system-ui, sans-serif';
    ctx.textBaseline = 'top';
    ctx.textAlign = 'center';
    const step = Math.max(1, Math.ceil(n / Math.max(2, Math.floor(width / 64))));
    for (let f = 0; f < n; f += step) {
      const x = x0 + ((f + 0.5) / n) * width;
      ctx.fillRect(x - 0.5, y + 1, 1, 4);
      const text = String(frames[f].epoch);
      // Keep the first label clear of the 'epoch' caption left of the axis.
      ctx.fillText(text, Math.max(x, x0 + ctx.measureText(text).width / 2 + 2), y + 6);
    }
    ctx.textAlign = 'right';
    ctx.fillText('epoch', x0 - 4, y + 6);
  }

  canvas.addEventListener('mousemove', (ev) => {
    const r = canvas.getBoundingClientRect();
    const px = ev.clientX - r.left;
    const py = ev.clientY - r.top;
    const s = strips.find((st) => py >= st.y && py < st.y + st.h && px >= st.x && px < st.x + st.w);
    if (!s || !frames.length) {
      readout.textContent = '';
      return;
    }
    const f = Math.min(frames.length - 1, Math.floor(((px - s.x) / s.w) * frames.length));
    const v = s.scale.v(1 - (py - s.y) / s.h);
    readout.textContent = `${s.name} · epoch ${frames[f].epoch} · value ${fmt(v)}`;
  });
  canvas.addEventListener('mouseleave', () => (readout.textContent = ''));
  new ResizeObserver(schedule).observe(stage);
  setKind(kind);

  return {
    /** Forget all frames and show strips for `layerNames`. */
    reset(layerNames = []) {
      names = layerNames.slice();
      frames = [];
      schedule();
    },
    /** Add one histograms frame {epoch, layers: [{name, weights, grads, acts}]}. */
    add(frame) {
      if (!frame?.layers) return;
      const byName = {};
      for (const l of frame.layers) {
        byName[l.name] = l;
        if (!names.includes(l.name)) names.push(l.name);
      }
      const last = frames[frames.length - 1];
      if (last && frame.epoch <= last.epoch) frames = frames.filter((f) => f.epoch < frame.epoch);
      frames.push({ epoch: frame.epoch, byName });
      if (frames.length > MAX_FRAMES) frames = frames.filter((f, i) => i % 2 === 0 || i === frames.length - 1);
      schedule();
    },
  };
}
