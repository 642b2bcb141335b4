"""Model spec, construction and the Model: a stack of hidden blocks and an output Dense layer.

Hidden block i: dense{i} -> [bn{i}] -> act{i} -> [drop{i}]. Output: dense{L}, giving logits (the
output activation lives in the loss). Parameter memory layout, one flat buffer `model.flat` of
3 P' values (P = number of parameters, P' = P rounded up to whole 64-byte lines):

    flat  = [ theta (P) pad | grad (P) pad | work (P) pad ]   (each part 64-byte aligned)
    theta = [ W1 ... WL W0 | b0 b1 ... bL | gamma_i beta_i (BN layers) ]

Every layer array is a view into it, so optimiser, L1/L2 (on `theta[:n_weights]`, the Dense
weights only) and clipping run as a few NumPy calls on whole vectors, and one `np.add.reduceat`
over `flat` gives every per-segment squared norm of weights, gradients and updates (`work` is the
trainer's scratch for the update). BN running statistics live in `model.state`; `buffers()`
names them next to `parameters()`.
W0 sits last among the weights so that b0 follows it: [W0; b0] is one (n_in + 1, n_out) matrix,
and `forward(x1, training, augmented=True)` with x1 = [x | 1] adds the first bias inside the
matrix product (the trainer's path; it saves a broadcast pass per step, ~5 % of (b)'s epoch).
`segments` lists the parameter arrays in layer order (W0 ... WL, b0 ... bL, BN), not memory order.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np

from app.engine.activations import ACTIVATION_NAMES, ACTIVATIONS, ALIASES
from app.engine.initializers import INITIALIZERS, initialize
from app.engine.layers import ActivationLayer, BatchNorm, Dense, Dropout, Layer
from app.engine.losses import LOSSES, Loss, make_loss
from app.engine.numerics import Array, aligned_empty, aligned_full, padded, resolve_dtype

TASKS = tuple(LOSSES)


@dataclass(frozen=True)
class LayerSpec:
    """One hidden layer: width, activation, batch norm before the activation, dropout after it."""

    units: int
    activation: str = "tanh"
    batch_norm: bool = False
    dropout: float = 0.0

    def __post_init__(self) -> None:
        if int(self.units) != self.units or self.units < 1:
            raise ValueError(f"units must be a positive integer, got {self.units!r}")
        if ALIASES.get(self.activation, self.activation) not in ACTIVATIONS:
            choices = ", ".join(ACTIVATION_NAMES)
            raise ValueError(f"unknown activation {self.activation!r}; expected one of {choices}")
        if not 0.0 <= self.dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1), got {self.dropout}")


@dataclass(frozen=True)
class ModelSpec:
    """A whole network: sizes, hidden layers, task (binary|multiclass|regression), init, dtype."""

    n_inputs: int
    n_outputs: int
    hidden: tuple[LayerSpec, ...] = field(default_factory=tuple)
    task: str = "binary"
    init: str = "xavier"
    init_scale: float = 1.0
    dtype: str = "float32"

    def __post_init__(self) -> None:
        object.__setattr__(self, "hidden", tuple(self.hidden))
        if self.n_inputs < 1 or self.n_outputs < 1:
            raise ValueError(
                f"n_inputs and n_outputs must be >= 1, got {self.n_inputs}, {self.n_outputs}"
            )
        if self.task not in TASKS:
            raise ValueError(f"unknown task {self.task!r}; expected one of {', '.join(TASKS)}")
        if self.init not in INITIALIZERS:
            raise ValueError(
                f"unknown init {self.init!r}; expected one of {', '.join(INITIALIZERS)}"
            )
        if not np.isfinite(self.init_scale) or self.init_scale < 0:
            raise ValueError(f"init_scale must be a finite number >= 0, got {self.init_scale}")
        resolve_dtype(self.dtype)
        for h in self.hidden:
            if not isinstance(h, LayerSpec):
                raise TypeError(f"hidden layers must be LayerSpec, got {type(h).__name__}")

    @property
    def sizes(self) -> tuple[int, ...]:
        """Layer widths from input to output, e.g. (2, 8, 8, 1)."""
        return (self.n_inputs, *(h.units for h in self.hidden), self.n_outputs)


class Segment(NamedTuple):
    """A named parameter array's place in `theta`: theta[start:stop]."""

    name: str
    start: int
    stop: int


@dataclass
class Block:
    """A Dense layer with what follows it (hidden blocks), for statistics and snapshots."""

    name: str
    dense: Dense
    batch_norm: BatchNorm | None
    activation: ActivationLayer | None  # None for the output layer
    dropout: Dropout | None


