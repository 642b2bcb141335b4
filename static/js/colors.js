// Shared palette and colour scales. Okabe-Ito based: safe for the common colour-vision deficiencies,
// and dark enough to read on a washed-out projector. Class 0 is orange, class 1 blue (as in the
// TensorFlow Playground); the same pair colours negative/positive weights and diverging heatmaps.

/** Okabe-Ito colours by name. */
export const OKABE = {
  orange: '#E69F00',
  sky: '#56B4E9',
  green: '#009E73',
  yellow: '#F0E442',
  blue: '#0072B2',
  vermillion: '#D55E00',
  purple: '#CC79A7',
  black: '#000000',
};

/** Colour for negative values / class 0 (orange, darkened a little for contrast on white). */
export const NEG = '#E08600';
/** Colour for positive values / class 1. */
export const POS = '#0072B2';

/** Class colours in order (class 0, 1, ...); up to 6 distinct, then repeats. */
export const CLASS_COLORS = [NEG, POS, '#009E73', '#CC79A7', '#D55E00', '#56B4E9', '#7A5C00', '#555555'];

/**
 * Per-layer series colours, input side first: Okabe-Ito then Paul Tol's muted set on the light
 * theme, Tol's "light" set then Okabe-Ito orange on the dark one (all distinguishable under the
 * common colour-vision deficiencies). Past the list, layerStyle() adds dash patterns.
 */
export const LAYER_COLORS = ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#E69F00', '#56B4E9', '#882255', '#44AA99',
  '#999933', '#332288'];
export const LAYER_COLORS_DARK = ['#77AADD', '#EE8866', '#44BB99', '#FFAABB', '#EEDD88', '#99DDFF', '#BBCC33',
  '#AAAA00', '#DDDDDD', '#E69F00'];

/** Train / validation series colours. */
export const TRAIN = '#0072B2';
export const VAL = '#D55E00';
/** The same on the dark theme (light enough for a dark background). */
export const TRAIN_DARK = '#77AADD';
export const VAL_DARK = '#EE8866';

/** Whether the page shows its dark theme (presentation.js sets it). */
export const isDark = () => typeof document !== 'undefined' && document.documentElement.dataset.theme === 'dark';

/** The colour of class `k`. */
export function classColor(k) {
  const n = CLASS_COLORS.length;
  return CLASS_COLORS[((k % n) + n) % n];
}

/**
 * Colour and dash of layer `i` (dark theme when `dark`): the palette in order, then the palette
 * again with a dash pattern that grows each round, so no two layers ever share a style.
 */
export function layerStyle(i, dark = false) {
  const colors = dark ? LAYER_COLORS_DARK : LAYER_COLORS;
  const round = Math.floor(i / colors.length);
  return { color: colors[i % colors.length], dash: round === 0 ? undefined : [4 + 4 * round, 4] };
}

/** Legend name of a layer: the engine's "denseK" becomes L1, L2, … and "out" for the last one. */
export function shortLayerName(name, i, count) {
  const m = /^dense(\d+)$/.exec(String(name));
  if (!m) return String(name);
  return i === count - 1 ? 'out' : `L${Number(m[1]) + 1}`;
}

/** '#rrggbb' -> [r, g, b] (0..255). */
export function hexToRgb(hex) {
  const h = hex.replace('#', '');
  return [0, 2, 4].map((i) => parseInt(h.slice(i, i + 2), 16));
}

/** Linear blend of two [r,g,b] colours, t in [0,1] (0 -> a). */
export function mix(a, b, t) {
  return [a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t, a[2] + (b[2] - a[2]) * t];
}

/** [r,g,b] -> 'rgb(r,g,b)'. */
export function rgbCss(c, alpha = 1) {
  const [r, g, b] = c.map((v) => Math.round(v));
  return alpha >= 1 ? `rgb(${r},${g},${b})` : `rgba(${r},${g},${b},${alpha})`;
}

const WHITE = [255, 255, 255];
const NEG_RGB = hexToRgb(NEG);
const POS_RGB = hexToRgb(POS);

/** Diverging scale: t in [-1, 1] -> [r,g,b] (orange - white - blue); `strength` < 1 pales it. */
export function diverging(t, strength = 1) {
  if (!Number.isFinite(t)) return [200, 200, 200];
  const c = Math.max(-1, Math.min(1, t));
  return mix(WHITE, c < 0 ? NEG_RGB : POS_RGB, Math.abs(c) * strength);
}

/** Class colour at a given intensity in [0, 1] (0 = white). */
export function classTint(k, intensity) {
  return mix(WHITE, hexToRgb(classColor(k)), Math.max(0, Math.min(1, intensity)));
}

// Sequential white -> deep blue (ColorBrewer Blues end points with a purple-ish dark end for contrast).
const SEQ_STOPS = [
  [255, 255, 255],
  [198, 219, 239],
  [107, 174, 214],
  [33, 113, 181],
  [8, 48, 107],
  [20, 20, 60],
];

/** Sequential scale for counts/densities: t in [0, 1] -> [r,g,b] (white -> dark blue). */
export function sequential(t) {
  if (!(t > 0)) return SEQ_STOPS[0];
  const x = Math.min(1, t) * (SEQ_STOPS.length - 1);
  const i = Math.min(SEQ_STOPS.length - 2, Math.floor(x));
  return mix(SEQ_STOPS[i], SEQ_STOPS[i + 1], x - i);
}

/** Foreground (text) colour of an element, for canvas drawing that follows the page theme. */
export function textColor(el) {
  return getComputedStyle(el).color || '#111';
}
