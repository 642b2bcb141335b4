// Per-unit maps (snapshot.units, app/training/unit_maps.py): decode the base64 uint8 maps, colour
// them with the boundary's diverging scale (orange < 0 < blue, white at the unit's centre), and
// describe a unit: health, output range, incoming weights. Pure: no DOM, tested under Node.
import { diverging } from './colors.js';

/** How strongly the maps are coloured on the diverging scale (the boundary's palette, bolder: thumbnails are small). */
export const MAP_STRENGTH = 0.9;
/** Incoming weights listed in the large view (the largest |w| first); the rest are summed up. */
export const MAX_LISTED_WEIGHTS = 8;

/** base64 text -> Uint8Array (null when it is not valid base64). */
export function decodeBase64(text) {
  if (typeof text !== 'string') return null;
  let bin;
  try {
    bin = atob(text);
  } catch {
    return null;
  }
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/** The value a byte stands for on a unit's [centre, half] scale. */
export const codeValue = (q, [centre, half]) => centre + (half * (q - 127.5)) / 127.5;

/**
 * snapshot.units -> {planar, resolution, layers: [{name, activation, units, shown, status, inactive,
 * dataLo, dataHi, planeLo, planeHi, scale ([centre, half] per unit), maps (Uint8Array shown·r² | null)}]}, or null when the
 * frame carries none or a malformed part (then the diagram simply shows no maps).
 */
export function decodeUnits(units) {
  if (!units || typeof units !== 'object' || !Array.isArray(units.layers)) return null;
  const planar = units.planar === true;
  const res = planar ? units.resolution | 0 : 0;
  if (planar && res < 2) return null;
  const layers = [];
  for (const l of units.layers) {
    const shown = l?.shown | 0;
    if (!Array.isArray(l?.status) || l.status.length !== shown) return null;
    let maps = null;
    if (planar) {
      maps = decodeBase64(l.maps);
      if (!maps || maps.length !== shown * res * res) return null;
      if (!Array.isArray(l.scale) || l.scale.length !== shown || !l.scale.every((sc) => Array.isArray(sc) && sc.length === 2)) return null;
    }
    layers.push({
      name: String(l.name), activation: String(l.activation), units: l.units | 0, shown,
      status: l.status, inactive: l.inactive ?? [], dataLo: l.data_lo ?? [], dataHi: l.data_hi ?? [],
      planeLo: l.plane_lo ?? [], planeHi: l.plane_hi ?? [], scale: l.scale ?? null, maps,
    });
  }
  return { planar, resolution: res, layers };
}

let lut = null;
/** RGB of each of the 256 codes (built once): byte 127.5 is white, 0 full orange, 255 full blue. */
export function colourTable() {
  if (!lut) {
    lut = new Uint8ClampedArray(256 * 3);
    for (let q = 0; q < 256; q++) lut.set(diverging((q - 127.5) / 127.5, MAP_STRENGTH), q * 3);
  }
  return lut;
}

/**
 * RGBA pixels of every map of a layer side by side: an image (shown·res) wide and res high, unit j
 * in columns [j·res, (j+1)·res). `out` (a Uint8ClampedArray of the right length) is reused if given.
 */
export function spritePixels(maps, shown, res, out = null) {
  const width = shown * res;
  const px = out && out.length === width * res * 4 ? out : new Uint8ClampedArray(width * res * 4);
  const table = colourTable();
  for (let j = 0; j < shown; j++) {
    const base = j * res * res;
    for (let i = 0; i < res * res; i++) {
      const row = (i / res) | 0;
      const p = (row * width + j * res + (i % res)) * 4;
      const t = maps[base + i] * 3;
      px[p] = table[t];
      px[p + 1] = table[t + 1];
      px[p + 2] = table[t + 2];
      px[p + 3] = 255;
    }
  }
  return px;
}

/** Name of the unit feeding dense layer `layer` from row `row`: an input label, or "L1.3" (layer 1, unit 3). */
export function sourceName(layer, row, inputLabels) {
  if (layer === 0) return String(inputLabels?.[row] ?? `x${row + 1}`);
  return `L${layer}.${row + 1}`;
}

/**
 * Unit `unit`'s incoming weights in dense layer `layer` from a snapshot `weights` entry {W, b, shape}:
 * {bias, items: [{source, row, w}] (largest |w| first, at most `max`), rest: how many more, total:
 * inputs the layer has, sent: rows the snapshot carries}; null when the entry does not hold the unit.
 */
export function incomingWeights(entry, layer, unit, inputLabels, max = MAX_LISTED_WEIGHTS) {
  const W = entry?.W;
  if (!Array.isArray(W) || !W.length || !(unit < (W[0]?.length ?? 0))) return null;
  const all = W.map((row, r) => ({ source: sourceName(layer, r, inputLabels), row: r, w: row[unit] }));
  all.sort((a, b) => Math.abs(b.w ?? 0) - Math.abs(a.w ?? 0));
  const total = Array.isArray(entry.shape) ? entry.shape[0] : W.length;
  return {
    bias: entry.b?.[unit] ?? null,
    items: all.slice(0, max),
    rest: total - Math.min(max, all.length),
    total,
    sent: W.length,
  };
}

const pct = (s) => `${Math.round(100 * s)}%`;

/** What a unit's health means, in words: {label, detail} (detail names the share of points). */
export function healthText(status, activation, share) {
  const act = activation === 'relu' ? 'ReLU' : activation === 'leaky_relu' ? 'leaky ReLU' : activation;
  const s = Number.isFinite(share) ? share : null;
  if (status === 'dead') {
    return { label: 'dead', detail: `${act} is inactive on every training point: it passes no gradient back, so it cannot learn` };
  }
  if (status === 'saturated') {
    return { label: 'saturated', detail: `${act} sits at its ends on ${s === null ? 'most' : pct(s)} of the training points: its gradient there is almost 0` };
  }
  if (s !== null && s > 0) {
    const zone = ['sigmoid', 'tanh'].includes(activation) ? 'at its ends' : 'inactive';
    return { label: 'active', detail: `${zone} on ${pct(s)} of the training points` };
  }
  return { label: 'active', detail: 'active on the training points' };
}

/** A number for the readouts: 3 significant digits, a real minus sign, "—" for none. */
export function fmt(v) {
  if (v === null || v === undefined || !Number.isFinite(v)) return '—';
  const a = Math.abs(v);
  const s = a !== 0 && (a >= 1e4 || a < 1e-3) ? v.toExponential(2) : v.toPrecision(3);
  const [mant, exp] = s.split('e');
  const trimmed = mant.includes('.') ? mant.replace(/0+$/, '').replace(/\.$/, '') : mant;
  return (exp ? `${trimmed}e${exp.replace('+', '')}` : trimmed).replace(/-/g, '−');
}

/** Signed form for weights: "+0.52", "−1.3". */
export const signed = (v) => (Number.isFinite(v) && v >= 0 ? '+' : '') + fmt(v);
