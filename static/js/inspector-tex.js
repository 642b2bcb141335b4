// Pure builders of the backprop inspector's steps: TeX strings with an `inspection` frame's real
// numbers substituted (no DOM, no KaTeX: Node unit tests run them). The numbers all come from the
// engine (app/engine/inspect.py); nothing here recomputes the network.

export const MAX_TERMS = 6; // terms of a sum written out before "⋯ (k more)"
export const DIGITS = 4;
export const LOSS_DIGITS = 6; // the loss step writes the loss this precisely

/** A number as TeX: `digits` significant digits, ×10ⁿ for tiny/huge values, \text{NaN} for null. */
export function num(v, digits = DIGITS) {
  if (v === null || v === undefined || Number.isNaN(v)) return '\\text{NaN}';
  if (!Number.isFinite(v)) return v > 0 ? '\\infty' : '-\\infty';
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a < 1e-4 || a >= 1e6) {
    const [m, e] = v.toExponential(digits - 1).split('e');
    return `${String(Number(m))}\\times 10^{${Number(e)}}`;
  }
  return String(Number(v.toPrecision(digits)));
}

/** A number as a factor: negative ones in parentheses. */
export const fac = (v, digits = DIGITS) => (v < 0 ? `(${num(v, digits)})` : num(v, digits));

/** `first + second + … + ⋯` of terms (TeX strings), at most MAX_TERMS written out. */
export function sum(terms) {
  if (!terms.length) return '0';
  const shown = terms.slice(0, MAX_TERMS).join(' + ');
  const rest = terms.length - MAX_TERMS;
  return rest > 0 ? `${shown} + \\cdots_{(${rest}\\text{ more})}` : shown;
}

const sup = (l) => `^{(${l})}`;

/** f(y) and f′(y) of each activation, as TeX in y. */
export const ACTIVATIONS = {
  linear: ['y', '1'],
  relu: ['\\max(0, y)', '[\\,y > 0\\,]'],
  leaky_relu: ['\\max(0.01\\,y,\\ y)', '1 \\text{ if } y > 0 \\text{ else } 0.01'],
  tanh: ['\\tanh y', '1 - \\tanh^2 y'],
  sigmoid: ['\\sigma(y) = \\frac{1}{1 + e^{-y}}', '\\sigma(y)\\,(1 - \\sigma(y))'],
  elu: ['y \\text{ if } y > 0 \\text{ else } e^{y} - 1', '1 \\text{ if } y > 0 \\text{ else } e^{y}'],
  gelu: ['\\tfrac12\\,y\\,(1 + \\tanh(\\sqrt{2/\\pi}\\,(y + 0.044715\\,y^3)))', '\\tfrac{d}{dy}\\,\\mathrm{GELU}(y)'],
  softplus: ['\\ln(1 + e^{y})', '\\sigma(y)'],
  swish: ['y\\,\\sigma(y)', '\\sigma(y)\\,(1 + y\\,(1 - \\sigma(y)))'],
};
const FN = { linear: '', relu: '\\mathrm{ReLU}', leaky_relu: '\\mathrm{LReLU}', tanh: '\\tanh',
  sigmoid: '\\sigma', elu: '\\mathrm{ELU}', gelu: '\\mathrm{GELU}', softplus: '\\mathrm{softplus}', swish: '\\mathrm{swish}' };

/** Human name of layer `i` of `n` dense layers: "Layer 1" ... or "Output". */
export const layerName = (i, n) => (i === n - 1 ? 'Output layer' : `Layer ${i + 1}`);

const range = (n) => Array.from({ length: n }, (_, i) => i);

