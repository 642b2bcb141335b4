// SVG network diagram with architecture editing: input nodes (labelled), hidden layers, output.
// Edges are coloured by the sign of their weight and sized by its magnitude; setWeights only
// updates attributes of existing elements (once per animation frame), it never rebuilds the SVG.
// How many layers and units it allows, and which activations, come from the schema (setLimits).
import { POS, NEG, diverging, rgbCss } from './colors.js';
import { el, svgEl } from './dom.js';
import { label } from './format.js';
import { oncePerFrame } from './redraw.js';
import { createUnitLayer } from './unit-layer.js';

const W_REF = 4; // |w| drawn at full width/opacity (edges scale with sqrt(|w| / W_REF))
// Abbreviations for narrow columns; a name without one shows its full label.
const ACT_SHORT = { relu: 'ReLU', leaky_relu: 'leaky', tanh: 'tanh', sigmoid: 'sigm', linear: 'lin',
  elu: 'ELU', gelu: 'GELU', softplus: 'soft+', swish: 'swish' };
const ACT_TINY = { relu: 'ReLU', leaky_relu: 'LReLU', tanh: 'tanh', sigmoid: 'σ', linear: 'lin',
  elu: 'ELU', gelu: 'GELU', softplus: 'S+', swish: 'SiLU' };

let measureCtx = null;
/** Width in px of a label in the node-label font. */
function textWidth(s) {
  measureCtx ||= el('canvas').getContext('2d');
  measureCtx.font = '600 14px system-ui, sans-serif';
  return measureCtx.measureText(s).width;
}

/** Long input names are cut to 18 characters (the full name is in the tooltip). */
const shorten = (s) => (String(s).length > 18 ? String(s).slice(0, 17) + '…' : String(s));

const button = (text, testid, title) =>
  el('button', { type: 'button', class: 'bp-btn', text, title, 'aria-label': title, testid });

