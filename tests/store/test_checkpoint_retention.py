"""Checkpoints: taken densely early and sparsely later, thinned to a bounded set spread over the
whole run, the newest always kept (app/store/retention.py, app/training/recorder.py)."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from app.store import RunStore
from app.store.retention import CheckpointRetention
from app.training.recorder import CADENCE, Cadence, checkpoint_policy

SMALL = CheckpointRetention(max_count=8, max_bytes=10_000, keep_newest=3)


def cadence_epochs(last: int, cadence: Cadence = CADENCE) -> list[int]:
    """The periodic checkpoints of an uninterrupted run of `last` epochs (epoch 0 included)."""
    epochs = [0]
    while epochs[-1] + cadence.interval(epochs[-1]) <= last:
        epochs.append(epochs[-1] + cadence.interval(epochs[-1]))
    return epochs


def kept(policy: CheckpointRetention, points: list[tuple[int, int]]) -> list[int]:
    """Positions kept when the points arrive one by one, as the store thins after each save."""
    alive: list[tuple[int, int]] = []
    for point in points:
        alive.append(point)
        for index in reversed(policy.doomed(alive)):
            del alive[index]
    return [position for position, _ in alive]


def test_the_cadence_is_dense_early_and_bounded_late() -> None:
    short = cadence_epochs(300)
    assert short[:11] == list(range(0, 101, 10)), "every 10 epochs at first"
    assert 15 <= len(short) <= 30, "a 300-epoch demo replays as many frames"
    gaps = [b - a for a, b in itertools.pairwise(short)]
    assert gaps == sorted(gaps), "the gaps only grow"
    long = cadence_epochs(100_000)
    assert max(b - a for a, b in itertools.pairwise(long)) == CADENCE.max_every


@pytest.mark.parametrize("last", [50, 300, 3_000, 100_000])
def test_retention_is_bounded_spread_and_keeps_the_newest(last: int) -> None:
    epochs = cadence_epochs(last)
    policy = CheckpointRetention()
    stays = kept(policy, [(e, 4_000) for e in epochs])
    assert len(stays) == min(len(epochs), policy.max_count)
    assert stays[0] == 0 and stays[-policy.keep_newest :] == epochs[-policy.keep_newest :]
    assert stays == sorted(stays)
    if len(epochs) > policy.max_count:  # thinned: no stretch of the run left bare
        gaps = [b - a for a, b in itertools.pairwise(stays)]
        assert max(gaps) <= 3 * last / policy.max_count, gaps


def test_retention_respects_the_byte_budget_but_never_drops_the_newest() -> None:
    stays = kept(SMALL, [(e, 3_000) for e in range(0, 200, 10)])
    assert 3_000 * (len(stays) - 1) <= SMALL.max_bytes and stays[-1] == 190
    assert stays[-3:] == [170, 180, 190] and stays[0] == 0
    huge = kept(SMALL, [(e, 50_000) for e in range(0, 50, 10)])  # each alone over the budget
    assert huge == [40], "only the newest, which a resume needs"


def test_the_store_thins_checkpoints_over_segments(tmp_path: Path) -> None:
    store = RunStore.open(tmp_path, checkpoint_retention=SMALL)
    try:
        store.create_run("r1", "first", {}, "running")
        for segment, last in ((0, 200), (1, 100)):
            for epoch in range(0, last + 1, 10):
                store.save_checkpoint("r1", segment, epoch, {}, lambda e=epoch: b"x" * 100)
        store.flush()
        points = store.checkpoints("r1")
        assert len(points) == SMALL.max_count
        assert points[0] == (0, 0) and points[-3:] == [(1, 80), (1, 90), (1, 100)]
        assert any(s == 0 and 50 <= e <= 150 for s, e in points), "the middle of the run"
        assert store.latest_checkpoint("r1")[:2] == (1, 100)  # type: ignore[index]
    finally:
        store.close()


def test_the_policy_sentence_states_the_numbers() -> None:
    text = checkpoint_policy(CADENCE, SMALL)
    assert f"every {CADENCE.min_every} epochs" in text and f"{CADENCE.max_every}" in text
    assert f"newest {SMALL.keep_newest}" in text and f"{SMALL.max_count} at most" in text
