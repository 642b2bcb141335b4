"""Every hidden unit's inference-mode output for a batch of inputs, without touching the model.

Per hidden block l (dense -> [bn] -> act -> [dropout]), for x (n, n_inputs):

    z_l = a_{l-1} W_l + b_l;  [BN] y_l = γ (z_l - μ_run) / √(σ²_run + ε) + β;  a_l = f(y_l)

Dropout is the identity at inference, so a_l is what the next layer receives. The pass uses its
own arrays (the layers' cached buffers, and the state that backward reads, stay untouched), so it
may run between any two training steps. Per-unit maps and unit health are built on it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from app.engine.activations import Activation
from app.engine.model import Model
from app.engine.numerics import Array


@dataclass(frozen=True)
class HiddenOutput:
    """A hidden block's outputs: the activation's input `pre` and output `post`, (n, units)."""

    name: str
    activation: Activation
    pre: Array
    post: Array


def hidden_outputs(model: Model, x: Array) -> list[HiddenOutput]:
    """Inference-mode (pre, post) activations of every hidden block for inputs x (n, n_inputs)."""
    xa = np.asarray(x)
    if xa.ndim != 2 or xa.shape[1] != model.spec.n_inputs:
        raise ValueError(f"expected x of shape (n, {model.spec.n_inputs}), got {xa.shape}")
    a = np.ascontiguousarray(xa, dtype=model.dtype)
    out: list[HiddenOutput] = []
    with np.errstate(all="ignore"):  # a diverged network gives inf/nan maps, not warnings
        for block in model.blocks:
            if block.activation is None:  # the output block: its activation lives in the loss
                break
            z = np.dot(a, block.dense.W)
            z += block.dense.b
            bn = block.batch_norm
            if bn is not None:
                scale = bn.gamma / np.sqrt(bn.running_var + bn.dtype.type(bn.eps))
                z = (z - bn.running_mean) * scale + bn.beta
            act = block.activation.act
            post = np.empty_like(z)
            act.forward(z, post, np.empty_like(z))
            out.append(HiddenOutput(block.name, act, z, post))
            a = post
    return out
