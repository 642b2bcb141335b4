// The large view of one hidden unit: its map over the input plane with the colour scale, its output
// range and health, and its incoming weights (value, sign, source). A floating card beside the node:
// shown on hover, pinned by a click (then it has a close button).
import { NEG, POS } from './colors.js';
import { el } from './dom.js';
import { codeValue, colourTable, fmt, healthText, incomingWeights, signed, spritePixels } from './unit-maps.js';

const MAP_PX = 216; // the map's side in CSS px (9 × 24 cells)
const BAR_W = 216;

export function createUnitView() {
  const title = el('h3', { class: 'bp-uv-title', testid: 'unit-view-title' });
  const chip = el('span', { class: 'bp-uv-chip', testid: 'unit-view-status' });
  const close = el('button', { type: 'button', class: 'bp-uv-close', text: '×', title: 'Close (Esc)', 'aria-label': 'Close the unit view', testid: 'unit-view-close' });
  const mapCanvas = el('canvas', { class: 'bp-uv-map', width: MAP_PX, height: MAP_PX, testid: 'unit-view-map' });
  const noMap = el('p', { class: 'bp-uv-nomap', testid: 'unit-view-nomap' });
  const barCanvas = el('canvas', { class: 'bp-uv-bar', width: BAR_W, height: 12 });
  const barLabels = el('div', { class: 'bp-uv-barlabels' });
  const caption = el('p', { class: 'bp-uv-caption', testid: 'unit-view-caption' });
  const scaleBox = el('div', { class: 'bp-uv-scale' }, barCanvas, barLabels, caption);
  const facts = el('dl', { class: 'bp-uv-facts', testid: 'unit-view-range' });
  const health = el('p', { class: 'bp-uv-health', testid: 'unit-view-health' });
  const weightsHead = el('h4', { class: 'bp-uv-subhead' });
  const weightsList = el('table', { class: 'bp-uv-weights', testid: 'unit-view-weights' });
  const card = el('div', { class: 'bp-uv', testid: 'unit-view', role: 'dialog', 'aria-label': 'Hidden unit', hidden: true },
    el('div', { class: 'bp-uv-head' }, title, chip, close),
    el('div', { class: 'bp-uv-body' }, el('div', { class: 'bp-uv-left' }, mapCanvas, noMap, scaleBox),
      el('div', { class: 'bp-uv-right' }, facts, health)),
    weightsHead, weightsList);
  document.body.append(card);
  const cell = document.createElement('canvas');
  let onClose = () => {};
  close.addEventListener('click', () => onClose());

  function paintMap(layer, unit, res) {
    cell.width = res;
    cell.height = res;
    const cctx = cell.getContext('2d');
    const img = cctx.createImageData(res, res);
    img.data.set(spritePixels(layer.maps.subarray(unit * res * res, (unit + 1) * res * res), 1, res));
    cctx.putImageData(img, 0, 0);
    const ctx = mapCanvas.getContext('2d');
    ctx.imageSmoothingEnabled = true;
    ctx.imageSmoothingQuality = 'high';
    ctx.drawImage(cell, 0, 0, MAP_PX, MAP_PX);
  }

  function paintBar(scale) {
    const ctx = barCanvas.getContext('2d');
    const table = colourTable();
    for (let x = 0; x < BAR_W; x++) {
      const q = Math.round((x / (BAR_W - 1)) * 255) * 3;
      ctx.fillStyle = `rgb(${table[q]},${table[q + 1]},${table[q + 2]})`;
      ctx.fillRect(x, 0, 1, 12);
    }
    barLabels.replaceChildren(...[0, 127.5, 255].map((q) => el('span', { text: fmt(codeValue(q, scale)) })));
  }

  function fact(name, value) {
    return [el('dt', { text: name }), el('dd', { text: value })];
  }

  function weightRows(info) {
    const { index, unit, weights, inputLabels } = info;
    const w = incomingWeights(weights, index, unit, inputLabels);
    const from = index === 0 ? 'input' : `L${index} unit`;
    if (!w) {
      weightsHead.textContent = 'Incoming weights';
      weightsList.replaceChildren(el('tr', {}, el('td', { text: 'not in this snapshot' })));
      return;
    }
    weightsHead.textContent = `Incoming weights · ${w.total} ${from}${w.total === 1 ? '' : 's'}, largest first`;
    const top = Math.max(...w.items.map((i) => Math.abs(i.w ?? 0)), 1e-9);
    const rows = w.items.map((item) => {
      const bar = el('span', { class: 'bp-uv-wbar' });
      bar.style.width = `${Math.round((72 * Math.abs(item.w ?? 0)) / top)}px`;
      bar.style.background = (item.w ?? 0) >= 0 ? POS : NEG;
      return el('tr', { 'data-source': item.source, 'data-row': item.row, 'data-w': item.w },
        el('th', { text: item.source, title: `from ${item.source}` }),
        el('td', { class: 'bp-uv-num', text: signed(item.w) }), el('td', {}, bar));
    });
    if (w.rest > 0) rows.push(el('tr', { class: 'bp-uv-more' }, el('td', { colspan: 3, text: `+ ${w.rest} smaller` })));
    rows.push(el('tr', { class: 'bp-uv-bias', 'data-w': w.bias }, el('th', { text: 'bias b' }), el('td', { class: 'bp-uv-num', text: signed(w.bias) }), el('td')));
    weightsList.replaceChildren(...rows);
  }

  /** Beside the diagram (so it hides no other unit), else beside the node; always on screen. */
  function place(anchor) {
    const gap = 10;
    const { innerWidth: vw, innerHeight: vh } = window;
    const cw = card.offsetWidth;
    const ch = card.offsetHeight;
    const { stage } = anchor;
    const nodeRight = anchor.x + anchor.half + gap;
    let x = Math.min(stage.right + gap, vw - cw - 8);
    let y = stage.top;
    if (x < nodeRight) {
      // no room right of the diagram: beside the node, on whichever side has room
      x = nodeRight + cw <= vw - 8 ? nodeRight : anchor.x - anchor.half - gap - cw;
      y = anchor.y - ch / 2;
    }
    card.style.left = `${Math.max(8, x)}px`;
    card.style.top = `${Math.min(Math.max(8, y), vh - ch - 8)}px`;
  }

  return {
    /** Show `info` ({index, unit, layer, planar, resolution, weights, inputLabels, config}) beside `anchor`. */
    show(info, anchor, pinned) {
      const { index, unit, layer, planar, resolution } = info;
      const h = healthText(layer.status[unit], layer.activation, layer.inactive[unit]);
      title.textContent = `Layer ${index + 1} · unit ${unit + 1} · ${layer.activation === 'relu' ? 'ReLU' : layer.activation}`;
      chip.textContent = h.label;
      card.dataset.status = layer.status[unit];
      card.dataset.unit = `${index}:${unit}`;
      card.dataset.pinned = pinned ? '1' : '';
      close.hidden = !pinned;
      mapCanvas.hidden = !planar;
      scaleBox.hidden = !planar;
      noMap.hidden = planar;
      caption.textContent = ['output after the activation, at inference',
        info.config?.batch_norm ? 'batch norm on its running statistics' : '',
        info.config?.dropout > 0 ? 'dropout off' : ''].filter(Boolean).join('; ');
      if (planar) {
        paintMap(layer, unit, resolution);
        paintBar(layer.scale[unit]);
      } else {
        noMap.textContent = 'No map: this data has more than two inputs, so there is no input plane to draw the unit over. Its range and health come from the training points.';
      }
      facts.replaceChildren(
        ...(planar ? fact('output over the plane', `${fmt(layer.planeLo[unit])} … ${fmt(layer.planeHi[unit])}`) : []),
        ...fact('over the training points', `${fmt(layer.dataLo[unit])} … ${fmt(layer.dataHi[unit])}`),
      );
      facts.dataset.planeLo = planar ? String(layer.planeLo[unit]) : '';
      facts.dataset.planeHi = planar ? String(layer.planeHi[unit]) : '';
      health.textContent = `${h.detail}.`;
      weightRows(info);
      card.hidden = false;
      place(anchor);
    },
    hide() {
      card.hidden = true;
      card.dataset.unit = '';
    },
    onClose(fn) {
      onClose = fn;
    },
  };
}
