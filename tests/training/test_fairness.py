"""Fair-share policy, pure: where a session goes, whether it should move, whose turn it is."""

from __future__ import annotations

import pytest

from app.training.executors.fairness import CROWDED_BY, Load, Turns, crowded, place, sharing


def test_placement_counts_running_sessions_not_paused_ones() -> None:
    # Worker 0 hosts ten paused sessions; worker 1 hosts two that train.
    assert place([Load(running=0, hosted=10), Load(running=2, hosted=2)]) == 0
    assert place([Load(running=3, hosted=3), Load(running=1, hosted=9)]) == 1


def test_placement_breaks_ties_by_hosted_sessions_then_order() -> None:
    assert place([Load(1, 5), Load(1, 2)]) == 1
    assert place([Load(1, 2), Load(1, 2)]) == 0
    with pytest.raises(ValueError, match="no worker"):
        place([])


def test_a_session_moves_only_when_that_evens_the_split() -> None:
    # Its worker runs 2 others, another runs 1: playing here makes 3 and 1, there 2 and 2.
    assert crowded(Load(2, 2), [Load(1, 9)])
    assert crowded(Load(CROWDED_BY - 1, 4), [Load(0, 4)])
    assert not crowded(Load(1, 2), [Load(1, 1)]), "2 and 1 is as even as 3 sessions get"
    assert not crowded(Load(0, 5), [Load(0, 0)]), "an idle worker is as good as another"
    assert not crowded(Load(3, 3), []), "nowhere to go"


def test_sharing_is_the_share_of_a_core_each_running_session_gets() -> None:
    assert sharing(5, 2) == pytest.approx(0.4)
    assert sharing(1, 2) == 1.0 and sharing(2, 2) == 1.0
    assert sharing(16, 2) == pytest.approx(0.125)
    assert sharing(0, 2) == 1.0


def test_turns_go_to_the_session_that_has_used_the_least_cpu() -> None:
    turns = Turns()
    used = {"light": 0.0, "heavy": 0.0}
    cost = {"light": 0.001, "heavy": 0.03}  # a light turn ends early; a heavy one runs long
    for _ in range(200):
        session = turns.pick(["heavy", "light"])
        turns.charge(session, cost[session])
        used[session] += cost[session]
    # Equal CPU time, give or take one heavy turn; round robin would give light 1/31 of it.
    assert abs(used["light"] - used["heavy"]) <= cost["heavy"] + 1e-9


def test_a_session_back_from_a_pause_starts_level_with_the_least_served() -> None:
    turns = Turns()
    for _ in range(10):
        turns.charge(turns.pick(["a", "b"]), 0.03)
    turns.leave("b")  # paused: no turns, and no credit for the time away
    for _ in range(10):
        turns.charge(turns.pick(["a"]), 0.03)
    picks = []
    for _ in range(10):
        session = turns.pick(["a", "b"])
        picks.append(session)
        turns.charge(session, 0.03)
    assert picks.count("b") <= 6, "b does not take a run of turns to catch up on its pause"
    assert picks.count("a") >= 4
    with pytest.raises(ValueError, match="no slice"):
        turns.pick([])


def test_a_session_behind_gets_a_longer_turn_but_at_most_twice_the_base() -> None:
    turns = Turns()
    turns.pick(["heavy", "light"])  # both start level
    turns.charge("heavy", 0.08)  # a long turn: a big network's boundary picture
    turns.charge("light", 0.03)
    assert turns.seconds("light", 0.03) == pytest.approx(0.06), "capped at twice the base"
    assert turns.seconds("heavy", 0.03) == pytest.approx(0.03)
    turns.charge("light", 0.04)
    assert turns.seconds("light", 0.03) == pytest.approx(0.04), "0.01 behind"
