// The compact encoding's decoder (docs/protocol.md, app/training/compact.py): a binary message of
// blocks, each a JSON header plus typed arrays, back into the frames the JSON encoding sends.
// Pure: no DOM, no state. Numbers are little-endian; float NaN becomes null, as in JSON.
// Metrics arrive as PACKED log entries (deflated byte planes of XOR-delta 32-bit words), so
// decoding is async: DecompressionStream inflates them, all of a message's at once.

const F32 = 0;
const F64 = 1;
const CONST = 2;
const RANGE = 3;
const U8 = 4;
const I16 = 5;
const I32 = 6;
const PACKED = 7;
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

/** Inflate zlib data (DecompressionStream 'deflate' is RFC 1950, what Python's zlib writes). */
async function inflate(bytes) {
  const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream('deflate'));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/** One inflated PACKED entry: `width` columns of `count` values (column 0: int32 epochs). */
function unpack(data, count, width) {
  const words = new Uint32Array(count);
  const f32 = new Float32Array(words.buffer);
  const i32 = new Int32Array(words.buffer);
  const columns = [];
  for (let j = 0; j < width; j++) {
    const base = j * 4 * count;
    let prev = 0;
    for (let i = 0; i < count; i++) {
      const b = base + i;
      const delta = data[b] | (data[b + count] << 8) | (data[b + 2 * count] << 16) | (data[b + 3 * count] << 24);
      prev = (prev ^ delta) >>> 0;
      words[i] = prev;
    }
    columns.push(j === 0 ? Array.from(i32) : Array.from(f32, finite));
  }
  return columns;
}

/** A metrics block's packed entries (already inflated) as a `metrics` frame. */
function metricsFrame(header, entries) {
  const columns = header.columns.split(',');
  const layerColumns = header.layer_columns.split(',');
  const width = columns.length + header.layers.length * layerColumns.length;
  const merged = Array.from({ length: width }, () => []);
  for (const { data, count } of entries) {
    if (data.length !== width * 4 * count) throw new Error('a packed entry of the wrong size');
    unpack(data, count, width).forEach((column, j) => (merged[j] = merged[j].concat(column)));
  }
  const frame = { type: 'metrics' };
  columns.forEach((key, j) => (frame[key] = merged[j]));
  const n = columns.length;
  frame.layers = header.layers.map((name, i) => {
    const layer = { name };
    layerColumns.forEach((key, j) => (layer[key] = merged[n + i * layerColumns.length + j]));
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

/** One block at `offset`: [{header, arrays} or {header, packed}, its length in bytes]. */
function readBlock(buffer, view, offset) {
  const length = view.getUint32(offset, true);
  const headerLength = view.getUint32(offset + 4, true);
  if (length < 12 || offset + length > buffer.byteLength) throw new Error('truncated block');
  const header = JSON.parse(utf8.decode(new Uint8Array(buffer, offset + 8, headerLength)));
  let at = offset + 8 + pad4(headerLength);
  const count = view.getUint32(at, true);
  let data = at + 4 + count * 4;
  const isMetrics = header.type === 'metrics' && typeof header.columns === 'string';
  const arrays = [];
  for (let i = 0; i < count; i++) {
    at += 4;
    const word = view.getUint32(at, true);
    const [kind, n] = [word & 0xf, word >>> 8];
    if (isMetrics !== (kind === PACKED)) throw new Error(`an array of kind ${kind} in a ${header.type} block`);
    if (kind === PACKED) {
      const size = view.getUint32(data, true);
      if (data + 4 + size > offset + length) throw new Error('truncated block');
      arrays.push({ zipped: new Uint8Array(buffer, data + 4, size), count: n });
      data += pad4(4 + size);
    } else {
      const [values, used] = readArray(buffer, view, data, word & 0xff, n);
      arrays.push(values);
      data += used;
    }
  }
  return [{ header, arrays, isMetrics }, length];
}

/** A hello's `parts` (history, dataset, snapshot, histograms blocks) put back into it. */
function attach(frames) {
  const out = [];
  let waiting = [];
  for (const frame of frames) {
    if (!waiting.length) {
      out.push(frame);
      if (frame.type === 'hello' && Array.isArray(frame.parts)) {
        waiting = frame.parts;
        delete frame.parts;
      }
      continue;
    }
    const key = waiting.shift();
    const hello = out[out.length - 1];
    if (key === 'history') {
      delete frame.type;
      hello.history = frame;
    } else if (key === 'histograms') hello.histograms.push(frame);
    else hello[key] = frame;
  }
  return out;
}

/**
 * Decode one binary message into frames, in order; consecutive metrics blocks of the same layers
 * become one metrics frame, and a hello's parts go back into it. Rejects a malformed message.
 */
export async function decodeMessage(buffer) {
  const view = new DataView(buffer);
  const blocks = [];
  let offset = 0;
  while (offset < buffer.byteLength) {
    const [block, length] = readBlock(buffer, view, offset);
    blocks.push(block);
    offset += length;
  }
  const packed = blocks.filter((b) => b.isMetrics).flatMap((b) => b.arrays);
  const inflated = await Promise.all(packed.map((entry) => inflate(entry.zipped)));
  packed.forEach((entry, i) => (entry.data = inflated[i]));
  const frames = [];
  for (const { header, arrays, isMetrics } of blocks) {
    const frame = isMetrics ? metricsFrame(header, arrays) : restore(header, arrays);
    const prev = frames[frames.length - 1];
    if (!(frame.type === 'metrics' && prev?.type === 'metrics' && merge(prev, frame))) frames.push(frame);
  }
  return attach(frames);
}
