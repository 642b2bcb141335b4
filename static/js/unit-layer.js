// The network diagram's per-unit layer: each hidden unit's map as a thumbnail in its node (one canvas
// under the SVG, painted only when a snapshot arrives or the layout changes), dead and saturated
// marks with their legend, and the large view on hover (click pins it, Esc or × closes it).
import { fitCanvas } from './canvas.js';
import { el, svgEl } from './dom.js';
import { oncePerFrame } from './redraw.js';
import { decodeUnits, spritePixels } from './unit-maps.js';
import { createUnitView } from './unit-view.js';

const MARK_GAP = 3; // px between a node's outline and its health frame

/** A small SVG sample of a mark, for the legend. */
function markSample(status) {
  const s = svgEl('svg', { class: 'bp-unit-sample', viewBox: '0 0 22 22', width: 22, height: 22, 'aria-hidden': 'true' });
  const g = svgEl('g', { class: 'bp-unit', 'data-status': status });
  g.append(svgEl('rect', { x: 5, y: 5, width: 12, height: 12, class: 'bp-net-node bp-unit-sample-node' }),
    svgEl('rect', { x: 2, y: 2, width: 18, height: 18, class: 'bp-unit-frame' }),
    svgEl('line', { x1: 3, y1: 19, x2: 19, y2: 3, class: 'bp-unit-slash' }));
  s.append(g);
  return s;
}

/**
 * Attach to the network view's `stage` (which holds `svg`; the legend goes below it). `getWeights()`
 * gives the snapshot's weights, `getInputLabels()` the input names, `getLayers()` the hidden layers'
 * config; `onFocus({column, unit} | null)` follows the unit whose large view is open.
 */
