// Pure builders of the formula cards beside the controls: for a config (and the data's task),
// the TeX of what each sidebar section sets — optimiser rule with its hyperparameters, loss,
// activations and their derivatives, regulariser and clipping, learning-rate schedule. The
// conventions are the engine's (docs/conventions.md); no DOM here, Node tests run it.
import { ACTIVATIONS, num } from './inspector-tex.js';

const BR = ' \\newline '; // a line break inside one inline formula (KaTeX breaks it there)

const LOSSES = {
  binary: ['Binary cross-entropy (sigmoid folded in)', 'L = -\\frac1n\\sum_r \\left[y_r\\ln\\sigma(z_r) + (1-y_r)\\ln(1-\\sigma(z_r))\\right],\\quad \\frac{\\partial L}{\\partial z_r} = \\frac{\\sigma(z_r) - y_r}{n}'],
  multiclass: ['Softmax cross-entropy', 'L = -\\frac1n\\sum_r \\ln\\frac{e^{z_{r,y_r}}}{\\sum_k e^{z_{r,k}}},\\quad \\frac{\\partial L}{\\partial z_{r,k}} = \\frac{p_{r,k} - [k = y_r]}{n}'],
  regression: ['Mean squared error', 'L = \\frac1n\\sum_r (\\hat y_r - y_r)^2,\\quad \\frac{\\partial L}{\\partial \\hat y_r} = \\frac{2\\,(\\hat y_r - y_r)}{n}'],
};

/** The optimiser's update rule with the config's hyperparameters. */
export function optimizerCard(t) {
  const eta = num(t.learning_rate);
  const g = `g = \\frac{1}{B}\\sum_{r \\in \\text{batch}} \\nabla_w L_r,\\ B = ${t.batch_size}`;
  switch (t.optimizer) {
    case 'sgd':
      if (!t.momentum) return { title: 'SGD', tex: `${g}${BR}w \\leftarrow w - \\eta\\,g${BR}\\eta = ${eta}` };
      return { title: t.nesterov ? 'SGD with Nesterov momentum' : 'SGD with momentum',
        tex: `${g}${BR}v \\leftarrow \\mu v + g${BR}w \\leftarrow w - \\eta\\,${t.nesterov ? '(g + \\mu v)' : 'v'}${BR}\\eta = ${eta},\\ \\mu = ${num(t.momentum)}` };
    case 'rmsprop':
      return { title: 'RMSProp', tex: `${g}${BR}s \\leftarrow \\rho s + (1-\\rho) g^2${BR}` +
        (t.momentum ? `b \\leftarrow \\mu b + \\frac{g}{\\sqrt s + \\epsilon},\\ w \\leftarrow w - \\eta\\,b,\\ \\mu = ${num(t.momentum)}${BR}` : `w \\leftarrow w - \\eta\\,\\frac{g}{\\sqrt s + \\epsilon}${BR}`) +
        `\\eta = ${eta},\\ \\rho = ${num(t.rho)},\\ \\epsilon = ${num(t.eps)}` };
    case 'adagrad':
      return { title: 'Adagrad', tex: `${g}${BR}s \\leftarrow s + g^2${BR}w \\leftarrow w - \\eta\\,\\frac{g}{\\sqrt s + \\epsilon}${BR}\\eta = ${eta},\\ \\epsilon = ${num(t.eps)}` };
    default: {
      const decay = t.optimizer === 'adamw' && t.weight_decay;
      return { title: t.optimizer === 'adamw' ? 'AdamW' : 'Adam',
        tex: `${g}${BR}m \\leftarrow \\beta_1 m + (1-\\beta_1) g,\\ v \\leftarrow \\beta_2 v + (1-\\beta_2) g^2${BR}` +
          `\\hat m = \\frac{m}{1-\\beta_1^t},\\ \\hat v = \\frac{v}{1-\\beta_2^t}${BR}` +
          (decay ? `w \\leftarrow w\\,(1 - \\eta\\lambda) - \\eta\\,\\frac{\\hat m}{\\sqrt{\\hat v} + \\epsilon},\\ \\lambda = ${num(t.weight_decay)}${BR}` : `w \\leftarrow w - \\eta\\,\\frac{\\hat m}{\\sqrt{\\hat v} + \\epsilon}${BR}`) +
          `\\eta = ${eta},\\ \\beta_1 = ${num(t.beta1)},\\ \\beta_2 = ${num(t.beta2)},\\ \\epsilon = ${num(t.eps)}` };
    }
  }
}

