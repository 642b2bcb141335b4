// Distributions over time, like TensorBoard's: one heatmap strip per layer, x = histogram frame
// (epoch), y = value, colour = share of the layer's values in that bin (normalised per column).
// Each frame has its own bins [lo, hi]; they are re-binned into one shared y range per strip.
import { sequential, shortLayerName, textColor } from './colors.js';

const KINDS = [['weights', 'weights'], ['grads', 'gradients'], ['acts', 'activations']];
const YBINS = 48;
const MAX_FRAMES = 400;

/** Re-bin `counts` over [lo, hi] into `out` (YBINS bins over [L, H]), spreading by overlap. */
function rebin(h, L, H, out) {
  const counts = h.counts || [];
  const n = counts.length;
  const span = H - L || 1;
  if (!(h.hi > h.lo)) {
    const j = Math.min(YBINS - 1, Math.max(0, Math.floor(((h.lo - L) / span) * YBINS)));
    out[j] += counts.reduce((a, b) => a + (b || 0), 0);
    return;
  }
  const bw = (h.hi - h.lo) / n;
  for (let i = 0; i < n; i++) {
    const c = counts[i] || 0;
    if (!c) continue;
    const a = ((h.lo + i * bw - L) / span) * YBINS;
    const b = ((h.lo + (i + 1) * bw - L) / span) * YBINS;
    for (let j = Math.max(0, Math.floor(a)); j < Math.min(YBINS, Math.ceil(b)); j++) {
      const overlap = Math.min(b, j + 1) - Math.max(a, j);
      if (overlap > 0) out[j] += (c * overlap) / (b - a);
    }
  }
}

const fmt = (v) => {
  const a = Math.abs(v);
  if (a === 0) return '0';
  return a < 1e-2 || a >= 1e4 ? v.toExponential(1) : String(Number(v.toPrecision(2)));
};

