"""Backprop inspector: one sample's forward pass, loss, backward pass and update, layer by layer.

For one input row x and its target on the model's current weights (nothing in the model or the
optimiser changes), per Dense block l (hidden blocks: dense -> [bn] -> act -> [dropout]):

    forward   z = a_prev W + b;  [BN, eval form] ẑ = (z - μ_run) / √(σ²_run + ε), y = γ ẑ + β;
              a = f(y);  [dropout] out = a ⊙ m,  m ∈ {0, 1/(1-p)}
    backward  ∂L/∂out = ∂L/∂z_next W_nextᵀ;  ∂L/∂a = ∂L/∂out ⊙ m;  ∂L/∂y = ∂L/∂a ⊙ f′(y);
              [BN] ∂L/∂γ = ∂L/∂y ⊙ ẑ, ∂L/∂β = ∂L/∂y, ∂L/∂z = ∂L/∂y ⊙ γ / √(σ²_run + ε);
              ∂L/∂W = a_prevᵀ ∂L/∂z (in, out), ∂L/∂b = ∂L/∂z

The output block's z are the logits; the loss folds the output activation in (losses.py), so
∂L/∂z_out comes from the loss itself. Batch norm takes its eval form, which is also what the
trainer does for a batch of one (normalization.py). The dropout mask is drawn from a Generator
the caller passes (never the model's stream, so training stays bit-identical).

The update is the trainer's step for this gradient: + L1/L2 gradient, clipping, then the
optimiser's step from its current state, run on deep copies of the optimiser and the weights.
`apply_update` writes exactly that step into the model and advances the optimiser's state.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from app.engine.activations import make_activation
from app.engine.clipping import clip_global_norm, clip_value, global_norm
from app.engine.model import Block, Model
from app.engine.numerics import Array
from app.engine.optimizers import Optimizer
from app.engine.regularizers import add_penalty_grad


@dataclass(frozen=True)
class StepSettings:
    """What the update of one step depends on besides the gradient: lr, L1/L2, clipping."""

    learning_rate: float
    l1: float = 0.0
    l2: float = 0.0
    clip_norm: float | None = None
    clip_value: float | None = None


@dataclass
class LayerTrace:
    """One Dense block's numbers for the sample; vectors are (units,), W and dW are (in, out)."""

    name: str
    activation: str | None  # None for the output block (its activation lives in the loss)
    a_prev: Array
    W: Array
    b: Array
    z: Array
    bn: dict[str, Array] | None = None  # mean, var, gamma, beta, eps (0-d), zhat, y
    a: Array | None = None
    fprime: Array | None = None
    dropout: dict[str, Any] | None = None  # rate (float), mask (units,)
    out: Array | None = None
    d_out: Array | None = None
    d_a: Array | None = None
    d_y: Array | None = None
    d_z: Array | None = None
    dW: Array | None = None
    db: Array | None = None
    d_gamma: Array | None = None
    d_beta: Array | None = None
    update: dict[str, Array] = field(default_factory=dict)  # W, b[, gamma, beta]: Δ per param
    grad_used: dict[str, Array] = field(default_factory=dict)  # after L1/L2 and clipping


@dataclass
class Walkthrough:
    """A sample's full forward/backward/update trace."""

    x: Array
    target: Array  # the prepared target row (one-hot for multiclass)
    task: str
    layers: list[LayerTrace]
    logits: Array
    output: Array  # P(class 1), class probabilities, or the predicted value
    loss: float
    d_logits: Array
    optimizer: dict[str, Any]
    step: dict[str, Any]  # lr, l1, l2, clipping, pre-clip norm, the flat gradient and update
    delta: Array  # Δθ for the whole flat parameter vector (θ_new = θ + Δθ)


