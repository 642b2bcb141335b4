// What a lesson step may point at, and where that is on the page: each `view:` and `control:`
// name of the server's vocabulary (POINTABLE in app/schemas/lessons.py) mapped to a data-testid,
// the element to outline around it (`closest`) and how the lesson names it. Charts are
// `chart-<kind>` in the chart panel; layers are drawn by the network view. Data only (tests/js
// check it covers exactly the server's names).

export const VIEWS = {
  network: { testid: 'network', closest: '.panel', label: 'the network' },
  boundary: { testid: 'boundary', label: 'the output plot' },
  stats: { testid: 'stats', label: 'the numbers beside the plot' },
  'train-loss': { testid: 'stat-train-loss', closest: '.stat', label: 'the training loss' },
  'val-loss': { testid: 'stat-val-loss', closest: '.stat', label: 'the validation loss' },
  'train-acc': { testid: 'stat-train-acc', closest: '.stat', label: 'the training accuracy' },
  'val-acc': { testid: 'stat-val-acc', closest: '.stat', label: 'the validation accuracy' },
  inspector: { testid: 'inspector', label: 'the backprop inspector' },
};

export const CONTROLS = {
  play: { testid: 'play', label: 'the play button' },
  step: { testid: 'step', label: 'the step button' },
  reset: { testid: 'reset', label: 'the reset button' },
  epoch: { testid: 'epoch', closest: '.epoch', label: 'the epoch counter' },
  inspect: { testid: 'inspect-open', label: '“Inspect a sample”' },
  'inspector-random': { testid: 'inspector-random', label: '“Random sample”' },
  'inspector-prev': { testid: 'inspector-prev', label: '“← Previous”' },
  'inspector-next': { testid: 'inspector-next', label: '“Next →”' },
  'inspector-apply': { testid: 'inspector-apply', label: '“Apply this update”' },
};

/** The test id of the chart of kind `name` (charts.js draws it while its tab is shown). */
export const chartTestid = (name) => `chart-${name}`;
