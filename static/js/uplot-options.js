// uPlot plumbing for the chart panel: axis sizing, log-axis ticks and labels, number formats,
// the legend's latest values, the reference line, and the options object for one chart.
import uPlot from '/static/vendor/uPlot.esm.js';
import { lowestMarker, markerHooks } from './marker-plugin.js';

const SUP = { '-': '⁻', 0: '⁰', 1: '¹', 2: '²', 3: '³', 4: '⁴', 5: '⁵', 6: '⁶', 7: '⁷', 8: '⁸', 9: '⁹' };
const DEFAULT_FONT_PX = 14;

/** 10^k written with superscripts ("10⁻³"); 1 and 10 stay plain. */
function pow10Label(k) {
  if (k === 0) return '1';
  if (k === 1) return '10';
  return '10' + String(k).split('').map((c) => SUP[c]).join('');
}

/** Short human number for legends and hover values. */
export function fmtValue(v) {
  if (v == null || !Number.isFinite(v)) return '—';
  const a = Math.abs(v);
  if (a !== 0 && (a < 1e-3 || a >= 1e5)) return v.toExponential(1);
  return String(Number(v.toPrecision(3)));
}

/** Latest non-null value of series `si` (the legend shows it when the cursor is off the plot). */
function lastOf(u, si) {
  const a = u.data[si] || [];
  for (let j = a.length - 1; j >= Math.max(0, a.length - 50); j--) if (a[j] != null) return a[j];
  return null;
}

/** A y axis size that fits its longest tick label. */
function axisSize(self, values, axisIdx, cycleNum) {
  const axis = self.axes[axisIdx];
  if (cycleNum > 1) return axis._size;
  let size = axis.ticks.size + axis.gap;
  const longest = (values ?? []).reduce((acc, v) => (String(v).length > acc.length ? String(v) : acc), '');
  if (longest) {
    self.ctx.font = axis.font[0];
    size += self.ctx.measureText(longest).width / uPlot.pxRatio;
  }
  return Math.ceil(size) + 2;
}

/** Log-axis ticks at whole decades, thinned to fit the plot height; 2 and 5 added in a narrow range. */
function logSplits(self, axisIdx, min, max) {
  const lo = Math.ceil(Math.log10(min) - 1e-9);
  const hi = Math.floor(Math.log10(max) + 1e-9);
  const room = Math.max(2, Math.floor(self.bbox.height / uPlot.pxRatio / 26));
  const step = Math.max(1, Math.ceil((hi - lo + 1) / room));
  const out = [];
  for (let k = lo; k <= hi; k += step) out.push(10 ** k);
  if (hi - lo < 2) {
    for (let k = lo - 1; k <= hi; k++) {
      for (const m of [2, 5]) if (m * 10 ** k >= min && m * 10 ** k <= max) out.push(m * 10 ** k);
    }
    out.sort((a, b) => a - b);
  }
  return out;
}

/** Tick label on a log axis: decades as 10ⁿ, other ticks as plain numbers. */
function logLabel(v) {
  if (v == null) return '';
  const k = Math.round(Math.log10(v));
  return Math.abs(v / 10 ** k - 1) < 1e-6 ? pow10Label(k) : fmtValue(v);
}

/** Dashed horizontal line at y = ref, labelled as the typical value. */
function drawRef(u, ref, fg, fontPx) {
  const { ctx, bbox } = u;
  if (ref < u.scales.y.min || ref > u.scales.y.max) return;
  const y = u.valToPos(ref, 'y', true);
  ctx.save();
  ctx.strokeStyle = fg;
  ctx.globalAlpha = 0.55;
  ctx.lineWidth = 1.5 * uPlot.pxRatio;
  ctx.setLineDash([6 * uPlot.pxRatio, 4 * uPlot.pxRatio]);
  ctx.beginPath();
  ctx.moveTo(bbox.left, y);
  ctx.lineTo(bbox.left + bbox.width, y);
  ctx.stroke();
  ctx.globalAlpha = 0.8;
  ctx.fillStyle = fg;
  ctx.font = `600 ${fontPx * uPlot.pxRatio}px system-ui, sans-serif`;
  ctx.textAlign = 'right';
  ctx.fillText('typical ≈ 10⁻³', bbox.left + bbox.width - 4 * uPlot.pxRatio, y - 4 * uPlot.pxRatio);
  ctx.restore();
}

