"""Learning-rate schedules: values at chosen epochs, warmup, floor, plateau patience."""

from __future__ import annotations

import math

import pytest

from app.engine.schedules import SCHEDULES, ScheduleSpec, make_schedule

BASE = 0.1


def lrs(spec: ScheduleSpec, epochs: list[int], base: float = BASE) -> list[float]:
    sched = make_schedule(spec)
    return [sched.lr(e, base) for e in epochs]


def test_constant() -> None:
    assert lrs(ScheduleSpec("constant"), [0, 1, 1000]) == [0.1, 0.1, 0.1]


def test_step() -> None:
    got = lrs(ScheduleSpec("step", step_size=10, gamma=0.5), [0, 9, 10, 19, 20, 25])
    assert got == pytest.approx([0.1, 0.1, 0.05, 0.05, 0.025, 0.025])


def test_exponential() -> None:
    got = lrs(ScheduleSpec("exponential", gamma=0.9), [0, 1, 3])
    assert got == pytest.approx([0.1, 0.09, 0.0729])


def test_cosine_reaches_min_lr_and_stays() -> None:
    spec = ScheduleSpec("cosine", period=10, min_lr=0.01)
    # 0.01 + 0.09·(1 + cos(π·k/10))/2
    got = lrs(spec, [0, 5, 10, 11, 100])
    assert got == pytest.approx([0.1, 0.055, 0.01, 0.01, 0.01])
    assert lrs(spec, [2])[0] == pytest.approx(0.01 + 0.045 * (1 + math.cos(math.pi * 0.2)))


def test_cosine_with_warmup() -> None:
    spec = ScheduleSpec("cosine", warmup_epochs=4, period=10, min_lr=0.0)
    # warmup base·(e+1)/5 for e < 4, then cosine from epoch 4 on
    got = lrs(spec, [0, 1, 2, 3, 4, 9, 14, 30])
    assert got == pytest.approx([0.02, 0.04, 0.06, 0.08, 0.1, 0.05, 0.0, 0.0], abs=1e-15)


@pytest.mark.parametrize("kind", SCHEDULES)
def test_warmup_applies_to_every_kind(kind: str) -> None:
    spec = ScheduleSpec(kind, warmup_epochs=3, step_size=2, gamma=0.5, period=4)
    got = lrs(spec, [0, 1, 2, 3])
    assert got == pytest.approx([0.025, 0.05, 0.075, 0.1])


def test_step_after_warmup_counts_from_the_end_of_warmup() -> None:
    got = lrs(ScheduleSpec("step", warmup_epochs=2, step_size=5, gamma=0.1), [2, 6, 7, 12])
    assert got == pytest.approx([0.1, 0.1, 0.01, 0.001])


def test_min_lr_floors_decay_but_never_exceeds_base() -> None:
    assert lrs(ScheduleSpec("exponential", gamma=0.5, min_lr=0.01), [100]) == [0.01]
    assert lrs(ScheduleSpec("step", step_size=1, gamma=0.5, min_lr=0.01), [50]) == [0.01]
    # base below min_lr: the rate stays at base instead of rising
    assert lrs(ScheduleSpec("cosine", period=10, min_lr=0.5), [0, 5, 20]) == pytest.approx(
        [0.1, 0.1, 0.1]
    )


def test_live_base_lr_change_takes_effect_immediately() -> None:
    sched = make_schedule(ScheduleSpec("step", step_size=10, gamma=0.5))
    assert sched.lr(10, 0.1) == pytest.approx(0.05)
    assert sched.lr(10, 0.4) == pytest.approx(0.2)


def test_plateau_reduces_after_patience_not_before() -> None:
    sched = make_schedule(ScheduleSpec("plateau", patience=3, factor=0.5))
    sched.observe(1.0)  # first loss is the best
    sched.observe(1.0)
    sched.observe(1.2)
    assert sched.lr(3, BASE) == pytest.approx(0.1)  # 2 bad epochs: not yet
    sched.observe(1.1)
    assert sched.lr(4, BASE) == pytest.approx(0.05)  # 3rd bad epoch: halve
    sched.observe(1.0)
    sched.observe(1.0)
    assert sched.lr(6, BASE) == pytest.approx(0.05)  # counter restarted after reducing
    sched.observe(1.0)
    assert sched.lr(7, BASE) == pytest.approx(0.025)


def test_plateau_improvement_resets_and_nan_does_not_improve() -> None:
    sched = make_schedule(ScheduleSpec("plateau", patience=2, factor=0.1))
    sched.observe(1.0)
    sched.observe(1.5)
    sched.observe(0.5)  # improvement resets the count
    sched.observe(0.6)
    assert sched.lr(0, BASE) == pytest.approx(0.1)
    sched.observe(float("nan"))
    assert sched.lr(0, BASE) == pytest.approx(0.01)
    assert sched.best_loss == 0.5


def test_plateau_threshold_is_relative() -> None:
    sched = make_schedule(ScheduleSpec("plateau", patience=1, factor=0.5, threshold=0.01))
    sched.observe(1.0)
    sched.observe(0.995)  # 0.5 % better: below the 1 % threshold
    assert sched.lr(0, BASE) == pytest.approx(0.05)
    sched.observe(0.98)  # 2 % better
    assert sched.lr(0, BASE) == pytest.approx(0.05)
    assert sched.best_loss == 0.98


def test_plateau_floor_and_update_spec_keeps_state() -> None:
    sched = make_schedule(ScheduleSpec("plateau", patience=0, factor=0.5, min_lr=0.03))
    sched.observe(1.0)
    sched.observe(2.0)
    sched.observe(2.0)
    assert sched.lr(0, BASE) == pytest.approx(0.03)  # 0.025 floored
    sched.update_spec(ScheduleSpec("plateau", patience=5, factor=0.5))
    assert sched.lr(0, BASE) == pytest.approx(0.025)  # scale kept, floor gone
    sched.update_spec(ScheduleSpec("constant"))
    sched.update_spec(ScheduleSpec("plateau"))
    assert sched.lr(0, BASE) == pytest.approx(0.1)  # kind changed: state reset


def test_observe_is_ignored_by_other_kinds() -> None:
    sched = make_schedule(ScheduleSpec("constant"))
    for _ in range(50):
        sched.observe(float("nan"))
    assert sched.lr(50, BASE) == 0.1


@pytest.mark.parametrize(
    "bad",
    [
        {"kind": "linear"},
        {"step_size": 0},
        {"step_size": 2.5},
        {"gamma": 0.0},
        {"gamma": 1.5},
        {"warmup_epochs": -1},
        {"period": 0},
        {"min_lr": -0.1},
        {"patience": -1},
        {"factor": 1.0},
        {"factor": float("nan")},
        {"threshold": 1.0},
    ],
)
def test_bad_specs_are_rejected(bad: dict[str, object]) -> None:
    with pytest.raises(ValueError, match=r"expected .* received"):
        ScheduleSpec(**bad)  # type: ignore[arg-type]


def test_bad_lr_arguments_are_rejected() -> None:
    sched = make_schedule(ScheduleSpec())
    with pytest.raises(ValueError, match="epoch"):
        sched.lr(-1, BASE)
    with pytest.raises(ValueError, match="base_lr"):
        sched.lr(0, float("nan"))
