"""Per-unit maps match a direct forward pass; dead and saturated units are found; sizes bounded."""

from __future__ import annotations

import base64

import numpy as np
import pytest

from app.engine.model import LayerSpec, ModelSpec, build_model
from app.engine.unit_outputs import hidden_outputs
from app.schemas.config import SessionConfig, merge_config
from app.training.run import Run
from app.training.unit_maps import (
    MAP_BYTE_BUDGET,
    MAX_MAP_UNITS,
    MIN_MAP_RESOLUTION,
    UNIT_MAP_RESOLUTION,
    decode,
    map_resolution,
    unit_maps,
)


def _grid(r: int, extent: float = 6.0) -> np.ndarray:
    """r*r cell centres, row-major from the top row down (as PreparedData.grid_points)."""
    c = (np.arange(r) + 0.5) / r * 2 * extent - extent
    xs, ys = np.meshgrid(c, c[::-1])
    return np.column_stack([xs.ravel(), ys.ravel()])


def _maps(layer: dict, r: int) -> np.ndarray:  # type: ignore[type-arg]
    codes = np.frombuffer(base64.b64decode(layer["maps"]), dtype=np.uint8)
    scale = np.array(layer["scale"])  # (units, 2): centre, half per unit
    return decode(codes.reshape(layer["shown"], r * r), scale[:, :1], scale[:, 1:])


@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid", "gelu"])
def test_decoded_maps_match_a_direct_forward_pass(activation: str) -> None:
    rng = np.random.default_rng(5)
    spec = ModelSpec(2, 1, (LayerSpec(7, activation, batch_norm=True), LayerSpec(5, activation)))
    model = build_model(spec, rng)
    model.forward(rng.normal(size=(50, 2)), True)  # running statistics away from 0 / 1
    r = 20
    grid = _grid(r)
    units = unit_maps(model, grid, rng.normal(size=(60, 2)))
    assert units["planar"] and units["resolution"] == r
    # the direct pass: the model's own layers, unit by unit, one grid cell at a time
    x = grid.astype(model.dtype)
    direct = []
    for _, layer in model.layers:
        x = layer.forward(x, False)
        if type(layer).__name__ == "ActivationLayer":
            direct.append(x.copy())
    for layer, expected in zip(units["layers"], direct, strict=True):
        centre, half = np.array(layer["scale"]).T[:, :, None]
        got = _maps(layer, r)  # (units, r*r)
        step = half / 255 + 1e-3 * half  # quantisation error, and the 4-digit scale
        clipped = np.clip(expected.T, centre - half, centre + half)
        assert np.all(np.abs(got - clipped) <= step)
        np.testing.assert_allclose(layer["plane_lo"], expected.min(axis=0), rtol=1e-3, atol=1e-4)
        np.testing.assert_allclose(layer["plane_hi"], expected.max(axis=0), rtol=1e-3, atol=1e-4)


def _relu_net_with_a_dead_unit() -> tuple[object, np.ndarray]:
    """2-4-1 relu; unit 2 has z = -(|x1| + |x2|)·0 - 3 < 0 everywhere: it is dead on any data."""
    model = build_model(ModelSpec(2, 1, (LayerSpec(4, "relu"),)), np.random.default_rng(1))
    W, b = model.blocks[0].dense.W, model.blocks[0].dense.b
    W[:, 2] = 0.0
    b[2] = -3.0
    W[:, 0], b[0] = (1.0, 1.0), 0.5  # alive: positive on half the plane
    return model, np.random.default_rng(2).uniform(-5, 5, size=(200, 2))


def test_a_dead_relu_unit_is_marked_and_its_map_is_blank() -> None:
    model, rows = _relu_net_with_a_dead_unit()
    layer = unit_maps(model, _grid(12), rows)["layers"][0]
    assert layer["status"][2] == "dead"
    assert layer["status"][0] == "ok"
    assert layer["inactive"][2] == 1.0 and 0.2 < layer["inactive"][0] < 0.8
    assert layer["data_lo"][2] == layer["data_hi"][2] == 0.0
    assert np.all(_maps(layer, 12)[2] == pytest.approx(0.0, abs=1 / 255))
    # an unbounded unit's map spans its own range: its largest output is the full colour
    assert layer["scale"][0] == [0.0, pytest.approx(layer["plane_hi"][0], rel=1e-3)]
    assert max(base64.b64decode(layer["maps"])[:144]) == 255
    assert layer["plane_hi"][0] > 1.0


