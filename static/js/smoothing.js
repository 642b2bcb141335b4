// TensorBoard-style smoothing of a metric curve: an exponential moving average with the start-up
// bias removed, so the first points are not dragged towards zero. Non-finite values pass through.

/** A fresh running state for emaNext(). */
export const emaState = () => ({ last: 0, count: 0 });

/** The smoothed value of `v` given the running `state` (updated) and weight `w` in [0, 1). */
export function emaNext(state, v, w) {
  if (v == null || !Number.isFinite(v)) return v ?? null;
  if (!(w > 0)) return v;
  state.last = state.last * w + (1 - w) * v;
  state.count += 1;
  return state.last / (1 - w ** state.count);
}

/** The whole curve `values` smoothed with weight `w` (0 = unchanged, towards 1 = smoother). */
export function emaSmooth(values, w) {
  const state = emaState();
  return values.map((v) => emaNext(state, v, w));
}
