// Redraw at most once per animation frame (DESIGN: "Redraw at most once per animation frame"):
// the views call the returned function as often as data arrive; the work runs once per frame.

/** Wrap `draw` so calls made within one frame run it once, on the next animation frame; `.cancel()` drops a pending run. */
export function oncePerFrame(draw) {
  let id = 0;
  const run = () => {
    id = 0;
    draw();
  };
  const schedule = () => {
    if (!id) id = requestAnimationFrame(run);
  };
  schedule.cancel = () => {
    cancelAnimationFrame(id);
    id = 0;
  };
  return schedule;
}
