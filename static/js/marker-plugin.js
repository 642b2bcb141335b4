// Change markers on a uPlot chart: a dashed vertical line per marker group with a label at the
// top (≥ 14 px, the chart font in presentation mode), and the full change in a tooltip when the
// cursor is near a line. Markers closer than MIN_GAP_EM label widths merge (markers.js); labels
// alternate between two rows and are cut to the room they have, flipped left of their line at
// the right edge. The drawn groups are exposed on the chart root as data-markers (count),
// data-marker-labels (short labels, '|'-separated), data-marker-x (x in the plot, CSS px) and
// data-marker-font (label size, CSS px).
import uPlot from '/static/vendor/uPlot.esm.js';
import { el } from './dom.js';
import { mergeMarkers, truncate } from './markers.js';

const MIN_GAP_EM = 2.2; // groups closer than this many label-font sizes merge
const HOVER_PX = 8; // the cursor this close to a line shows its tooltip
const ROWS = 2;
const COLORS = { diverged: '#d62728', stopped: '#1b9e77', reset: '#666666', restart: '#666666' };
const DEFAULT_COLOR = '#8e44ad';

const colorOf = (group) => COLORS[group.markers[group.markers.length - 1].kind] ?? DEFAULT_COLOR;

/** Write data-* values that changed only (this runs on every redraw). */
function expose(dataset, values) {
  for (const [k, v] of Object.entries(values)) if (dataset[k] !== v) dataset[k] = v;
}

/** Longest prefix of `text` (with an ellipsis) that `ctx` draws within `room` px, or ''. */
function fitText(ctx, text, room) {
  if (ctx.measureText(text).width <= room) return text;
  for (let n = text.length - 1; n >= 4; n--) {
    const cut = truncate(text, n);
    if (ctx.measureText(cut).width <= room) return cut;
  }
  return '';
}

/**
 * Hooks drawing `markers()` on a chart: `fontPx` the chart's font size, `fg` and `bg` the
 * theme's ink and panel colours. Merge into uPlot's `hooks` option.
 */
export function markerHooks({ markers, fontPx, fg, bg }) {
  const labelPx = Math.max(14, fontPx);
  let groups = []; // drawn groups, x in CSS px relative to the plot
  let tip = null;
  let inside = false; // the mouse is over this chart (synced charts move their cursor too)

  function watch(u) {
    u.over.addEventListener('mouseenter', () => (inside = true));
    u.over.addEventListener('mouseleave', () => {
      inside = false;
      if (tip) tip.hidden = true;
    });
  }

  function draw(u) {
    const list = markers();
    const pr = uPlot.pxRatio;
    const { ctx, bbox } = u;
    const right = bbox.left + bbox.width;
    const found = mergeMarkers(list, (e) => u.valToPos(e, 'x', true), MIN_GAP_EM * labelPx * pr)
      .filter((g) => g.x >= bbox.left - 1 && g.x <= right + 1);
    ctx.save();
    ctx.beginPath();
    ctx.rect(bbox.left, bbox.top, bbox.width, bbox.height);
    ctx.clip();
    ctx.font = `700 ${labelPx * pr}px system-ui, sans-serif`;
    ctx.textBaseline = 'top';
    ctx.textAlign = 'left'; // uPlot leaves the axes' alignment on the context
    const pad = 4 * pr;
    const rowH = labelPx * 1.35 * pr;
    found.forEach((g, i) => {
      const color = colorOf(g);
      ctx.strokeStyle = color;
      ctx.lineWidth = 2 * pr;
      ctx.setLineDash([6 * pr, 4 * pr]);
      ctx.beginPath();
      ctx.moveTo(g.x, bbox.top);
      ctx.lineTo(g.x, bbox.top + bbox.height);
      ctx.stroke();
      // Room to the right up to the next label in the same row, and to the left back to the previous.
      const next = found[i + ROWS]?.x ?? right;
      const prev = found[i - ROWS]?.x ?? bbox.left;
      const roomRight = next - g.x - 2 * pad;
      const roomLeft = g.x - prev - 2 * pad;
      const full = ctx.measureText(g.short).width;
      const leftward = full > roomRight && roomLeft > roomRight;
      const text = fitText(ctx, g.short, leftward ? roomLeft : roomRight);
      if (!text) return;
      const w = ctx.measureText(text).width;
      const x = leftward ? g.x - pad - w : g.x + pad;
      const y = bbox.top + pad + (i % ROWS) * rowH;
      ctx.setLineDash([]);
      ctx.globalAlpha = 0.88;
      ctx.fillStyle = bg;
      ctx.fillRect(x - pad / 2, y - pad / 2, w + pad, labelPx * pr + pad);
      ctx.globalAlpha = 1;
      ctx.fillStyle = color === DEFAULT_COLOR ? fg : color;
      ctx.fillText(text, x, y);
    });
    ctx.restore();
    groups = found.map((g) => ({ ...g, cx: (g.x - bbox.left) / pr }));
    expose(u.root.dataset, {
      markers: String(found.length),
      markerLabels: found.map((g) => g.short).join('|'),
      markerX: groups.map((g) => Math.round(g.cx)).join(','),
      markerFont: String(labelPx),
    });
  }

  function hover(u) {
    const left = u.cursor.left;
    const near = !inside || left == null || left < 0 ? null : groups.find((g) => Math.abs(g.cx - left) <= HOVER_PX);
    if (!near) {
      if (tip) tip.hidden = true;
      return;
    }
    if (!tip) {
      tip = el('div', { class: 'bp-marker-tip', testid: 'marker-tip', role: 'tooltip' });
      u.over.append(tip);
    }
    tip.textContent = near.full;
    tip.hidden = false;
    const width = u.over.clientWidth;
    const flip = near.cx > width / 2;
    tip.style.left = flip ? '' : `${near.cx + 10}px`;
    tip.style.right = flip ? `${width - near.cx + 10}px` : '';
  }

  return { ready: [watch], draw: [draw], setCursor: [hover] };
}

/** The lowest marker epoch below `min` (so the x scale shows a marker before the first point). */
export function lowestMarker(markers, min) {
  let lo = min;
  for (const m of markers) if (m.epoch < lo) lo = m.epoch;
  return lo;
}
