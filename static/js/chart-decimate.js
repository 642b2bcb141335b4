// What a chart draws: at most about two points per pixel column. Consecutive epochs are grouped in
// buckets of `step` (a power of two); each bucket becomes two points, at its first and last epoch,
// carrying each series' minimum and maximum in the order they occurred, so spikes stay visible.
// Whole buckets are kept between calls: a new epoch costs only the recomputation of the last one.

/** Emit the bucket [a, b) of `cols` ([x, ...series]) onto `out`. */
function emitBucket(cols, out, a, b) {
  if (b - a <= 2) {
    for (let j = a; j < b; j++) for (let s = 0; s < cols.length; s++) out[s].push(cols[s][j]);
    return;
  }
  out[0].push(cols[0][a], cols[0][b - 1]);
  for (let s = 1; s < cols.length; s++) {
    const col = cols[s];
    let lo = null;
    let hi = null;
    let loAt = 0;
    let hiAt = 0;
    for (let j = a; j < b; j++) {
      const v = col[j];
      if (v == null) continue;
      if (lo === null || v < lo) (lo = v), (loAt = j);
      if (hi === null || v > hi) (hi = v), (hiAt = j);
    }
    if (loAt <= hiAt) out[s].push(lo, hi);
    else out[s].push(hi, lo);
  }
}

/** Decimate indices [from, to) of `cols` into at most 2·`buckets` points (new arrays). */
export function decimateRange(cols, from, to, buckets) {
  const out = cols.map(() => []);
  const step = 2 ** Math.max(0, Math.ceil(Math.log2(Math.max(1, (to - from) / buckets))));
  for (let a = from; a < to; a += step) emitBucket(cols, out, a, Math.min(to, a + step));
  return out;
}

/**
 * An incremental decimator for columns that only grow: `update(cols, buckets)` returns the
 * arrays to draw (reused between calls); `reset()` forgets everything (the columns were rewritten).
 */
export function createDecimator() {
  let out = null;
  let step = 1;
  let done = 0; // columns' indices covered by whole buckets
  let kept = 0; // points of `out` that belong to whole buckets
  const reset = () => {
    out = null;
    done = 0;
    kept = 0;
  };
  return {
    reset,
    update(cols, buckets) {
      const n = cols[0].length;
      const want = 2 ** Math.max(0, Math.ceil(Math.log2(Math.max(1, n / buckets))));
      if (!out || out.length !== cols.length || n < done || want !== step) {
        reset();
        step = want;
        out = cols.map(() => []);
      }
      for (const a of out) a.length = kept;
      while (done + step <= n) {
        emitBucket(cols, out, done, done + step);
        done += step;
      }
      kept = out[0].length;
      if (done < n) emitBucket(cols, out, done, n);
      return out;
    },
  };
}
