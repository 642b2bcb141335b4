// Canvas helpers shared by the heatmap views.

/** Size `canvas` for a CSS box of w×h at the screen's pixel ratio, then clear it in CSS pixels. */
export function fitCanvas(canvas, ctx, w, h) {
  const dpr = window.devicePixelRatio || 1;
  if (canvas.width !== Math.round(w * dpr) || canvas.height !== Math.round(h * dpr)) {
    canvas.width = Math.round(w * dpr);
    canvas.height = Math.round(h * dpr);
  }
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.clearRect(0, 0, w, h);
}