def test_a_tanh_unit_at_its_ends_is_saturated() -> None:
    model = build_model(ModelSpec(2, 1, (LayerSpec(3, "tanh"),)), np.random.default_rng(1))
    W = model.blocks[0].dense.W
    W[:, 1] = (40.0, 0.0)  # |tanh(40 x1)| > 0.99 except on a sliver around x1 = 0
    W[:, 2] = (0.05, 0.05)  # small: near the middle everywhere
    layer = unit_maps(model, _grid(12), np.random.default_rng(3).uniform(-5, 5, size=(300, 2)))[
        "layers"
    ][0]
    assert layer["status"][1:] == ["saturated", "ok"]
    assert layer["scale"] == [[0.0, 1.0]] * 3  # tanh: its whole range, saturation is solid
    maps = _maps(layer, 12)
    assert np.abs(maps[1]).min() > 0.9 and np.abs(maps[2]).max() < 0.6


def test_non_planar_inputs_get_health_but_no_maps() -> None:
    model = build_model(
        ModelSpec(4, 3, (LayerSpec(6, "relu"),), "multiclass"), np.random.default_rng(0)
    )
    units = unit_maps(model, None, np.random.default_rng(1).normal(size=(50, 4)))
    assert units["planar"] is False and units["resolution"] is None
    layer = units["layers"][0]
    assert layer["maps"] is None and layer["scale"] is None and layer["plane_lo"] is None
    assert len(layer["status"]) == len(layer["data_lo"]) == 6


def test_wide_layers_send_at_most_32_units_and_many_units_get_coarser_maps() -> None:
    assert map_resolution([8, 8]) == UNIT_MAP_RESOLUTION
    assert MIN_MAP_RESOLUTION <= map_resolution([256] * 10) < UNIT_MAP_RESOLUTION
    for widths in ([8], [32, 32, 32], [150] * 10, [256] * 3):
        r = map_resolution(widths)
        maps = sum(min(w, MAX_MAP_UNITS) for w in widths)
        assert r == MIN_MAP_RESOLUTION or maps * r * r <= MAP_BYTE_BUDGET
    model = build_model(ModelSpec(2, 1, (LayerSpec(40, "relu"),)), np.random.default_rng(0))
    layer = unit_maps(model, _grid(12), np.zeros((5, 2)))["layers"][0]
    assert layer["units"] == 40 and layer["shown"] == MAX_MAP_UNITS
    assert len(base64.b64decode(layer["maps"])) == MAX_MAP_UNITS * 144
    assert len(layer["status"]) == MAX_MAP_UNITS


def test_run_snapshot_carries_units_for_planar_and_tabular_data() -> None:
    run = Run(
        merge_config(
            SessionConfig(), {"dataset": {"name": "xor", "features": ["x1", "x2", "x1x2"]}}
        )
    )
    run.train_epoch()
    units = run.snapshot()["units"]
    r = units["resolution"]
    assert units["planar"] and r == UNIT_MAP_RESOLUTION
    assert [layer["name"] for layer in units["layers"]] == run.model.dense_names[:-1]
    # cell order and feature transforms as the boundary's: the data's own grid, through its features
    inputs = run.data.inputs_for(run.data.grid_points(r))
    for layer, out in zip(units["layers"], hidden_outputs(run.model, inputs), strict=True):
        tol = max(half for _, half in layer["scale"]) / 255 + 1e-3
        assert np.max(np.abs(_maps(layer, r) - out.post.T)) <= tol
    table = Run(merge_config(SessionConfig(), {"dataset": {"name": "iris"}}))
    units = table.snapshot()["units"]
    assert units["planar"] is False and units["layers"][0]["maps"] is None
