"""Early stopping: patience, best epoch and parameters, min_delta, NaN, restore."""

from __future__ import annotations

import numpy as np
import pytest

from app.engine.early_stopping import EarlyStopping, EarlyStoppingSpec

NAN = float("nan")


def feed(stopper: EarlyStopping, losses: list[float]) -> tuple[int | None, np.ndarray]:
    """Feed the losses (theta = [epoch, epoch]); return the epoch that said stop and theta."""
    theta = np.zeros(2)
    for epoch, loss in enumerate(losses):
        theta[:] = epoch  # the same buffer every epoch, as the trainer does
        if stopper.update(epoch, loss, theta):
            return epoch, theta
    return None, theta


def test_stops_after_patience_and_keeps_the_best() -> None:
    stopper = EarlyStopping(EarlyStoppingSpec(patience=3))
    stop, theta = feed(stopper, [1.0, 0.9, 0.95, 0.96, 0.97, 0.5])
    assert stop == 4  # epochs 2, 3, 4 did not improve on epoch 1
    assert (stopper.best_epoch, stopper.best_loss) == (1, 0.9)
    assert stopper.best_theta is not None
    np.testing.assert_array_equal(stopper.best_theta, [1.0, 1.0])  # a copy, not the live buffer
    assert stopper.stopped_epoch == 4
    assert stopper.restore(theta)
    np.testing.assert_array_equal(theta, [1.0, 1.0])


def test_does_not_stop_before_patience() -> None:
    stopper = EarlyStopping(EarlyStoppingSpec(patience=3))
    assert feed(stopper, [1.0, 1.1, 1.2, 0.8, 0.9, 0.9])[0] is None
    assert stopper.best_epoch == 3 and stopper.wait == 2


def test_min_delta_is_respected() -> None:
    stopper = EarlyStopping(EarlyStoppingSpec(patience=2, min_delta=0.1))
    stop, _ = feed(stopper, [1.0, 0.95, 0.91, 0.5])
    assert stop == 2  # 0.95 and 0.91 improve by less than 0.1
    assert stopper.best_epoch == 0
    stopper = EarlyStopping(EarlyStoppingSpec(patience=2, min_delta=0.1))
    assert feed(stopper, [1.0, 0.85, 0.7])[0] is None
    assert stopper.best_epoch == 2


def test_nan_never_improves() -> None:
    stopper = EarlyStopping(EarlyStoppingSpec(patience=2))
    assert feed(stopper, [1.0, NAN, NAN])[0] == 2
    assert (stopper.best_epoch, stopper.best_loss) == (0, 1.0)
    first_nan = EarlyStopping(EarlyStoppingSpec(patience=5))
    assert feed(first_nan, [NAN, float("inf")])[0] is None
    assert first_nan.best_epoch == -1 and first_nan.best_theta is None
    assert not first_nan.restore(np.zeros(2))


def test_patience_zero_stops_at_first_non_improvement() -> None:
    stopper = EarlyStopping(EarlyStoppingSpec(patience=0))
    assert feed(stopper, [1.0, 0.9, 0.9])[0] == 2


def test_restore_best_false_keeps_theta() -> None:
    stopper = EarlyStopping(EarlyStoppingSpec(patience=1, restore_best=False))
    stop, theta = feed(stopper, [1.0, 2.0])
    assert stop == 1
    assert not stopper.restore(theta)
    np.testing.assert_array_equal(theta, [1.0, 1.0])


def test_reset_and_dtype() -> None:
    stopper = EarlyStopping(EarlyStoppingSpec(patience=3))
    theta = np.ones(3, dtype=np.float32)
    stopper.update(0, 1.0, theta)
    assert stopper.best_theta is not None and stopper.best_theta.dtype == np.float32
    stopper.reset()
    assert (stopper.best_epoch, stopper.best_theta, stopper.wait) == (-1, None, 0)


@pytest.mark.parametrize(
    "bad",
    [{"patience": -1}, {"patience": 1.5}, {"min_delta": -0.1}, {"min_delta": NAN}],
)
def test_bad_specs_are_rejected(bad: dict[str, object]) -> None:
    with pytest.raises(ValueError, match=r"expected .* received"):
        EarlyStoppingSpec(**bad)  # type: ignore[arg-type]
