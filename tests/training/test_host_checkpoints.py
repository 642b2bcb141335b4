"""Where a Run lives, its host decides when a checkpoint is due: main's cadence, a kept-history
edit, never non-finite weights, a fork's copy, and a close whose earlier answer was lost."""

from __future__ import annotations

import itertools
import time

import numpy as np

from app.engine.checkpoint import from_bytes
from app.schemas.config import SessionConfig, merge_config
from app.training.cadence import Cadence
from app.training.executors.host import RunHost
from app.training.run import Run

SMALL = {"dataset": {"samples": 60}, "model": {"layers": [{"units": 4}]}}


DENSE = Cadence(3, 10, 6)


def host(cadence: Cadence | None = DENSE) -> RunHost:
    return RunHost(Run(merge_config(SessionConfig(), SMALL)), cadence)


def test_periodic_checkpoints_follow_the_cadence() -> None:
    h = host(Cadence(3, 2, 8))  # every 3 epochs, then half the epochs so far, at most 8
    taken = []
    for _ in range(40):
        h.run.train_epoch()
        if (checkpoint := h.policy.at_epoch_end(h.run)) is not None:
            taken.append(checkpoint.epoch)
    assert taken[:3] == [3, 6, 9] and taken[-1] - taken[-2] == 8, taken
    assert all(b - a >= 3 for a, b in itertools.pairwise(taken)), taken
    assert host(None).policy.at_epoch_end(h.run) is None, "nothing records: no checkpoints"


def test_asked_checkpoints_are_taken_once_unless_the_answer_was_lost() -> None:
    h = host()
    h.run.train_epoch()
    first = h.checkpoint()
    assert first is not None and first.epoch == 1
    assert h.checkpoint() is None, "nothing new at this epoch"
    again = h.checkpoint(True)  # a session closing after its request was cancelled
    assert again is not None and from_bytes(again.data).epoch == 1


def test_no_checkpoint_of_non_finite_weights() -> None:
    h = host()
    h.run.train_epoch()
    h.run.model.theta[0] = np.nan
    assert h.checkpoint() is None and h.checkpoint(True) is None
    h.run.train_epoch()
    for _ in range(10):
        h.run.train_epoch()
        assert h.policy.at_epoch_end(h.run) is None


def test_a_kept_history_edit_starts_the_count_again_and_says_what_it_kept() -> None:
    h = host()
    for _ in range(3):
        h.run.train_epoch()
    assert h.checkpoint() is not None
    layers = [{"units": 4}, {"units": 3}]
    view = h.apply(merge_config(h.run.config, {"model": {"layers": layers}}).model_dump(), {})
    assert view is not None and view.epoch == 3, "the epoch count goes on"
    assert view.edit["kept_history"] and view.edit["layer_names"] == list(view.layer_names)
    assert len(view.edit["layer_sources"]) == 3
    after = h.checkpoint()  # the recorder asks right away: the new network's first checkpoint
    assert after is not None and after.epoch == 3
    assert after.config["model"]["layers"][1]["units"] == 3
    fresh = h.apply(merge_config(h.run.config, {"dataset": {"name": "xor"}}).model_dump(), {})
    assert fresh is not None and fresh.epoch == 0 and fresh.edit == {}


def test_a_fork_copy_is_taken_mid_epoch_too_and_the_policy_ignores_it() -> None:
    h = host()
    h.run.train_epoch()
    assert h.checkpoint() is not None
    assert h.run.train(time.perf_counter()) is None and h.run.trainer.in_epoch  # a batch or so
    copy = h.capture()
    assert copy.epoch == 1 and from_bytes(copy.data).epoch == 1
    assert h.checkpoint() is None, "a fork's copy is not this run's checkpoint"
    h.run.train_epoch()  # the rest of epoch 2
    assert h.checkpoint() is not None, "the next one comes as usual"
