"""Carry a trainer across a network edit: kept units keep their weights and optimiser state.

An edit of the network (hidden layers added or removed at the end, units added or removed,
activation, batch norm or dtype changed) rebuilds the model from its new spec; `transplant(old,
new)` then copies into the freshly initialised `new` trainer everything that still has a place:

- layers: hidden layer i continues old hidden layer i, the output layer continues the old output
  layer (`dense_sources`); a layer with no counterpart keeps its fresh initialisation;
- units: unit j of a layer continues unit j of its old layer. W[r, c] is kept when both its input
  r and its unit c existed before (and the inputs are the same units: a layer whose input layer
  is new keeps its biases, and its W only if its shape is unchanged), so an unchanged layer keeps
  W and b, an added unit gets fresh incoming and outgoing weights, a removed unit's row and
  column are dropped. Batch-norm gamma,
  beta and running statistics follow their units when the layer had batch norm before;
- optimiser: the per-coordinate moments (SGD velocity, RMSProp / Adagrad / Adam accumulators) of
  kept coordinates, and the step count; new coordinates start from zero moments, as under a fresh
  optimiser. Adam's bias correction uses one step count for the whole network, so under Adam a
  new unit's first steps are up to a few times larger than a fresh Adam's, then settle;
- the epoch count, the schedule's state and the shuffling and dropout random streams. Early
  stopping starts its patience again: its best weights belong to the old shape.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from app.engine.model import Model
from app.engine.trainer import Trainer

SLOT_FIELDS = ("a", "b")  # moment buffers; `u` (the last update) is scratch and starts at zero


@dataclass(frozen=True)
class Transplant:
    """What an edit kept: per new dense layer the old one it continues, and parameter counts."""

    layer_sources: tuple[int | None, ...]
    kept: int  # parameters of the new network that carried their value over
    fresh: int  # parameters of the new network freshly initialised
    dropped: int  # parameters of the old network with no place in the new one


def dense_sources(n_old: int, n_new: int) -> tuple[int | None, ...]:
    """For each of `n_new` dense layers, the index of the old one it continues (None: new).

    Hidden layers match by position, the output layer (the last) matches the old output layer.
    """
    if n_old < 1 or n_new < 1:
        raise ValueError(f"expected at least one dense layer on each side, got {n_old}, {n_new}")
    hidden = [i if i < n_old - 1 else None for i in range(n_new - 1)]
    return (*hidden, n_old - 1)


def _segment(model: Model, name: str) -> tuple[int, int] | None:
    for seg in model.segments:
        if seg.name == name:
            return seg.start, seg.stop
    return None


def _block_sources(shape_new: tuple[int, ...], shape_old: tuple[int, ...]) -> np.ndarray:
    """Flat index into the old array for each entry of the new one; -1 where it is new."""
    grids = np.indices(shape_new)
    inside = np.ones(shape_new, dtype=bool)
    for axis, n_old in enumerate(shape_old):
        inside &= grids[axis] < n_old
    flat = np.ravel_multi_index(
        tuple(np.minimum(g, n - 1) for g, n in zip(grids, shape_old, strict=True)), shape_old
    )
    return np.where(inside, flat, -1).ravel()


def theta_sources(old: Model, new: Model) -> np.ndarray:
    """For each entry of `new.theta`, the index in `old.theta` it continues, or -1 (fresh)."""
    sources = np.full(new.n_params, -1, dtype=np.intp)
    layers = dense_sources(len(old.spec.sizes) - 1, len(new.spec.sizes) - 1)
    old_sizes, new_sizes = old.spec.sizes, new.spec.sizes
    for i, j in enumerate(layers):
        if j is None:
            continue
        w_new, w_old = (new_sizes[i], new_sizes[i + 1]), (old_sizes[j], old_sizes[j + 1])
        arrays: dict[str, tuple[tuple[int, ...], tuple[int, ...]]] = {
            "b": ((new_sizes[i + 1],), (old_sizes[j + 1],))
        }
        # W's rows are its inputs: kept when they are the same units as before (the layer below
        # continues the old one below), or when nothing about the shape changed.
        inputs_continue = (i == 0 and j == 0) or (i > 0 and layers[i - 1] == j - 1)
        if inputs_continue or w_new == w_old:
            arrays["W"] = (w_new, w_old)
        pairs = [(f"dense{i}.{k}", f"dense{j}.{k}", shapes) for k, shapes in arrays.items()]
        if i < len(new.spec.hidden) and new.spec.hidden[i].batch_norm:
            units = ((new_sizes[i + 1],), (old_sizes[j + 1],))
            pairs += [(f"bn{i}.{k}", f"bn{j}.{k}", units) for k in ("gamma", "beta")]
        for new_name, old_name, (shape_new, shape_old) in pairs:
            at_new, at_old = _segment(new, new_name), _segment(old, old_name)
            if at_new is None or at_old is None:  # batch norm switched on: fresh gamma, beta
                continue
            block = _block_sources(shape_new, shape_old)
            sources[at_new[0] : at_new[1]] = np.where(block >= 0, block + at_old[0], -1)
    return sources


def _state_sources(old: Model, new: Model) -> np.ndarray:
    """Like theta_sources, for the batch-norm running statistics in `model.state`."""

    def offsets(model: Model) -> dict[int, tuple[int, int]]:
        found, pos = {}, 0
        for i, h in enumerate(model.spec.hidden):
            if h.batch_norm:
                found[i] = (pos, h.units)
                pos += 2 * h.units
        return found

    sources = np.full(new.state.size, -1, dtype=np.intp)
    old_at, new_at = offsets(old), offsets(new)
    for i, (start, units) in new_at.items():
        if i not in old_at:
            continue
        old_start, old_units = old_at[i]
        n = min(units, old_units)
        for part in (0, 1):  # running mean, then running variance
            dst = start + part * units
            sources[dst : dst + n] = np.arange(
                old_start + part * old_units, old_start + part * old_units + n
            )
    return sources


def _copy(dst: np.ndarray, src: np.ndarray, sources: np.ndarray) -> None:
    kept = sources >= 0
    dst[kept] = src[sources[kept]]


def transplant(old: Trainer, new: Trainer) -> Transplant:
    """Copy into `new` (freshly built for the edited network) what `old` had that still fits."""
    sources = theta_sources(old.model, new.model)
    _copy(new.model.theta, old.model.theta, sources)
    _copy(new.model.state, old.model.state, _state_sources(old.model, new.model))
    _copy_optimizer(old, new, sources)
    new.epoch = old.epoch
    new.schedule.scale = old.schedule.scale
    new.schedule.best_loss = old.schedule.best_loss
    new.schedule.bad_epochs = old.schedule.bad_epochs
    new.rng.bit_generator.state = old.rng.bit_generator.state
    new.model.rng.bit_generator.state = old.model.rng.bit_generator.state
    kept = int(np.count_nonzero(sources >= 0))
    return Transplant(
        layer_sources=dense_sources(len(old.model.spec.sizes) - 1, len(new.model.spec.sizes) - 1),
        kept=kept,
        fresh=new.model.n_params - kept,
        dropped=old.model.n_params - kept,
    )


def _copy_optimizer(old: Trainer, new: Trainer, sources: np.ndarray) -> None:
    """Moments of kept coordinates, when both trainers use the same optimiser."""
    old_opt, new_opt = old.optimizer, new.optimizer
    if old_opt.name != new_opt.name:
        return
    # The per-key state has no public accessor (as in checkpoint.py); the trainer uses one key.
    slot = old_opt._state.get("theta")
    if slot is None or slot.t == 0:
        return
    theta = new.model.theta
    new_opt._slot("theta", theta, theta)
    fresh = new_opt._state["theta"]
    fresh.t = slot.t
    for name in SLOT_FIELDS:
        src, dst = getattr(slot, name), getattr(fresh, name)
        if src is not slot.u and dst is not fresh.u:  # a or b alias u when the optimiser lacks them
            _copy(dst, src, sources)
