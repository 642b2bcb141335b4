// The compact encoding's decoder (docs/protocol.md, app/training/compact.py): a binary message of
// blocks, each a JSON header plus typed arrays, back into the frames the JSON encoding sends.
// Pure: no DOM, no state. Numbers are little-endian; float NaN becomes null, as in JSON.

const F32 = 0;
const F64 = 1;
const CONST = 2;
const RANGE = 3;
const U8 = 4;
const I16 = 5;
const I32 = 6;
const TYPED = { [F32]: Float32Array, [F64]: Float64Array, [U8]: Uint8Array, [I16]: Int16Array, [I32]: Int32Array };
const utf8 = new TextDecoder();

const pad4 = (n) => (n + 3) & ~3;
const finite = (v) => (Number.isNaN(v) ? null : v);

/** One array: its values as a plain array, and the bytes it took. */
function readArray(buffer, view, offset, word, count) {
  const kind = word & 0xf;
  const scale = 10 ** ((word >> 4) & 0xf);
  if (kind === CONST) {
    const v = finite(view.getFloat64(offset, true));
    return [new Array(count).fill(v), 8];
  }
  if (kind === RANGE) {
    const start = view.getInt32(offset, true);
    return [Array.from({ length: count }, (_, i) => start + i), 4];
  }
  const Typed = TYPED[kind];
  if (!Typed) throw new Error(`unknown array kind ${kind}`);
  const bytes = count * Typed.BYTES_PER_ELEMENT;
  const values = Array.from(new Typed(buffer.slice(offset, offset + bytes))); // slice: aligned copy
  if (kind === F32 || kind === F64) return [values.map(finite), pad4(bytes)];
  return [scale === 1 ? values : values.map((q) => q / scale), pad4(bytes)];
}

/** Put arrays back where the header holds {"#": index}. */
function restore(value, arrays) {
  if (Array.isArray(value)) return value.map((v) => restore(v, arrays));
  if (value === null || typeof value !== 'object') return value;
  const keys = Object.keys(value);
  if (keys.length === 1 && keys[0] === '#') return arrays[value['#']];
  return Object.fromEntries(keys.map((k) => [k, restore(value[k], arrays)]));
}

/** A metrics block's columns as a `metrics` frame. */
function metricsFrame(header, arrays) {
  const frame = { type: 'metrics' };
  const columns = header.columns.split(',');
  const layerColumns = header.layer_columns.split(',');
  columns.forEach((key, j) => (frame[key] = arrays[j]));
  const n = columns.length;
  const width = layerColumns.length;
  frame.layers = header.layers.map((name, i) => {
    const layer = { name };
    layerColumns.forEach((key, j) => (layer[key] = arrays[n + i * width + j]));
    return layer;
  });
  return frame;
}

/** Two metrics frames of the same columns and layers as one. */
function merge(a, b) {
  const sameShape = (x, y) => Object.keys(x).join() === Object.keys(y).join();
  if (!sameShape(a, b) || a.layers.map((l) => l.name).join() !== b.layers.map((l) => l.name).join()) return null;
  const join = (x, y) => {
    for (const key of Object.keys(x)) if (Array.isArray(x[key]) && key !== 'layers') x[key] = x[key].concat(y[key]);
  };
  join(a, b);
  a.layers.forEach((layer, i) => join(layer, b.layers[i]));
  return a;
}

/** One block at `offset`: [frame, its length in bytes]. */
function readBlock(buffer, view, offset) {
  const length = view.getUint32(offset, true);
  const headerLength = view.getUint32(offset + 4, true);
  if (length < 12 || offset + length > buffer.byteLength) throw new Error('truncated block');
  const header = JSON.parse(utf8.decode(new Uint8Array(buffer, offset + 8, headerLength)));
  let at = offset + 8 + pad4(headerLength);
  const count = view.getUint32(at, true);
  let data = at + 4 + count * 4;
  const arrays = [];
  for (let i = 0; i < count; i++) {
    at += 4;
    const word = view.getUint32(at, true);
    const [values, used] = readArray(buffer, view, data, word & 0xff, word >>> 8);
    arrays.push(values);
    data += used;
  }
  const isMetrics = header.type === 'metrics' && typeof header.columns === 'string';
  const frame = isMetrics ? metricsFrame(header, arrays) : restore(header, arrays);
  return [frame, length];
}

/**
 * Decode one binary message into frames, in order; consecutive metrics blocks of the same layers
 * become one metrics frame. Throws on a malformed message.
 */
export function decodeMessage(buffer) {
  const view = new DataView(buffer);
  const frames = [];
  let offset = 0;
  while (offset < buffer.byteLength) {
    const [frame, length] = readBlock(buffer, view, offset);
    offset += length;
    const prev = frames[frames.length - 1];
    if (!(frame.type === 'metrics' && prev?.type === 'metrics' && merge(prev, frame))) frames.push(frame);
  }
  return frames;
}