/** Create the histogram view in `containerEl`; returns {reset(layerNames), add(frame)}. */
export function createHistogramView(containerEl) {
  const root = document.createElement('div');
  root.className = 'bp-hist';
  const bar = document.createElement('div');
  bar.className = 'bp-hist-bar';
  const title = document.createElement('span');
  title.className = 'bp-hist-title';
  title.textContent = 'Distributions';
  const seg = document.createElement('div');
  seg.className = 'bp-seg';
  seg.setAttribute('role', 'radiogroup');
  seg.dataset.testid = 'hist-kind';
  const readout = document.createElement('span');
  readout.className = 'bp-hist-readout';
  bar.append(title, seg);
  const stage = document.createElement('div');
  stage.className = 'bp-hist-stage';
  const canvas = document.createElement('canvas');
  canvas.className = 'bp-hist-canvas';
  canvas.dataset.testid = 'hist-canvas';
  stage.append(canvas, readout);
  root.append(bar, stage);
  containerEl.append(root);
  const ctx = canvas.getContext('2d');
  const tile = document.createElement('canvas');

  let kind = 'weights';
  let names = [];
  let frames = []; // [{epoch, byName: {name: {weights, grads, acts}}}]
  let strips = []; // layout for hover: [{name, y, h, L, H}]
  let geom = { x: 0, w: 1 };
  let raf = 0;

  for (const [k, text] of KINDS) {
    const b = document.createElement('button');
    b.type = 'button';
    b.className = 'bp-btn bp-seg-btn';
    b.textContent = text;
    b.dataset.testid = `hist-kind-${k}`;
    b.setAttribute('role', 'radio');
    b.addEventListener('click', () => setKind(k));
    seg.append(b);
  }

  function setKind(k) {
    kind = k;
    for (const b of seg.children) b.setAttribute('aria-checked', String(b.dataset.testid === `hist-kind-${k}`));
    schedule();
  }

  function schedule() {
    if (!raf) raf = requestAnimationFrame(draw);
  }

  function draw() {
    raf = 0;
    const w = stage.clientWidth;
    const h = stage.clientHeight;
    if (w < 40 || h < 30) return;
    const dpr = window.devicePixelRatio || 1;
    if (canvas.width !== Math.round(w * dpr) || canvas.height !== Math.round(h * dpr)) {
      canvas.width = Math.round(w * dpr);
      canvas.height = Math.round(h * dpr);
    }
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, w, h);
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
    const left = 100;
    const right = 6;
    const axisH = 22;
    const gap = 3;
    const stripH = (h - axisH - gap * (names.length - 1)) / names.length;
    geom = { x: left, w: w - left - right };
    names.forEach((name, li) => {
      const y = li * (stripH + gap);
      drawStrip(name, shortLayerName(name, li, names.length), y, stripH, fg);
    });
    drawEpochAxis(h - axisH, fg);
  }

  function drawStrip(name, label, y, sh, fg) {
    const hs = frames.map((f) => f.byName[name]?.[kind]).map((hh) => (hh && Number.isFinite(hh.lo) && Number.isFinite(hh.hi) ? hh : null));
    let L = Infinity;
    let H = -Infinity;
    for (const hh of hs) {
      if (!hh) continue;
      L = Math.min(L, hh.lo);
      H = Math.max(H, hh.hi);
    }
    if (!(H >= L)) {
      L = -1;
      H = 1;
    }
    if (H === L) {
      L -= 0.5 * (Math.abs(L) || 1);
      H += 0.5 * (Math.abs(H) || 1);
    }
    strips.push({ name: label, y, h: sh, L, H });
    const n = frames.length;
    tile.width = n;
    tile.height = YBINS;
    const tctx = tile.getContext('2d');
    const img = tctx.createImageData(n, YBINS);
    const col = new Float64Array(YBINS);
    hs.forEach((hh, f) => {
      col.fill(0);
      if (hh) rebin(hh, L, H, col);
      let max = 0;
      for (const v of col) max = Math.max(max, v);
      for (let j = 0; j < YBINS; j++) {
        const c = hh ? sequential(max > 0 ? Math.sqrt(col[j] / max) : 0) : [225, 225, 225];
        img.data.set([c[0], c[1], c[2], 255], ((YBINS - 1 - j) * n + f) * 4);
      }
    });
    tctx.putImageData(img, 0, 0);
    ctx.imageSmoothingEnabled = n > 1;
    ctx.drawImage(tile, geom.x, y, geom.w, sh);
    ctx.strokeStyle = 'rgba(128,128,128,0.6)';
    ctx.lineWidth = 1;
    ctx.strokeRect(geom.x + 0.5, y + 0.5, geom.w - 1, sh - 1);
    if (L < 0 && H > 0) {
      const zy = y + sh * (H / (H - L));
      ctx.save();
      ctx.setLineDash([4, 4]);
      ctx.strokeStyle = 'rgba(230,90,0,0.7)';
      ctx.beginPath();
      ctx.moveTo(geom.x, zy);
      ctx.lineTo(geom.x + geom.w, zy);
      ctx.stroke();
      ctx.restore();
    }
    ctx.fillStyle = fg;
    ctx.textBaseline = 'middle';
    ctx.textAlign = 'left';
    ctx.font = `700 ${sh >= 28 ? 14 : 13}px system-ui, sans-serif`;
    ctx.fillText(label.slice(0, 9), 2, y + sh / 2, 62);
    ctx.font = '600 12px system-ui, sans-serif';
    ctx.textAlign = 'right';
    if (sh >= 28) {
      ctx.textBaseline = 'top';
      ctx.fillText(fmt(H), geom.x - 4, y);
      ctx.textBaseline = 'bottom';
      ctx.fillText(fmt(L), geom.x - 4, y + sh);
    } else {
      ctx.fillText(`±${fmt(Math.max(Math.abs(L), Math.abs(H)))}`, geom.x - 4, y + sh / 2, 50);
    }
  }

  function drawEpochAxis(y, fg) {
    const n = frames.length;
    ctx.fillStyle = fg;
    ctx.font = '600 13px system-ui, sans-serif';
    ctx.textBaseline = 'top';
    const count = Math.max(2, Math.floor(geom.w / 70));
    const step = Math.max(1, Math.ceil(n / count));
    for (let f = 0; f < n; f += step) {
      const x = geom.x + ((f + 0.5) / n) * geom.w;
      ctx.textAlign = 'center';
      ctx.fillRect(x - 0.5, y + 1, 1, 4);
      ctx.fillText(String(frames[f].epoch), x, y + 6);
    }
    ctx.textAlign = 'right';
    ctx.fillText('epoch', geom.x - 4, y + 6);
  }

  canvas.addEventListener('mousemove', (ev) => {
    const r = canvas.getBoundingClientRect();
    const px = ev.clientX - r.left;
    const py = ev.clientY - r.top;
    const s = strips.find((st) => py >= st.y && py < st.y + st.h);
    if (!s || px < geom.x || !frames.length) {
      readout.textContent = '';
      return;
    }
    const f = Math.min(frames.length - 1, Math.floor(((px - geom.x) / geom.w) * frames.length));
    const v = s.H - ((py - s.y) / s.h) * (s.H - s.L);
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
