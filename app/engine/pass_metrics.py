"""Training figures gathered during the epoch's pass, from each mini-batch's own forward.

On large training sets the trainer takes the training figures from the mini-batches' logits,
each computed before that batch's step, instead of a second, evaluation-mode pass over the whole
set (app.engine.evaluation says when). Each batch's logits are copied into one epoch-long buffer
(one NumPy call per batch); at the epoch's end `Loss.evaluate` scores that buffer against the
epoch's (shuffled) targets in one vectorised call, with the same formulas as an evaluation pass.
So the loss and accuracy (R² and MAE for regression) are over every training row of the epoch,
each row scored with the weights of the step that used it.
"""

from __future__ import annotations

from app.engine.losses import Loss
from app.engine.numerics import Array, aligned_empty

Figures = tuple[float, float, float | None]  # (loss, accuracy or R², MAE or None)


class PassMeter:
    """Keeps one epoch's logits batch by batch; `figures(targets)` at the epoch's end."""

    def __init__(self, loss: Loss, n_outputs: int, batch_bounds: list[tuple[int, int]]) -> None:
        self.loss = loss
        n = batch_bounds[-1][1] if batch_bounds else 0
        self.logits = aligned_empty((n, n_outputs), loss.dtype)
        self.views = [self.logits[a:b] for a, b in batch_bounds]

    def figures(self, targets: Array) -> Figures:
        """(mean loss, accuracy or R², MAE or None) of the kept logits against `targets`."""
        return self.loss.evaluate(self.logits, targets)
