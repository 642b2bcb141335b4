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
