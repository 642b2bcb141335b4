"""Markers where something changed, in `hello` and live; a network edit keeps the history."""

from __future__ import annotations

from app.training.markers import Markers, config_marker, marker_from_event, stored_markers
from tests.training.test_session import (
    collect,
    epochs_of,
    hello_of,
    run_isolated,
    running,
    send,
    until,
)


def test_config_frames_become_markers_of_the_right_kind() -> None:
    old = {"training": {"learning_rate": 0.01}, "dataset": {"seed": 1}}
    lr = {"training": {"learning_rate": 0.3}, "dataset": {"seed": 1}}
    frame = {"type": "config", "config": lr, "rebuilt": False, "fix": "Lower it"}
    marker = config_marker(old, frame, 12)
    assert marker == {
        "epoch": 12,
        "kind": "configure",
        "changes": [{"path": "training.learning_rate", "old": 0.01, "new": 0.3}],
        "fix": "Lower it",
    }
    assert config_marker(old, {"type": "config", "config": old, "rebuilt": False}, 3) is None
    reset = config_marker(old, {"type": "config", "config": old, "rebuilt": True}, 0)
    assert reset is not None and reset["kind"] == "reset"
    seed = {"training": {"learning_rate": 0.01}, "dataset": {"seed": 2}}
    regen = config_marker(old, {"type": "config", "config": seed, "rebuilt": False}, 5)
    assert regen is not None and regen["kind"] == "regenerate"
    edit = {"type": "config", "config": lr, "rebuilt": True, "kept_history": True}
    edit |= {"layer_sources": [0, None, 1], "kept": 30, "fresh": 9, "dropped": 0}
    marked = config_marker(old, edit, 7)
    assert marked is not None and marked["kind"] == "architecture"
    assert marked["layer_sources"] == [0, None, 1] and marked["kept"] == 30


def test_markers_watch_states_and_point_edits_and_stay_bounded() -> None:
    markers = Markers({"a": 1})
    assert markers.observe({"type": "state", "state": "paused"}, 3) is None
    diverged = markers.observe({"type": "state", "state": "diverged", "reason": "nan"}, 4)
    assert diverged == {"epoch": 4, "kind": "diverged", "changes": [], "reason": "nan"}
    points = {"type": "dataset", "train": {"y": [0, 1]}, "val": {"y": [1]}}
    assert markers.observe(points, 5) == {
        "epoch": 5,
        "kind": "points",
        "changes": [],
        "train": 2,
        "val": 1,
    }
    markers.observe({"type": "config", "config": {"a": 2}, "rebuilt": False}, 6)
    assert markers.observe(points, 6) is None, "announced by the config frame"
    for epoch in range(2000):
        markers.observe({"type": "state", "state": "stopped"}, epoch)
    assert len(markers.items) == 500 and markers.items[-1]["epoch"] == 1999


def test_stored_events_give_the_same_markers_back() -> None:
    events = [
        {"segment": 0, "epoch": 3, "kind": "play", "payload": {}},
        {"segment": 0, "epoch": 9, "kind": "configure", "payload": {"changes": [1], "fix": "f"}},
        {
            "segment": 0,
            "epoch": 12,
            "kind": "architecture",
            "payload": {"changes": [], "kept_history": True, "layer_sources": [0, 1]},
        },
        {"segment": 0, "epoch": 40, "kind": "diverged", "payload": {"reason": "nan"}},
        {"segment": 1, "epoch": 0, "kind": "architecture", "payload": {"changes": [2]}},
    ]
    assert [m["kind"] for m in stored_markers(events, 0, 20)] == ["configure", "architecture"]
    assert stored_markers(events, 0, 20)[0]["fix"] == "f"
    assert marker_from_event(events[-1])["kind"] == "restart"  # type: ignore[index]


def test_markers_arrive_live_and_in_hello_and_a_network_edit_keeps_the_history() -> None:
    async def scenario() -> None:
        async with running({"dataset": {"samples": 100}}) as session:
            sub, _ = session.subscribe()
            send(session, sub, '{"type": "step", "epochs": 6}')
            await collect(session, sub, lambda f: f.get("state") == "paused")
            lr = '{"type": "configure", "config": {"training": {"learning_rate": 0.3}}}'
            send(session, sub, lr)
            frames = await collect(session, sub, lambda f: f["type"] == "marker")
            first = frames[-1]["marker"]
            assert first["epoch"] == 6 and first["kind"] == "configure"
            assert first["changes"] == [{"path": "training.learning_rate", "old": 0.01, "new": 0.3}]
            layers = [{"units": 8}, {"units": 8}, {"units": 4}]
            edit = {"type": "configure", "config": {"model": {"layers": layers}}, "fix": "More"}
            send(session, sub, __import__("json").dumps(edit))
            frames = await collect(session, sub, lambda f: f["type"] == "marker")
            config = next(f for f in frames if f["type"] == "config")
            assert config["rebuilt"] and config["kept_history"]
            assert config["layer_names"] == ["dense0", "dense1", "dense2", "dense3"]
            assert config["layer_sources"] == [0, 1, None, 2]
            second = frames[-1]["marker"]
            assert second["kind"] == "architecture" and second["fix"] == "More"
            # The new layer, and the output layer's W: its inputs are now the new layer's units.
            assert second["epoch"] == 6 and second["fresh"] == 8 * 4 + 4 + 4
            assert second["dropped"] == 8 and second["kept"] == 2 * 8 + 8 + 8 * 8 + 8 + 1
            send(session, sub, '{"type": "step", "epochs": 3}')
            frames = await collect(session, sub, lambda f: f.get("state") == "paused")
            assert epochs_of(frames) == [7, 8, 9], "the epoch count goes on"

            _, hello = hello_of(session)
            assert [m["kind"] for m in hello["markers"]] == ["configure", "architecture"]
            history = hello["history"]
            assert history["epoch"] == list(range(1, 10)), "the history before the edit is kept"
            names = [layer["name"] for layer in history["layers"]]
            assert names == ["dense0", "dense1", "dense2", "dense3"]
            new_layer, output = history["layers"][2], history["layers"][3]
            assert new_layer["grad_norm"][:6] == [None] * 6, "a new layer starts at the edit"
            assert None not in new_layer["grad_norm"][6:]
            assert None not in output["grad_norm"], "the output layer's series goes on"

            send(session, sub, '{"type": "reset"}')
            await collect(session, sub, lambda f: f["type"] == "marker")
            await until(lambda: len(session.history) == 0)
            _, hello = hello_of(session)
            assert hello["history"]["epoch"] == []
            assert [(m["kind"], m["epoch"]) for m in hello["markers"]] == [("reset", 0)]

    run_isolated(scenario())