class Model:
    """Forward/backward over the layer stack; all parameters are views into `flat`."""

    def __init__(self, spec: ModelSpec, rng: np.random.Generator) -> None:
        self.spec = spec
        self.dtype = dt = resolve_dtype(spec.dtype)
        self.loss: Loss = make_loss(spec.task, spec.n_outputs, dt)
        sizes = spec.sizes
        n_dense = len(sizes) - 1
        w_sizes = [sizes[i] * sizes[i + 1] for i in range(n_dense)]
        self.n_weights = sum(w_sizes)
        bn_units = [h.units for h in spec.hidden if h.batch_norm]
        self.n_params = P = self.n_weights + sum(sizes[1:]) + 2 * sum(bn_units)
        Pp = padded(P, dt)
        self.flat = aligned_full(3 * Pp, 0.0, dt)
        self.theta, self.grad, self.work = (self.flat[i * Pp : i * Pp + P] for i in range(3))
        self.state = np.zeros(2 * sum(bn_units), dtype=dt)

        segs: list[Segment] = []
        pos = 0

        def take(name: str, count: int) -> slice:
            nonlocal pos
            segs.append(Segment(name, pos, pos + count))
            pos += count
            return slice(pos - count, pos)

        w_sl = [slice(0)] * n_dense
        for i in [*range(1, n_dense), 0]:  # W0 last, right before b0
            w_sl[i] = take(f"dense{i}.W", w_sizes[i])
        segs.insert(0, segs.pop())  # segments in layer order: dense0.W first
        b_sl = [take(f"dense{i}.b", sizes[i + 1]) for i in range(n_dense)]
        bn_sl = {}
        for i, h in enumerate(spec.hidden):
            if h.batch_norm:
                bn_sl[i] = (take(f"bn{i}.gamma", h.units), take(f"bn{i}.beta", h.units))
        assert pos == P
        self.segments: tuple[Segment, ...] = tuple(segs)
        self.segment_starts = np.array([s.start for s in segs], dtype=np.intp)
        self.weight_slices: tuple[slice, ...] = tuple(w_sl)
        self.bias_slices: tuple[slice, ...] = tuple(b_sl)
        self.dense_names: list[str] = [f"dense{i}" for i in range(n_dense)]

        th, gr = self.theta, self.grad
        for i, sl in enumerate(w_sl):
            th[sl] = initialize(spec.init, rng, sizes[i], sizes[i + 1], spec.init_scale).ravel()
        # Dropout masks get their own stream, so dropout settings never shift the init draws.
        self.rng = np.random.default_rng(int(rng.integers(2**63)))

        self.layers: list[tuple[str, Layer]] = []
        self.blocks: list[Block] = []
        state_pos = 0
        for i in range(n_dense):
            shape = (sizes[i], sizes[i + 1])
            dense = Dense(
                th[w_sl[i]].reshape(shape), th[b_sl[i]], gr[w_sl[i]].reshape(shape), gr[b_sl[i]]
            )
            self.layers.append((f"dense{i}", dense))
            if i == 0:
                aug = slice(w_sl[0].start, b_sl[0].stop)
                dense.W_aug = th[aug].reshape(sizes[0] + 1, sizes[1])
                dense.grad_aug = gr[aug].reshape(sizes[0] + 1, sizes[1])
            if i == n_dense - 1:
                self.blocks.append(Block(f"dense{i}", dense, None, None, None))
                break
            h = spec.hidden[i]
            bn = None
            if h.batch_norm:
                g_sl, be_sl = bn_sl[i]
                th[g_sl] = 1.0
                rm = self.state[state_pos : state_pos + h.units]
                rv = self.state[state_pos + h.units : state_pos + 2 * h.units]
                rv[:] = 1.0
                state_pos += 2 * h.units
                bn = BatchNorm(th[g_sl], th[be_sl], gr[g_sl], gr[be_sl], rm, rv)
                self.layers.append((f"bn{i}", bn))
            act = ActivationLayer(h.activation, dt)
            self.layers.append((f"act{i}", act))
            drop = Dropout(h.dropout, self.rng, dt)
            self.layers.append((f"drop{i}", drop))
            self.blocks.append(Block(f"dense{i}", dense, bn, act, drop))
        self._eval_chain: list[Layer] = [
            layer for _, layer in self.layers if not isinstance(layer, Dropout)
        ]
        self._eval_forward = [layer.forward for layer in self._eval_chain]
        self._eval_rest = self._eval_forward[1:]  # after the first Dense
        self._rebuild_train_chain()

    def _rebuild_train_chain(self) -> None:
        chain = [
            layer
            for _, layer in self.layers
            if not (isinstance(layer, Dropout) and layer.rate == 0.0)
            and not (isinstance(layer, ActivationLayer) and layer.identity)
        ]
        self._train_chain = chain
        # a training-mode forward differs from an evaluation one (active dropout, batch norm)
        self.forward_differs_in_training = any(
            isinstance(layer, Dropout | BatchNorm) for layer in chain
        )
        first = chain[0]
        assert isinstance(first, Dense)
        self._first: Dense = first
        self._backward_chain = chain[:0:-1]  # reversed, without the first Dense
        # bound methods: one attribute lookup less per layer and step
        self._train_forward = [layer.forward for layer in chain]
        self._train_rest = self._train_forward[1:]
        self._backward = [layer.backward for layer in self._backward_chain]

    # -- running ---------------------------------------------------------------------------
    def forward(self, x: Array, training: bool, augmented: bool = False) -> Array:
        """Logits (n, n_outputs) for x (n, n_inputs); training=True uses dropout and batch stats.

        augmented=True: x is (n, n_inputs + 1) with a last column of ones (`augment`), and the
        first layer adds its bias inside the matrix product.
        """
        if x.dtype != self.dtype:
            x = np.ascontiguousarray(x, dtype=self.dtype)
        if augmented:
            x = self._first.forward_augmented(x, training)
            rest = self._train_rest if training else self._eval_rest
            for fwd in rest:
                x = fwd(x, training)
            return x
        if training:
            for fwd in self._train_forward:
                x = fwd(x, True)
        else:
            for fwd in self._eval_forward:
                x = fwd(x, False)
        return x

    def augment(self, x: Array) -> Array:
        """[x | 1] as a new 64-byte aligned C array of the model's dtype, for augmented=True."""
        xa = np.asarray(x)
        if xa.ndim != 2 or xa.shape[1] != self.spec.n_inputs:
            raise ValueError(f"expected x of shape (n, {self.spec.n_inputs}), got {xa.shape}")
        out = aligned_empty((xa.shape[0], xa.shape[1] + 1), self.dtype)
        np.copyto(out[:, :-1], xa, casting="unsafe")
        out[:, -1] = 1.0
        return out

    def backward(self, dlogits: Array) -> None:
        """Fill `model.grad` from dL/dlogits (after forward(training=True))."""
        d = dlogits
        for bwd in self._backward:
            d = bwd(d)
        self._first.backward_params(d)

    def predict(self, x: Array) -> Array:
        """Eval-mode outputs: P(class 1) (n,), class probabilities (n, k) or values (n,)."""
        x = np.asarray(x)
        if x.ndim != 2 or x.shape[1] != self.spec.n_inputs:
            raise ValueError(f"expected x of shape (n, {self.spec.n_inputs}), got {x.shape}")
        with np.errstate(all="ignore"):
            return self.loss.outputs(self.forward(x, False))

    # -- parameters and structure ----------------------------------------------------------
    def parameters(self) -> Iterator[tuple[str, Array, Array]]:
        """(name, value, grad) for every parameter array, in layer order."""
        for lname, layer in self.layers:
            for key, value in layer.params.items():
                yield f"{lname}.{key}", value, layer.grads[key]

    def buffers(self) -> Iterator[tuple[str, Array]]:
        """(name, array) for every non-trained state array (batch-norm running statistics).

        Names like `bn0.running_mean`, `bn0.running_var`; the arrays are live views into
        `model.state` (copy to keep, write to change what evaluation uses).
        """
        for lname, layer in self.layers:
            if isinstance(layer, BatchNorm):
                for key, value in layer.buffers.items():
                    yield f"{lname}.{key}", value

    def dense_weights(self) -> list[tuple[str, Array, Array]]:
        """(name, W, b) per Dense layer, output included; views: copy to keep."""
        return [(b.name, b.dense.W, b.dense.b) for b in self.blocks]

    dense_layers = dense_weights  # alias

    @property
    def hidden_count(self) -> int:
        """Number of hidden layers."""
        return len(self.spec.hidden)

    def set_dropout(self, rates: Sequence[float]) -> None:
        """Change every hidden layer's dropout rate live (no rebuild)."""
        if len(rates) != self.hidden_count:
            raise ValueError(f"expected {self.hidden_count} dropout rates, got {len(rates)}")
        for r in rates:
            if not 0.0 <= r < 1.0:
                raise ValueError(f"dropout rates must be in [0, 1), got {r}")
        for block, r in zip(self.blocks, rates, strict=False):
            assert block.dropout is not None
            block.dropout.rate = float(r)
        self._rebuild_train_chain()

    @property
    def dropout_rates(self) -> list[float]:
        """Current dropout rate per hidden layer."""
        return [b.dropout.rate for b in self.blocks if b.dropout is not None]


def build_model(spec: ModelSpec, rng: np.random.Generator) -> Model:
    """Build and initialise a Model (weights from `spec.init`, biases 0, BN gamma 1 / beta 0)."""
    return Model(spec, rng)


def count_parameters(spec: ModelSpec) -> int:
    """Number of trainable parameters a spec would have, without building it."""
    s = spec.sizes
    dense = sum(s[i] * s[i + 1] + s[i + 1] for i in range(len(s) - 1))
    return dense + sum(2 * h.units for h in spec.hidden if h.batch_norm)


def describe(model: Model) -> dict[str, Any]:
    """Small JSON-able summary of a model's structure."""
    return {
        "sizes": list(model.spec.sizes),
        "n_params": model.n_params,
        "n_weights": model.n_weights,
        "layers": [name for name, _ in model.layers],
    }