/** The loss for `task`, then each hidden layer's activation, its derivative, BN and dropout. */
export function networkCards(model, task) {
  const cards = [];
  const loss = LOSSES[task];
  if (loss) cards.push({ title: `Loss: ${loss[0]}`, tex: loss[1] });
  (model.layers ?? []).forEach((l, i) => {
    const [f, fp] = ACTIVATIONS[l.activation] ?? ['f(y)', "f'(y)"];
    let tex = `z = a^{(${i})}W^{(${i + 1})} + b^{(${i + 1})}${BR}a^{(${i + 1})} = f(z)${BR}f(y) = ${f}${BR}f'(y) = ${fp}`;
    if (l.batch_norm) tex += `${BR}\\text{BN before } f: \\ y = \\gamma\\,\\frac{z - \\mu_B}{\\sqrt{\\sigma_B^2 + 10^{-5}}} + \\beta`;
    if (l.dropout > 0) tex += `${BR}\\text{dropout: } a \\odot m,\\ m \\in \\{0, \\tfrac{1}{1 - ${num(l.dropout)}}\\}`;
    cards.push({ title: `Layer ${i + 1}: ${l.units} units, ${l.activation}`, tex });
  });
  return cards;
}

/** L1/L2 penalty and gradient clipping as configured. */
export function regularisationCards(t) {
  const cards = [];
  if (t.l1 || t.l2) {
    const terms = [t.l1 ? `${num(t.l1)}\\sum|w|` : '', t.l2 ? `\\tfrac{${num(t.l2)}}{2}\\sum w^2` : ''].filter(Boolean);
    const grads = [t.l1 ? `${num(t.l1)}\\,\\mathrm{sign}(w)` : '', t.l2 ? `${num(t.l2)}\\,w` : ''].filter(Boolean);
    cards.push({ title: 'Penalty on the Dense weights (not biases)', tex: `R(W) = ${terms.join(' + ')}${BR}g \\leftarrow g + ${grads.join(' + ')}` });
  } else {
    cards.push({ title: 'No L1/L2 penalty', tex: 'R(W) = 0' });
  }
  if (t.clip_value) cards.push({ title: 'Clipping by value', tex: `g_i \\leftarrow \\max(-${num(t.clip_value)}, \\min(g_i, ${num(t.clip_value)}))` });
  if (t.clip_norm) cards.push({ title: 'Clipping by global norm', tex: `g \\leftarrow g\\cdot\\min\\left(1, \\frac{${num(t.clip_norm)}}{\\lVert g \\rVert_2}\\right)` });
  if (!t.clip_value && !t.clip_norm) cards.push({ title: 'No gradient clipping', tex: 'g \\text{ unchanged}' });
  return cards;
}

/** The learning rate of epoch e (0-based) under the schedule, with its parameters. */
export function scheduleCards(t) {
  const s = t.schedule ?? { kind: 'constant' };
  const eta = num(t.learning_rate);
  const floor = `\\eta_{\\min} = ${num(Math.min(s.min_lr ?? 0, t.learning_rate))}`;
  const kinds = {
    constant: `\\eta_e = \\eta = ${eta}`,
    step: `\\eta_e = \\max\\left(\\eta\\,\\gamma^{\\lfloor e / s \\rfloor}, \\eta_{\\min}\\right),\\ \\eta = ${eta},\\ \\gamma = ${num(s.gamma)},\\ s = ${s.step_size},\\ ${floor}`,
    exponential: `\\eta_e = \\max\\left(\\eta\\,\\gamma^{e}, \\eta_{\\min}\\right),\\ \\eta = ${eta},\\ \\gamma = ${num(s.gamma)},\\ ${floor}`,
    cosine: `\\eta_e = \\eta_{\\min} + (\\eta - \\eta_{\\min})\\,\\tfrac12\\left(1 + \\cos\\frac{\\pi \\min(e, T)}{T}\\right),\\ \\eta = ${eta},\\ T = ${s.period},\\ ${floor}`,
    plateau: `\\eta \\leftarrow \\max(${num(s.factor)}\\,\\eta, \\eta_{\\min}) \\text{ after } ${s.patience} \\text{ epochs without improvement},\\ \\eta_0 = ${eta},\\ ${floor}`,
  };
  const cards = [{ title: `Schedule: ${s.kind}`, tex: kinds[s.kind] ?? kinds.constant }];
  if (s.warmup_epochs) {
    cards.push({ title: 'Warm-up first', tex: `\\eta_e = \\eta\\,\\frac{e + 1}{W + 1} \\text{ for } e < W = ${s.warmup_epochs}, \\text{ then the schedule runs on } e - W` });
  }
  return cards;
}

/** Cards per sidebar section key for a config and the data's task (binary|multiclass|regression). */
export function formulaCards(config, task) {
  const t = config.training;
  return {
    training: [optimizerCard(t)],
    network: networkCards(config.model, task),
    regularisation: regularisationCards(t),
    schedule: scheduleCards(t),
  };
}