/** The inspector's steps for an `inspection` frame: forward, loss, backward, update. */
export function buildSteps(frame) {
  const layers = frame.layers;
  const n = layers.length;
  const steps = [];
  const add = (phase, title, layer, column, edges, general, rows, note = null) =>
    steps.push({ key: `${phase}-${layer ?? 'x'}-${steps.length}`, phase, title, layer, column, edges, general, rows, note });

  layers.forEach((L, li) => {
    const l = li + 1;
    const units = range(Math.min(L.units, L.z.length));
    const inputs = range(L.a_prev.length);
    const prev = li === 0 ? 'x' : `a${sup(li)}`;
    const zName = li === n - 1 ? 'z^{(\\text{out})}' : `z${sup(l)}`;
    add('forward', `${layerName(li, n)}: weighted sum`, li, l, 'in',
      `${zName}_j = \\sum_i ${prev}_i\\,W${sup(l)}_{ij} + b${sup(l)}_j`,
      units.map((j) => ({ unit: j, tex: `${zName}_{${j + 1}} = ${sum(inputs.map((i) =>
        `${fac(L.a_prev[i])}\\cdot${fac(L.W[i][j])}`).concat(fac(L.b[j])))} = ${num(L.z[j])}` })));
    if (L.bn) {
      const B = L.bn;
      add('forward', `${layerName(li, n)}: batch norm (running statistics)`, li, l, null,
        `y${sup(l)}_j = \\gamma_j\\,\\frac{z_j - \\mu_j}{\\sqrt{\\sigma_j^2 + \\varepsilon}} + \\beta_j`,
        units.map((j) => ({ unit: j, tex: `y_{${j + 1}} = ${fac(B.gamma[j])}\\cdot\\frac{${num(L.z[j])} - ${fac(B.mean[j])}}{\\sqrt{${num(B.var[j])} + ${num(B.eps)}}} + ${fac(B.beta[j])} = ${num(B.y[j])}` })));
    }
    if (L.activation) {
      const [f] = ACTIVATIONS[L.activation] ?? ['f(y)'];
      const yv = L.bn ? L.bn.y : L.z;
      const arg = L.bn ? 'y' : 'z';
      add('forward', `${layerName(li, n)}: activation (${L.activation})`, li, l, null,
        `a${sup(l)}_j = f(${arg}_j),\\quad f(y) = ${f}`,
        units.map((j) => ({ unit: j, tex: `a${sup(l)}_{${j + 1}} = ${FN[L.activation] ?? 'f'}(${num(yv[j])}) = ${num(L.a[j])}` })));
    }
    if (L.dropout) {
      const keep = 1 - L.dropout.rate;
      add('forward', `${layerName(li, n)}: dropout (p = ${L.dropout.rate})`, li, l, null,
        `\\tilde a_j = a_j\\,m_j,\\quad m_j \\in \\{0, \\tfrac{1}{1-p}\\} = \\{0, ${num(1 / keep)}\\}`,
        units.map((j) => ({ unit: j, tex: `\\tilde a_{${j + 1}} = ${fac(L.a[j])}\\cdot${num(L.dropout.mask[j])} = ${num(L.out[j])}` })));
    }
  });

  steps.push(lossStep(frame, n));

  for (let li = n - 1; li >= 0; li -= 1) {
    const L = layers[li];
    const l = li + 1;
    const units = range(Math.min(L.units, L.d_z.length));
    if (li < n - 1) {
      const next = layers[li + 1];
      const ks = range(next.d_z.length);
      const dOut = L.dropout ? '\\partial L/\\partial \\tilde a' : '\\partial L/\\partial a';
      add('backward', `${layerName(li, n)}: gradient reaching its outputs`, li, l, 'out',
        `\\frac{\\partial L}{\\partial a${sup(l)}_j} = \\sum_k \\frac{\\partial L}{\\partial z${sup(l + 1)}_k}\\,W${sup(l + 1)}_{jk}`,
        units.map((j) => ({ unit: j, tex: `${dOut}_{${j + 1}} = ${sum(ks.map((k) =>
          `${fac(next.d_z[k])}\\cdot${fac(next.W[j][k])}`))} = ${num(L.d_out[j])}` +
          (L.dropout ? `,\\quad \\partial L/\\partial a_{${j + 1}} = ${fac(L.d_out[j])}\\cdot${num(L.dropout.mask[j])} = ${num(L.d_a[j])}` : '') })));
      const [, fp] = ACTIVATIONS[L.activation] ?? ['', "f'(y)"];
      const yv = L.bn ? L.bn.y : L.z;
      const rows = units.map((j) => {
        let tex = `\\frac{\\partial L}{\\partial ${L.bn ? 'y' : 'z'}_{${j + 1}}} = ${fac(L.d_a[j])}\\cdot f'(${num(yv[j])}) = ${fac(L.d_a[j])}\\cdot${fac(L.fprime[j])} = ${num(L.d_y[j])}`;
        if (L.bn) {
          tex += `,\\quad \\frac{\\partial L}{\\partial z_{${j + 1}}} = ${fac(L.d_y[j])}\\cdot\\frac{${fac(L.bn.gamma[j])}}{\\sqrt{${num(L.bn.var[j])} + ${num(L.bn.eps)}}} = ${num(L.d_z[j])}`;
        }
        return { unit: j, tex };
      });
      add('backward', `${layerName(li, n)}: through the activation`, li, l, null,
        `\\frac{\\partial L}{\\partial z${sup(l)}_j} = \\frac{\\partial L}{\\partial a${sup(l)}_j}\\odot f'(${L.bn ? 'y' : 'z'}_j),\\quad f'(y) = ${fp}` +
          (L.bn ? `,\\quad \\frac{\\partial L}{\\partial z_j} = \\frac{\\partial L}{\\partial y_j}\\,\\frac{\\gamma_j}{\\sqrt{\\sigma_j^2+\\varepsilon}}` : ''),
        rows);
    }
    const prev = li === 0 ? 'x' : `a${sup(li)}`;
    const inputs = range(L.a_prev.length);
    add('backward', `${layerName(li, n)}: weight and bias gradients`, li, l, 'in',
      `\\frac{\\partial L}{\\partial W${sup(l)}} = {${prev}}^{\\top}\\,\\frac{\\partial L}{\\partial z${sup(l)}},\\quad \\frac{\\partial L}{\\partial b${sup(l)}} = \\frac{\\partial L}{\\partial z${sup(l)}}`,
      units.map((j) => ({ unit: j, tex: `\\frac{\\partial L}{\\partial W_{:,${j + 1}}} = ${fac(L.d_z[j])}\\cdot\\begin{bmatrix}${inputs.slice(0, MAX_TERMS).map((i) => num(L.a_prev[i])).join(' & ')}${inputs.length > MAX_TERMS ? ' & \\cdots' : ''}\\end{bmatrix} = \\begin{bmatrix}${inputs.slice(0, MAX_TERMS).map((i) => num(L.dW[i][j])).join(' & ')}${inputs.length > MAX_TERMS ? ' & \\cdots' : ''}\\end{bmatrix},\\quad \\frac{\\partial L}{\\partial b_{${j + 1}}} = ${num(L.db[j])}` })));
  }

  layers.forEach((L, li) => {
    const { general, rows, note } = updateRows(frame, L, li);
    add('update', `${layerName(li, n)}: update (${optimizerName(frame.optimizer)})`, li, li + 1, 'in', general, rows, note);
  });
  return steps;
}