def walkthrough(
    model: Model,
    x: Array,
    y: Any,
    optimizer: Optimizer,
    settings: StepSettings,
    rng: np.random.Generator,
) -> Walkthrough:
    """Trace one sample x (n_inputs,) with raw target y through the model and the optimiser."""
    dt = model.dtype
    xr = np.asarray(x, dtype=dt).reshape(-1)
    if xr.shape != (model.spec.n_inputs,):
        raise ValueError(f"expected one input row of {model.spec.n_inputs} values, got {xr.shape}")
    t = model.loss.prepare(np.asarray(y).reshape(1))
    traces: list[LayerTrace] = []
    h = xr
    for block in model.blocks:
        tr = _forward(block, h, rng)
        traces.append(tr)
        h = tr.out if tr.out is not None else tr.z
    logits = h.reshape(1, -1)
    loss = float(model.loss.value(logits, t))
    d_logits = model.loss.grad_into(logits, t, np.empty_like(logits)).reshape(-1)
    d = d_logits
    for i in range(len(traces) - 1, -1, -1):
        d = _backward(traces[i], d)
    grad = _flat_gradient(model, traces)
    step, delta, opt_info = _update(model, grad, optimizer, settings)
    for tr in traces:
        for key in ("W", "b", "gamma", "beta"):
            seg = _segment(model, tr, key)
            if seg is not None:
                shape = tr.W.shape if key == "W" else tr.b.shape
                tr.update[key] = delta[seg].reshape(shape)
                tr.grad_used[key] = step["grad"][seg].reshape(shape)
    _add_optimizer_state(opt_info, model, traces)
    output = np.asarray(model.loss.outputs(logits))[0]
    return Walkthrough(
        xr, t[0], model.spec.task, traces, logits[0], output, loss, d_logits, opt_info, step, delta
    )


def apply_update(model: Model, optimizer: Optimizer, walk: Walkthrough) -> None:
    """Apply the walkthrough's step: the real optimiser step (its state advances) on `model`."""
    grads = {"theta": walk.step["grad"].astype(model.dtype, copy=True)}
    optimizer.lr = float(walk.step["lr"])
    optimizer.step({"theta": model.theta}, grads)


def _forward(block: Block, a_prev: Array, rng: np.random.Generator) -> LayerTrace:
    dense = block.dense
    W, b = dense.W.copy(), dense.b.copy()
    z = np.dot(a_prev, W) + b
    tr = LayerTrace(block.name, None, a_prev, W, b, z)
    if block.activation is None:
        return tr
    y = z
    bn = block.batch_norm
    if bn is not None:
        mean, var = bn.running_mean.copy(), bn.running_var.copy()
        gamma, beta = bn.gamma.copy(), bn.beta.copy()
        eps = np.asarray(bn.eps, dtype=z.dtype)
        zhat = (z - mean) / np.sqrt(var + eps)
        y = gamma * zhat + beta
        tr.bn = {"mean": mean, "var": var, "gamma": gamma, "beta": beta, "eps": eps}
        tr.bn.update(zhat=zhat, y=y)
    act = make_activation(block.activation.act.name, z.dtype)
    tr.activation = act.name
    a, aux, tmp, fp = (np.empty((1, y.size), z.dtype) for _ in range(4))
    y2 = y.reshape(1, -1)
    act.forward(y2, a, aux)
    act.backward(y2, a, aux, tmp, np.ones_like(a), fp)
    tr.a, tr.fprime = a[0], fp[0]
    tr.out = tr.a
    drop = block.dropout
    if drop is not None and drop.rate > 0.0:
        keep = 1.0 - drop.rate
        mask = (rng.random(y.size) >= drop.rate).astype(z.dtype) * z.dtype.type(1.0 / keep)
        tr.dropout = {"rate": float(drop.rate), "mask": mask}
        tr.out = tr.a * mask
    return tr


def _backward(tr: LayerTrace, d_out: Array) -> Array:
    """Fill the trace's gradients from ∂L/∂(block output); return ∂L/∂a_prev."""
    if tr.activation is None:
        d_z = d_out
    else:
        assert tr.fprime is not None
        tr.d_out = d_out
        tr.d_a = d_out * tr.dropout["mask"] if tr.dropout is not None else d_out
        tr.d_y = tr.d_a * tr.fprime
        d_z = tr.d_y
        if tr.bn is not None:
            tr.d_gamma = tr.d_y * tr.bn["zhat"]
            tr.d_beta = tr.d_y.copy()
            d_z = tr.d_y * tr.bn["gamma"] / np.sqrt(tr.bn["var"] + tr.bn["eps"])
    tr.d_z = d_z
    tr.dW = np.outer(tr.a_prev, d_z)
    tr.db = d_z.copy()
    return np.dot(tr.W, d_z)


