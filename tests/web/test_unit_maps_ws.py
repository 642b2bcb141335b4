"""Snapshot frames carry per-unit maps and health (issue 10): planar data, tables, rebuilds."""

from __future__ import annotations

import base64

from fastapi.testclient import TestClient

from app.training.unit_maps import UNIT_MAP_RESOLUTION
from tests.web.test_ws import live, read_until


def test_snapshot_frames_carry_a_map_per_hidden_unit(client: TestClient) -> None:
    layers = [{"units": 5, "activation": "relu", "batch_norm": True, "dropout": 0.2}, {"units": 3}]
    with live(client, {"model": {"layers": layers}}) as (ws, hello):
        units = hello["snapshot"]["units"]
        assert units["planar"] is True and units["resolution"] == UNIT_MAP_RESOLUTION
        ws.send_json({"type": "step", "epochs": 3})
        frames = read_until(ws, lambda f: f["type"] == "state" and f["state"] == "paused")
        snapshot = [f for f in frames if f["type"] == "snapshot"][-1]
        units = snapshot["units"]
        r = units["resolution"]
        assert [layer["name"] for layer in units["layers"]] == ["dense0", "dense1"]
        for layer, width, act in zip(units["layers"], (5, 3), ("relu", "tanh"), strict=True):
            assert layer["units"] == layer["shown"] == width and layer["activation"] == act
            assert len(base64.b64decode(layer["maps"], validate=True)) == width * r * r
            assert len(layer["status"]) == len(layer["plane_lo"]) == len(layer["data_hi"]) == width
            assert set(layer["status"]) <= {"ok", "dead", "saturated"}
            assert len(layer["scale"]) == width and all(half > 0 for _, half in layer["scale"])
            pairs = zip(layer["plane_lo"], layer["plane_hi"], strict=True)
            assert all(lo <= hi for lo, hi in pairs)
        # relu after batch norm: outputs are never negative, so no map byte lies below the centre
        relu = base64.b64decode(units["layers"][0]["maps"])
        assert min(relu) >= 127


def test_tabular_data_gets_health_and_no_maps(client: TestClient) -> None:
    with live(client, {"dataset": {"name": "iris"}}) as (_, hello):
        units = hello["snapshot"]["units"]
        assert units["planar"] is False and units["resolution"] is None
        layer = units["layers"][0]
        assert layer["maps"] is None and len(layer["status"]) == layer["shown"]


def test_a_rebuild_sends_units_for_the_new_layers(client: TestClient) -> None:
    with live(client) as (ws, _):
        ws.send_json({"type": "configure", "config": {"model": {"layers": [{"units": 40}] * 3}}})
        frames = read_until(
            ws, lambda f: f["type"] == "snapshot" and len(f["units"]["layers"]) == 3
        )
        layer = frames[-1]["units"]["layers"][0]
        assert layer["units"] == 40 and layer["shown"] == 32  # the diagram draws at most 32