function lossStep(frame, n) {
  const z = frame.logits;
  const rows = [];
  let general;
  const L = num(frame.loss, LOSS_DIGITS);
  if (frame.task === 'binary') {
    const y = frame.target[0];
    const p = frame.output[0];
    general = 'p = \\sigma(z),\\quad L = -\\left[y\\ln p + (1-y)\\ln(1-p)\\right],\\quad \\frac{\\partial L}{\\partial z} = p - y';
    rows.push({ unit: 0, tex: `p = \\sigma(${num(z[0])}) = ${num(p)},\\quad L = -\\left[${num(y)}\\ln ${num(p)} + ${num(1 - y)}\\ln ${num(1 - p)}\\right] = ${L}` });
    rows.push({ unit: 0, tex: `\\frac{\\partial L}{\\partial z} = ${num(p)} - ${num(y)} = ${num(frame.d_logits[0])}` });
  } else if (frame.task === 'multiclass') {
    const y = frame.target.indexOf(1);
    general = 'p_k = \\frac{e^{z_k}}{\\sum_m e^{z_m}},\\quad L = -\\ln p_y,\\quad \\frac{\\partial L}{\\partial z_k} = p_k - [k = y]';
    rows.push({ unit: y, tex: `y = ${y + 1},\\quad L = -\\ln ${num(frame.output[y])} = ${L}` });
    z.forEach((zk, k) => rows.push({ unit: k, tex: `p_{${k + 1}} = ${num(frame.output[k])},\\quad \\frac{\\partial L}{\\partial z_{${k + 1}}} = ${num(frame.output[k])} - ${k === y ? 1 : 0} = ${num(frame.d_logits[k])}` }));
  } else {
    const y = frame.target[0];
    general = 'L = (\\hat y - y)^2,\\quad \\frac{\\partial L}{\\partial \\hat y} = 2\\,(\\hat y - y)';
    rows.push({ unit: 0, tex: `L = (${num(z[0])} - ${fac(y)})^2 = ${L}` });
    rows.push({ unit: 0, tex: `\\frac{\\partial L}{\\partial \\hat y} = 2\\cdot(${num(z[0])} - ${fac(y)}) = ${num(frame.d_logits[0])}` });
  }
  return { key: 'loss', phase: 'loss', title: 'Loss for this sample', layer: n - 1, column: n, edges: null, general, rows, note: null };
}