def _segment(model: Model, tr: LayerTrace, key: str) -> slice | None:
    index = int(tr.name.removeprefix("dense"))
    if key == "W":
        return model.weight_slices[index]
    if key == "b":
        return model.bias_slices[index]
    if tr.bn is None:
        return None
    for seg in model.segments:
        if seg.name == f"bn{index}.{key}":
            return slice(seg.start, seg.stop)
    raise ValueError(f"no parameter segment bn{index}.{key} in the model")


def _flat_gradient(model: Model, traces: list[LayerTrace]) -> Array:
    """The data-loss gradient laid out like `model.theta`."""
    g = np.zeros_like(model.theta)
    for tr in traces:
        for key, value in (("W", tr.dW), ("b", tr.db), ("gamma", tr.d_gamma), ("beta", tr.d_beta)):
            seg = _segment(model, tr, key)
            if seg is not None and value is not None:
                g[seg] = np.asarray(value).reshape(-1)
    return g


def _update(
    model: Model, data_grad: Array, optimizer: Optimizer, s: StepSettings
) -> tuple[dict[str, Any], Array, dict[str, Any]]:
    """The trainer's step for one gradient, on copies: (step info, Δθ, optimiser info)."""
    g = data_grad.copy()
    nw = model.n_weights
    if s.l1 or s.l2:
        add_penalty_grad(g[:nw], model.theta[:nw], s.l1, s.l2)
    pre_norm = global_norm(g)
    if s.clip_value is not None:
        clip_value(g, s.clip_value)
    if s.clip_norm is not None:
        clip_global_norm(g, s.clip_norm)
    opt = copy.deepcopy(optimizer)
    opt.lr = s.learning_rate
    theta = model.theta.copy()
    opt.step({"theta": theta}, {"theta": g})
    delta = theta - model.theta
    step = {
        "lr": s.learning_rate,
        "l1": s.l1,
        "l2": s.l2,
        "clip_norm": s.clip_norm,
        "clip_value": s.clip_value,
        "grad_norm": pre_norm,
        "grad_norm_clipped": global_norm(g),
        "grad": g,
    }
    info: dict[str, Any] = {"name": opt.name, "t": opt.steps_taken("theta"), "state": {}}
    info.update(_knobs(opt))
    info["_copy"] = opt
    return step, delta, info


def _knobs(opt: Optimizer) -> dict[str, Any]:
    spec = opt.spec
    if opt.name == "sgd":
        return {"momentum": spec.momentum, "nesterov": spec.nesterov}
    if opt.name == "rmsprop":
        return {"rho": spec.rho, "eps": spec.eps, "momentum": spec.momentum}
    if opt.name == "adagrad":
        return {"eps": spec.eps}
    knobs = {"beta1": spec.beta1, "beta2": spec.beta2, "eps": spec.eps}
    if opt.name == "adamw":
        knobs["weight_decay"] = spec.weight_decay
    return knobs


def _add_optimizer_state(info: dict[str, Any], model: Model, traces: list[LayerTrace]) -> None:
    """Per layer, the optimiser's state after the step in textbook form (v, s, m̂, v̂)."""
    opt: Optimizer = info.pop("_copy")
    slot = opt._state.get("theta")
    if slot is None:
        return
    t = slot.t
    flat: dict[str, Array] = {}
    if opt.name == "sgd" and opt.spec.momentum:
        flat["v"] = slot.a
    elif opt.name == "rmsprop":
        flat["s"] = slot.a * (1.0 - opt.spec.rho)
    elif opt.name == "adagrad":
        flat["s"] = slot.a
    elif opt.name in ("adam", "adamw"):
        b1, b2 = opt.spec.beta1, opt.spec.beta2
        flat["m_hat"] = slot.a * ((1.0 - b1) / (1.0 - b1**t))
        flat["v_hat"] = slot.b * ((1.0 - b2) / (1.0 - b2**t))
    state: dict[str, dict[str, dict[str, Array]]] = {}
    for tr in traces:
        per: dict[str, dict[str, Array]] = {}
        for key in ("W", "b"):
            seg = _segment(model, tr, key)
            assert seg is not None
            shape = tr.W.shape if key == "W" else tr.b.shape
            per[key] = {name: arr[seg].reshape(shape) for name, arr in flat.items()}
        state[tr.name] = per
    info["state"] = state
