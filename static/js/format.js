// Display text shared by the panels: human names of config values and compact numbers.

/** Human names of config values (optimizers, activations, datasets, ...). */
export const LABELS = {
  sgd: 'SGD', rmsprop: 'RMSProp', adagrad: 'Adagrad', adam: 'Adam', adamw: 'AdamW',
  linear: 'Linear', relu: 'ReLU', leaky_relu: 'Leaky ReLU', tanh: 'Tanh', sigmoid: 'Sigmoid',
  elu: 'ELU', gelu: 'GELU', softplus: 'Softplus', swish: 'Swish (SiLU)',
  zeros: 'Zeros', uniform: 'Uniform', normal: 'Normal', xavier: 'Xavier', he: 'He',
  lecun: 'LeCun', orthogonal: 'Orthogonal',
  constant: 'Constant', step: 'Step decay', exponential: 'Exponential', cosine: 'Cosine',
  plateau: 'Reduce on plateau',
  circle: 'Circle', xor: 'XOR', gaussian: 'Gaussian', spiral: 'Spiral', moons: 'Moons',
  checkerboard: 'Checkerboard', blobs: 'Blobs', plane: 'Plane', multi_gaussian: 'Multi-Gaussian',
  sine: 'Sine ripple', iris: 'Iris', wine: 'Wine', breast_cancer: 'Breast cancer',
  diabetes: 'Diabetes', auto: 'Auto', classification: 'Classification', regression: 'Regression',
  float32: 'float32', float64: 'float64',
};

/** The human name of a config value (the value itself when unnamed). */
export const label = (v) => LABELS[v] ?? String(v);

/** `digits` significant digits; exponent form for tiny and huge values; '—' for missing. */
export function fmt(v, digits = 3) {
  if (v === null || v === undefined || Number.isNaN(v)) return '—';
  if (!Number.isFinite(v)) return v > 0 ? '∞' : '−∞';
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a < 1e-3 || a >= 1e5) return v.toExponential(Math.max(0, digits - 2)).replace(/\.?0+e/, 'e');
  return String(Number(v.toPrecision(digits)));
}

/**
 * "2 → 8 → 8 → 1  ·  137 parameters": layer sizes (inputs, hidden..., outputs) and the server's
 * parameter count (null while a rebuild is under way); runs of three or more equal hidden layers
 * read "12 ×8".
 */
export function networkSummary(sizes, parameterCount) {
  const hidden = sizes.slice(1, -1);
  const parts = [];
  for (let i = 0; i < hidden.length; ) {
    let j = i;
    while (j < hidden.length && hidden[j] === hidden[i]) j += 1;
    if (j - i >= 3) parts.push(`${hidden[i]} ×${j - i}`);
    else for (let k = i; k < j; k += 1) parts.push(String(hidden[k]));
    i = j;
  }
  const shape = [sizes[0], ...parts, sizes.at(-1)].join(' → ');
  const count = parameterCount === null ? '…' : parameterCount.toLocaleString('en-US');
  return `${shape}  ·  ${count} parameters`;
}