/** Create the network view in `containerEl`; `onLayersChange(layers)` fires on every edit. */
export function createNetworkView(containerEl, { onLayersChange = () => {} } = {}) {
  const removeLayer = button('− layer', 'remove-layer', 'Remove the last hidden layer');
  const addLayer = button('+ layer', 'add-layer', 'Add a hidden layer');
  const count = el('span', { class: 'bp-net-count' });
  // Key: edge colour = sign of the weight.
  const swatch = (color) => {
    const sw = el('span', { class: 'bp-net-swatch' });
    sw.style.background = color; // CSSOM, not a style attribute: the CSP forbids inline styles
    return sw;
  };
  const key = el('span', { class: 'bp-net-key', 'aria-hidden': 'true' },
    el('span', {}, swatch(POS), 'w > 0'), el('span', {}, swatch(NEG), 'w < 0'));
  const bar = el('div', { class: 'bp-net-bar' }, removeLayer, addLayer, count, key);
  const svg = svgEl('svg', { class: 'bp-net-svg', role: 'img', 'aria-label': 'Network diagram' });
  const cols = el('div', { class: 'bp-net-cols' });
  const stage = el('div', { class: 'bp-net-stage' }, svg, cols);
  containerEl.append(el('div', { class: 'bp-net' }, bar, stage));
  const unitLayer = createUnitLayer({ stage, svg, getWeights: () => weights, getInputLabels: () => inputLabels,
    getLayers: () => layers,
    onFocus: (unit) => {
      focused = unit && { ...unit, edges: 'in' };
      applyHighlight();
    } });

  let limits = null; // {maxLayers, minUnits, maxUnits, activations} from the schema
  let layers = [];
  let inputLabels = ['x₁', 'x₂'];
  let nOutputs = 1;
  let structureKey = '';
  let edges = []; // edges[g][a][b] -> <line> between drawn node a of column g and b of column g+1
  let nodes = []; // nodes[c] -> [{el, unit}]
  let drawn = []; // drawn[c] -> unit indices drawn in column c
  let weights = null;
  let highlighted = null; // {column, unit, edges} from highlight()
  let focused = null; // the unit whose large view is open, with its incoming edges
  const scheduleWeights = oncePerFrame(applyWeights);

  const emit = () => onLayersChange(layers.map((l) => ({ ...l })));
  const edit = (fn) => {
    fn();
    render();
    emit();
  };

  removeLayer.addEventListener('click', () => edit(() => layers.pop()));
  addLayer.addEventListener('click', () => edit(() => {
    const last = layers[layers.length - 1];
    layers.push(last ? { ...last } : { ...limits.newLayer });
  }));

  /** Units per column: inputs, hidden layers, outputs. */
  const sizes = () => [Math.max(1, inputLabels.length), ...layers.map((l) => l.units), Math.max(1, nOutputs)];

  function render() {
    const w = stage.clientWidth;
    const h = stage.clientHeight;
    removeLayer.disabled = !limits || layers.length <= 0;
    addLayer.disabled = !limits || layers.length >= limits.maxLayers;
    count.textContent = `${layers.length} hidden layer${layers.length === 1 ? '' : 's'}`;
    if (w < 20 || h < 20) return;
    svg.setAttribute('viewBox', `0 0 ${w} ${h}`);
    svg.replaceChildren();
    cols.replaceChildren();
    const sz = sizes();
    const nCols = sz.length;
    const ctrlH = layers.length ? 62 : 0; // room for the per-layer controls at the top
    const badgeLines = Math.max(0, ...layers.map((l) => (l.batch_norm ? 1 : 0) + (l.dropout > 0 ? 1 : 0)));
    const left = Math.min(w * 0.3, 16 + Math.max(...inputLabels.map((s) => textWidth(shorten(s)))));
    const right = 34;
    const dx = (w - left - right) / nCols;
    const colX = (c) => left + dx * (c + 0.5);
    const top = ctrlH + 8;
    const maxDrawnFor = (b) => Math.max(2, Math.floor((b - top) / 22));
    let bottom = h - 22 - badgeLines * 14;
    if (sz.some((n) => n > maxDrawnFor(bottom))) bottom -= 16;
    const maxDrawn = maxDrawnFor(bottom);
    drawn = sz.map((n) => Array.from({ length: Math.min(n, maxDrawn) }, (_, i) => i));
    const spacing = Math.min(44, (bottom - top) / Math.max(...drawn.map((d) => d.length), 1));
    const r = Math.max(4, Math.min(13, spacing * 0.36, dx * 0.16));
    // Hidden units with maps are squares big enough for a thumbnail.
    const maps = unitLayer.mapsOn();
    const hr = maps ? Math.max(r, Math.min(22, spacing * 0.42, dx * 0.24)) : r;
    const half = (c) => (c > 0 && c < nCols - 1 ? hr : r);
    const nodeY = (c, i) => (top + bottom) / 2 + (i - (drawn[c].length - 1) / 2) * spacing;
    const capY = sz.some((n) => n > maxDrawn) ? bottom + 26 : bottom + 10;

    const gEdges = svgEl('g', { class: 'bp-net-edges' });
    const gNodes = svgEl('g', { class: 'bp-net-nodes' });
    const gText = svgEl('g', { class: 'bp-net-text' });
    svg.append(gEdges, gNodes, gText);

    edges = [];
    for (let c = 0; c + 1 < nCols; c++) {
      const g = [];
      drawn[c].forEach((_, a) => {
        const row = [];
        drawn[c + 1].forEach((__, b) => {
          const line = svgEl('line', {
            x1: colX(c) + half(c), y1: nodeY(c, a), x2: colX(c + 1) - half(c + 1), y2: nodeY(c + 1, b),
            stroke: '#999', 'stroke-width': 1, 'stroke-opacity': 0.5,
          });
          gEdges.append(line);
          row.push(line);
        });
        g.push(row);
      });
      edges.push(g);
    }

    nodes = drawn.map((d, c) => d.map((unit, i) => {
      const isIn = c === 0;
      const isMap = maps && c > 0 && c < nCols - 1;
      const s = half(c);
      const node = svgEl(isIn || isMap ? 'rect' : 'circle', isIn || isMap
        ? { x: colX(c) - s, y: nodeY(c, i) - s, width: 2 * s, height: 2 * s, rx: isMap ? 2 : 3,
          class: isIn ? 'bp-net-node bp-net-input' : 'bp-net-node bp-net-map', fill: '#fff' }
        : { cx: colX(c), cy: nodeY(c, i), r, class: 'bp-net-node', fill: '#fff' });
      gNodes.append(node);
      return { el: node, unit };
    }));

    const text = (x, y, s, cls, anchor = 'middle') => {
      const t = svgEl('text', { x, y, class: cls, 'text-anchor': anchor, 'dominant-baseline': 'middle', text: s });
      gText.append(t);
      return t;
    };
    drawn[0].forEach((unit, i) => {
      const full = String(inputLabels[unit] ?? `x${unit + 1}`);
      const t = text(colX(0) - r - 6, nodeY(0, i), shorten(full), 'bp-net-label', 'end');
      t.append(svgEl('title', { text: full }));
    });
    sz.forEach((n, c) => {
      const hidden = n - drawn[c].length;
      if (hidden > 0) text(colX(c), bottom + 8, `+${hidden}`, 'bp-net-more');
      const inner = c > 0 && c < nCols - 1;
      const edge = c === 0 ? (dx < 56 ? 'in' : 'input') : dx < 56 ? 'out' : 'output';
      text(colX(c), capY, inner ? String(n) : edge, inner ? 'bp-net-cap bp-net-units' : 'bp-net-cap');
      const l = inner ? layers[c - 1] : null;
      const badges = l ? [l.batch_norm ? 'BN' : '', l.dropout > 0 ? `drop ${String(l.dropout).replace(/^0\./, '.')}` : ''] : [];
      badges.filter(Boolean).forEach((b, k) => text(colX(c), capY + 15 + 14 * k, b, 'bp-net-badge'));
    });

    if (limits) layers.forEach((l, i) => cols.append(layerControls(l, i, colX(i + 1), Math.min(dx - 4, 96))));
    unitLayer.layout(drawn.slice(1, -1).flatMap((d, k) =>
      d.map((unit, i) => ({ column: k + 1, unit, x: colX(k + 1), y: nodeY(k + 1, i), half: hr }))));
    applyWeights();
    applyHighlight();
  }

  /** Mark the highlighted column's unit(s) and the edges into ('in') or out of ('out') it. */
  function applyHighlight() {
    const hl = focused ?? highlighted; // a unit under the pointer wins over the inspector's step
    svg.classList.toggle('bp-net-focus', hl !== null);
    svg.dataset.highlight = highlighted ? `${highlighted.column}:${highlighted.unit ?? '*'}:${highlighted.edges ?? ''}` : '';
    for (const col of nodes) for (const n of col) n.el.classList.remove('bp-hl');
    for (const g of edges) for (const row of g) for (const line of row) line.classList.remove('bp-hl');
    if (!hl) return;
    const { column: c, unit = null, edges: dir = null } = hl;
    for (const n of nodes[c] ?? []) if (unit === null || n.unit === unit) n.el.classList.add('bp-hl');
    const g = dir === 'in' ? c - 1 : dir === 'out' ? c : -1;
    (edges[g] ?? []).forEach((row, a) => row.forEach((line, b) => {
      const end = dir === 'in' ? drawn[g + 1][b] : drawn[g][a];
      if (unit === null || end === unit) line.classList.add('bp-hl');
    }));
  }

  function layerControls(l, i, x, width) {
    const { minUnits, maxUnits, activations } = limits;
    const rm = button('−', `remove-neuron-${i}`, `Remove a neuron from hidden layer ${i + 1}`);
    const add = button('+', `add-neuron-${i}`, `Add a neuron to hidden layer ${i + 1}`);
    rm.disabled = l.units <= minUnits;
    add.disabled = l.units >= maxUnits;
    rm.addEventListener('click', () => edit(() => (layers[i] = { ...layers[i], units: Math.max(minUnits, layers[i].units - 1) })));
    add.addEventListener('click', () => edit(() => (layers[i] = { ...layers[i], units: Math.min(maxUnits, layers[i].units + 1) })));
    const names = width < 56 ? ACT_TINY : width < 84 ? ACT_SHORT : {};
    const acts = activations.includes(l.activation) ? activations : [...activations, l.activation];
    const sel = el('select', { class: width < 56 ? 'bp-select bp-tiny' : 'bp-select', testid: `activation-${i}`,
      title: `Activation of hidden layer ${i + 1}: ${label(l.activation)}`,
      'aria-label': `Activation of hidden layer ${i + 1}` },
    ...acts.map((a) => el('option', { value: a, text: names[a] ?? label(a) })));
    sel.value = l.activation;
    sel.addEventListener('change', () => edit(() => (layers[i] = { ...layers[i], activation: sel.value })));
    // Narrow columns (many layers) stack − over + so neither button is squeezed to nothing.
    const box = el('div', { class: width < 44 ? 'bp-net-layer bp-narrow' : 'bp-net-layer' },
      el('div', { class: 'bp-net-pm' }, rm, add), sel);
    box.style.left = `${x - width / 2}px`;
    box.style.width = `${width}px`;
    return box;
  }

  /** Colour edges and nodes from the latest weights (skips layers whose shape no longer matches). */
  function applyWeights() {
    if (!weights) return;
    const sz = sizes();
    weights.forEach((layer, g) => {
      const W = layer?.W;
      if (!edges[g] || !Array.isArray(W) || W.length !== sz[g] || (W[0]?.length ?? 0) !== sz[g + 1]) return;
      drawn[g].forEach((ua, a) => {
        drawn[g + 1].forEach((ub, b) => {
          const v = W[ua][ub];
          const line = edges[g][a][b];
          const t = Number.isFinite(v) ? Math.min(1, Math.sqrt(Math.abs(v) / W_REF)) : 0;
          line.setAttribute('stroke', Number.isFinite(v) ? (v >= 0 ? POS : NEG) : '#999');
          line.setAttribute('stroke-width', (0.5 + 5 * t * t + 1.5 * t).toFixed(2));
          line.setAttribute('stroke-opacity', (0.2 + 0.8 * t).toFixed(2));
        });
      });
      const bias = layer.b;
      if (Array.isArray(bias) && bias.length === sz[g + 1]) {
        for (const { el, unit } of nodes[g + 1]) el.setAttribute('fill', rgbCss(diverging(bias[unit], 0.9)));
      }
    });
  }

  new ResizeObserver(() => render()).observe(stage);

  return {
    /** Take what the schema allows: {maxLayers, minUnits, maxUnits, activations} (networkLimits). */
    setLimits(next) {
      limits = next;
      structureKey = '';
      render();
    },
    /** Show a model config ({layers: [...]}) with its input labels and output count. */
    setModel(modelConfig, { inputLabels: labels, nOutputs: outs } = {}) {
      layers = (modelConfig?.layers || []).map((l) => ({ ...l }));
      if (labels) inputLabels = labels.slice();
      if (outs) nOutputs = outs;
      const k = JSON.stringify([sizes(), layers, inputLabels]);
      if (k !== structureKey) {
        structureKey = k;
        render();
      }
    },
    /**
     * Light up column `column` (0 = inputs, l = dense layer l's outputs) — one `unit` or all (null) —
     * with the edges into it (`edges: 'in'`) or out of it ('out'); null clears the highlight.
     */
    highlight(spec) {
      highlighted = spec ? { unit: null, edges: null, ...spec } : null;
      applyHighlight();
    },
    /** Take snapshot.units (per-unit maps and health): thumbnails, marks and the large view. */
    setUnits(units, epoch) {
      if (unitLayer.setUnits(units, layers, epoch)) render();
    },
    /** Take per-layer weights [{name, W (in×out), b}]; edges update on the next animation frame. */
    setWeights(w) {
      weights = w;
      scheduleWeights();
    },
  };
}