export function createUnitLayer({ stage, svg, getWeights, getInputLabels, getLayers, onFocus }) {
  const canvas = el('canvas', { class: 'bp-unit-thumbs', testid: 'unit-thumbs', 'aria-hidden': 'true' });
  stage.prepend(canvas); // under the SVG: node outlines, edges and marks stay on top
  const ctx = canvas.getContext('2d');
  const legend = el('div', { class: 'bp-unit-key', testid: 'unit-legend' });
  stage.after(legend);
  const view = createUnitView();

  let units = null; // decodeUnits(snapshot.units)
  let nodes = []; // [{column, unit, x, y, half, g}] for hidden units drawn in the diagram
  let hover = null; // {column, unit}
  let pinned = null;
  const sprites = []; // per hidden layer: an offscreen canvas holding all its maps side by side
  const images = []; // ... and the ImageData its pixels are written into, reused
  const schedule = oncePerFrame(draw);

  function showLegend() {
    const notPlanar = units && !units.planar;
    legend.replaceChildren(
      el('span', { title: 'Dead: the unit is inactive (ReLU output 0) on every training point, so it passes no gradient back and cannot learn' },
        markSample('dead'), 'dead: never active'),
      el('span', { title: 'Saturated: a sigmoid or tanh unit at its ends on at least 90% of the training points, where its gradient is almost 0' },
        markSample('saturated'), 'saturated: at its ends'),
      notPlanar
        ? el('span', { class: 'bp-unit-note', testid: 'unit-no-maps', text: 'no unit maps: more than 2 inputs' })
        : el('span', { class: 'bp-unit-note', text: 'maps: output, orange < 0 < blue' }),
    );
  }
  showLegend();

  function infoFor(column, unit) {
    const layer = units?.layers[column - 1];
    if (!layer || unit >= layer.shown) return null;
    return { index: column - 1, unit, layer, planar: units.planar, resolution: units.resolution,
      weights: getWeights()?.[column - 1] ?? null, inputLabels: getInputLabels(), config: getLayers()[column - 1] };
  }

  function refreshView() {
    const target = pinned ?? hover;
    const node = target && nodes.find((n) => n.column === target.column && n.unit === target.unit);
    const info = node && infoFor(node.column, node.unit);
    onFocus(info ? { column: node.column, unit: node.unit } : null);
    if (!info) {
      view.hide();
      return;
    }
    const box = stage.getBoundingClientRect();
    view.show(info, { x: box.left + node.x, y: box.top + node.y, half: node.half, stage: box }, pinned !== null);
  }

  view.onClose(() => {
    pinned = null;
    hover = null;
    refreshView();
  });
  document.addEventListener('keydown', (e) => {
    if (e.key === 'Escape' && pinned) {
      pinned = null;
      refreshView();
    }
  });

  /** Paint every thumbnail from the layers' sprites (one putImageData per layer). */
  function draw() {
    const started = performance.now();
    const w = stage.clientWidth;
    const h = stage.clientHeight;
    fitCanvas(canvas, ctx, w, h);
    let count = 0;
    if (units?.planar) {
      const res = units.resolution;
      units.layers.forEach((layer, i) => {
        sprites[i] ||= document.createElement('canvas');
        const sprite = sprites[i];
        if (sprite.width !== layer.shown * res || sprite.height !== res) {
          sprite.width = layer.shown * res;
          sprite.height = res;
        }
        const sctx = sprite.getContext('2d');
        let img = images[i];
        if (!img || img.width !== sprite.width || img.height !== res) img = images[i] = sctx.createImageData(sprite.width, res);
        spritePixels(layer.maps, layer.shown, res, img.data); // written in place: no copy
        sctx.putImageData(img, 0, 0);
      });
      ctx.imageSmoothingEnabled = true;
      ctx.imageSmoothingQuality = 'high';
      for (const n of nodes) {
        const layer = units.layers[n.column - 1];
        if (!layer || n.unit >= layer.shown) continue;
        ctx.drawImage(sprites[n.column - 1], n.unit * res, 0, res, res, n.x - n.half, n.y - n.half, 2 * n.half, 2 * n.half);
        count++;
      }
    }
    canvas.dataset.count = String(count);
    for (const n of nodes) {
      const layer = units?.layers[n.column - 1];
      const status = layer && n.unit < layer.shown ? layer.status[n.unit] : '';
      n.g.dataset.status = status;
      n.g.dataset.map = units?.planar && status ? '1' : '';
    }
    if (pinned || hover) refreshView();
    canvas.dataset.ms = (performance.now() - started).toFixed(2); // for bench/browser and tests
  }

  return {
    /** Whether hidden nodes should be drawn as map squares (planar data with maps). */
    mapsOn: () => Boolean(units?.planar),
    /** Take snapshot.units (of `epoch`) for hidden `layers`; true when maps came or went (lay out anew). */
    setUnits(raw, layers, epoch) {
      const before = Boolean(units?.planar);
      const next = decodeUnits(raw);
      // A snapshot of the network before a rebuild does not describe the diagram's layers.
      const fits = next && next.layers.length === layers.length && next.layers.every((l, i) => l.units === layers[i].units);
      const planarChanged = Boolean(units) !== Boolean(next) || units?.planar !== next?.planar;
      units = fits ? next : null;
      canvas.dataset.epoch = units ? String(epoch ?? '') : '';
      if (planarChanged) showLegend();
      schedule();
      return before !== Boolean(units?.planar);
    },
    /** The diagram was drawn anew: `hidden` = [{column, unit, x, y, half}] of drawn hidden units. */
    layout(hidden) {
      const group = svgEl('g', { class: 'bp-unit-marks' });
      nodes = hidden.map((n) => {
        const f = n.half + MARK_GAP;
        const g = svgEl('g', { class: 'bp-unit', testid: `unit-${n.column - 1}-${n.unit}`,
          'data-layer': n.column - 1, 'data-unit': n.unit, tabindex: 0, role: 'button',
          'aria-label': `Layer ${n.column} unit ${n.unit + 1}: show its map and weights` });
        g.append(
          svgEl('rect', { x: n.x - f, y: n.y - f, width: 2 * f, height: 2 * f, rx: 3, class: 'bp-unit-frame' }),
          svgEl('line', { x1: n.x - f, y1: n.y + f, x2: n.x + f, y2: n.y - f, class: 'bp-unit-slash' }),
          svgEl('rect', { x: n.x - f, y: n.y - f, width: 2 * f, height: 2 * f, class: 'bp-unit-hit' }),
        );
        g.addEventListener('pointerenter', () => {
          hover = { column: n.column, unit: n.unit };
          refreshView();
        });
        g.addEventListener('pointerleave', () => {
          hover = null;
          refreshView();
        });
        const togglePin = () => {
          const same = pinned && pinned.column === n.column && pinned.unit === n.unit;
          pinned = same ? null : { column: n.column, unit: n.unit };
          refreshView();
        };
        g.addEventListener('click', togglePin);
        // Keyboard: Tab onto a unit shows it, Enter pins it (Space stays play/pause).
        g.addEventListener('focus', () => {
          hover = { column: n.column, unit: n.unit };
          refreshView();
        });
        g.addEventListener('blur', () => {
          hover = null;
          refreshView();
        });
        g.addEventListener('keydown', (e) => {
          if (e.key !== 'Enter') return;
          e.preventDefault();
          togglePin();
        });
        group.append(g);
        return { ...n, g };
      });
      svg.append(group);
      if (pinned && !nodes.some((n) => n.column === pinned.column && n.unit === pinned.unit)) pinned = null;
      hover = null;
      schedule();
    },
  };
}