const OPT_NAMES = { sgd: 'SGD', rmsprop: 'RMSProp', adagrad: 'Adagrad', adam: 'Adam', adamw: 'AdamW' };

/** "SGD", "SGD with momentum 0.9", "Adam"... */
export function optimizerName(opt) {
  const base = OPT_NAMES[opt.name] ?? opt.name;
  if (opt.name === 'sgd' && opt.momentum) return `${base} with ${opt.nesterov ? 'Nesterov ' : ''}momentum ${opt.momentum}`;
  return base;
}

/** The optimiser's rule (general TeX) and its per-parameter rows for layer L. */
export function updateRows(frame, L, li) {
  const opt = frame.optimizer;
  const s = frame.step;
  const eta = num(s.lr);
  const params = [];
  const units = range(Math.min(L.units, L.b.length));
  for (const j of units) {
    params.push({ unit: j, name: `b_{${j + 1}}`, key: 'b', at: (o) => o[j], w: L.b[j] });
    range(Math.min(L.a_prev.length, MAX_TERMS)).forEach((i) =>
      params.push({ unit: j, name: `W_{${i + 1},${j + 1}}`, key: 'W', at: (o) => o[i][j], w: L.W[i][j] }));
  }
  const st = (key, name) => L.state?.[key]?.[name];
  let general;
  let body;
  // body(p, g) -> [state line before Δ (or ''), the expression Δ equals]
  if (opt.name === 'sgd' && !opt.momentum) {
    general = `\\Delta w = -\\eta\\,g,\\quad \\eta = ${eta}`;
    body = (p, g) => ['', `-${eta}\\cdot${fac(g)}`];
  } else if (opt.name === 'sgd') {
    const mu = num(opt.momentum);
    general = `v \\leftarrow \\mu v + g,\\quad \\Delta w = ${opt.nesterov ? '-\\eta\\,(g + \\mu v)' : '-\\eta\\,v'},\\quad \\eta = ${eta},\\ \\mu = ${mu}`;
    body = (p, g) => {
      const v = p.at(st(p.key, 'v'));
      const old = (v - g) / opt.momentum; // the state before this step, for the substitution
      return [`v = ${mu}\\cdot${fac(old)} + ${fac(g)} = ${num(v)}`,
        opt.nesterov ? `-${eta}\\cdot(${num(g)} + ${mu}\\cdot${fac(v)})` : `-${eta}\\cdot${fac(v)}`];
    };
  } else if (opt.name === 'rmsprop' || opt.name === 'adagrad') {
    general = opt.name === 'adagrad'
      ? `s \\leftarrow s + g^2,\\quad \\Delta w = -\\eta\\,\\frac{g}{\\sqrt{s} + \\epsilon},\\quad \\eta = ${eta}`
      : `s \\leftarrow \\rho s + (1-\\rho) g^2,\\quad \\Delta w = -\\eta\\,\\frac{g}{\\sqrt{s} + \\epsilon},\\quad \\eta = ${eta},\\ \\rho = ${num(opt.rho)}` +
        (opt.momentum ? `\\ (\\text{with momentum } ${num(opt.momentum)})` : '');
    body = (p, g) => {
      const sv = num(p.at(st(p.key, 's')));
      return [`s = ${sv}`, `-${eta}\\cdot\\frac{${num(g)}}{\\sqrt{${sv}} + ${num(opt.eps)}}`];
    };
  } else {
    const decay = opt.name === 'adamw' && opt.weight_decay ? ` + \\lambda w` : '';
    general = `m \\leftarrow \\beta_1 m + (1-\\beta_1) g,\\ v \\leftarrow \\beta_2 v + (1-\\beta_2) g^2,\\ \\Delta w = -\\eta\\left(\\frac{\\hat m}{\\sqrt{\\hat v} + \\epsilon}${decay}\\right),\\quad \\eta = ${eta},\\ \\beta = (${num(opt.beta1)}, ${num(opt.beta2)}),\\ t = ${opt.t}` +
      (decay ? `,\\ \\lambda = ${num(opt.weight_decay)}` : '');
    body = (p, g) => {
      const m = num(p.at(st(p.key, 'm_hat')));
      const v = num(p.at(st(p.key, 'v_hat')));
      const dec = decay && p.key === 'W' ? ` + ${num(opt.weight_decay)}\\cdot${fac(p.w)}` : '';
      return [`\\hat m = ${m},\\ \\hat v = ${v}`, `-${eta}\\left(\\frac{${m}}{\\sqrt{${v}} + ${num(opt.eps)}}${dec}\\right)`];
    };
  }
  const rows = params.map((p) => {
    const g = p.at(L.grad_used[p.key]);
    const d = p.at(L.update[p.key]);
    const [pre, expr] = body(p, g);
    return { unit: p.unit, tex: `g = ${num(g)},\\ ${pre ? `${pre},\\ ` : ''}\\Delta ${p.name} = ${expr} = ${num(d)}` };
  });
  return { general, rows, note: stepNote(s) };
}

/** What changed g before the optimiser: L1/L2 and clipping (plain text), or null. */
export function stepNote(s) {
  const parts = [];
  if (s.l2) parts.push(`g includes the L2 term λ₂·w (λ₂ = ${s.l2}) on weights`);
  if (s.l1) parts.push(`g includes the L1 term λ₁·sign(w) (λ₁ = ${s.l1}) on weights`);
  if (s.clip_value) parts.push(`each g clipped to ±${s.clip_value}`);
  if (s.clip_norm) {
    const clipped = s.grad_norm > s.clip_norm;
    parts.push(`‖g‖ = ${Number(s.grad_norm.toPrecision(4))}${clipped ? ` clipped to ${s.clip_norm}` : ` ≤ ${s.clip_norm}: not clipped`}`);
  }
  return parts.length ? parts.join('; ') : null;
}