/** A series: drawn boldly, or `faint` (the raw curve behind a smoothed one, kept out of the legend). */
function seriesOf(d) {
  const value = (u, v, si, idx) => fmtValue(idx == null ? lastOf(u, si) : v);
  if (d.faint) {
    return { label: `${d.label} raw`, stroke: `${d.color}55`, width: 1.5, dash: d.dash, spanGaps: false, points: { show: false }, value };
  }
  return { label: d.label, stroke: d.color, width: 3, dash: d.dash, spanGaps: false, points: { size: 7, width: 2 }, value };
}

/** Hide the legend rows of the faint series. */
function hideFaintLegend(u, legendHost, defs) {
  const rows = legendHost.querySelectorAll('.u-series');
  defs.forEach((d, i) => {
    if (d.faint && rows[i + 1]) rows[i + 1].style.display = 'none';
  });
}

/**
 * uPlot options for one chart in `host` with its legend in `legendHost`: series `defs`, a log or
 * linear y axis with `range`, an optional dashed reference line at `ref`, `onLegend(u)` on hover,
 * axis text of `fontPx` pixels; dragging across the plot calls `onZoom(x0, x1)`, a double-click
 * `onResetZoom()`. `markers()` gives the change markers to draw (marker-plugin.js) on `bg`.
 */
export function chartOptions({ host, legendHost, defs, log, range, ref, fg, bg = '#ffffff', onLegend, fontPx = DEFAULT_FONT_PX, onZoom, onResetZoom, markers = () => [] }) {
  const FONT = `600 ${fontPx}px system-ui, sans-serif`;
  const LABEL_FONT = `700 ${fontPx}px system-ui, sans-serif`;
  const grid = { stroke: 'rgba(128,128,128,0.28)', width: 1 };
  const yAxis = {
    stroke: fg, font: FONT, labelFont: LABEL_FONT, grid, ticks: { stroke: 'rgba(128,128,128,0.5)', size: 5 },
    size: axisSize, gap: 4,
  };
  if (log) {
    yAxis.splits = logSplits;
    yAxis.filter = (u, splits) => splits;
    yAxis.values = (u, splits) => splits.map(logLabel);
  } else {
    yAxis.values = (u, splits) => splits.map((v) => fmtValue(v));
  }
  const hooks = {
    setLegend: [onLegend],
    ready: [(u) => hideFaintLegend(u, legendHost, defs)],
    setSelect: [(u) => {
      const { left, width } = u.select;
      if (width < 4) return;
      u.setSelect({ left: 0, width: 0, top: 0, height: 0 }, false);
      onZoom?.(u.posToVal(left, 'x'), u.posToVal(left + width, 'x'));
    }],
  };
  const marks = markerHooks({ markers, fontPx, fg, bg });
  hooks.draw = [...(ref ? [(u) => drawRef(u, ref, fg, fontPx)] : []), ...marks.draw];
  hooks.setCursor = marks.setCursor;
  hooks.ready.push(...marks.ready);
  return {
    width: Math.max(50, host.clientWidth),
    height: Math.max(50, host.clientHeight),
    pxAlign: false,
    scales: {
      x: {
        time: false,
        // Reaches back to a marker before the first point (a reset at epoch 0).
        range: (u, min, max) => (min == null ? [0, 10] : [lowestMarker(markers(), min), max > min ? max : min + 1]),
      },
      y: log ? { distr: 3, log: 10, range } : { range },
    },
    axes: [
      {
        stroke: fg, font: FONT, labelFont: LABEL_FONT, grid, ticks: { stroke: 'rgba(128,128,128,0.5)', size: 5 },
        size: Math.round(fontPx * 1.9), gap: 3, space: fontPx * 4.5,
        values: (u, splits) => splits.map((v) => (Number.isInteger(v) ? String(v) : '')),
      },
      yAxis,
    ],
    series: [
      { label: 'epoch', value: (u, v, si, idx) => (idx == null ? lastOf(u, 0) : v) ?? '—' },
      ...defs.map(seriesOf),
    ],
    cursor: {
      sync: { key: 'bp-epoch' },
      drag: { x: true, y: false, setScale: false },
      points: { size: 10 },
      bind: { dblclick: () => () => onResetZoom?.() },
    },
    legend: { live: true, markers: { width: 3 }, mount: (u, el) => legendHost.append(el) },
    hooks,
  };
}
