"""Instruments: step norms (both reduction modes agree), activation health, histograms."""

from __future__ import annotations

import numpy as np
import pytest

from app.engine import stats
from app.engine.activations import make_activation
from app.engine.model import LayerSpec, ModelSpec, build_model
from app.engine.stats import StepMeter, activation_stats, histogram


def _step(meter: StepMeter, k: int, rng: np.random.Generator) -> np.ndarray:
    m = meter.model
    m.grad[:] = rng.normal(size=m.n_params)
    if meter.copy_mode:
        meter.before_step()
    delta = rng.normal(0.0, 0.01, size=m.n_params)
    m.theta += delta
    meter.after_step(k)
    return delta


@pytest.mark.parametrize("flat_limit", [10**6, 0])
@pytest.mark.parametrize("own_update", [False, True])
def test_step_meter_means_over_steps(
    flat_limit: int, own_update: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(stats, "FLAT_MODE_PARAMS_PER_LAYER", flat_limit)
    spec = ModelSpec(
        3, 2, (LayerSpec(4, batch_norm=True), LayerSpec(5)), "multiclass", dtype="float64"
    )
    m = build_model(spec, np.random.default_rng(0))
    meter = StepMeter(m)
    assert meter.flat_mode == (flat_limit > 0)
    update = np.zeros(m.n_params)  # stands in for the optimiser's last_update buffer
    meter.begin_epoch(3, update if own_update else None)
    rng = np.random.default_rng(1)
    grads, deltas = [], []
    for k in range(3):
        if own_update:
            update[:] = rng.normal(0.0, 0.01, size=m.n_params)
            m.grad[:] = rng.normal(size=m.n_params)
            m.theta -= update
            meter.after_step(k)
            deltas.append(update.copy())
        else:
            deltas.append(_step(meter, k, rng))
        grads.append(m.grad.copy())
    s = meter.summary(3)
    for i, (w_sl, b_sl) in enumerate(zip(m.weight_slices, m.bias_slices, strict=True)):
        w_now = np.linalg.norm(m.theta[w_sl])
        assert s["grad_norm"][i] == pytest.approx(np.mean([np.linalg.norm(g[w_sl]) for g in grads]))
        assert s["grad_norm_b"][i] == pytest.approx(
            np.mean([np.linalg.norm(g[b_sl]) for g in grads])
        )
        mean_step = np.mean([np.linalg.norm(d[w_sl]) for d in deltas])
        assert s["update_ratio"][i] == pytest.approx(mean_step / w_now)
        assert s["weight_norm"][i] == pytest.approx(w_now)
    assert s["grad_norm_global"] == pytest.approx(np.mean([np.linalg.norm(g) for g in grads]))


def test_activation_stats_dead_relu_units() -> None:
    z = np.array([[1.0, -1.0, 2.0, -3.0], [-0.5, -2.0, 1.0, 0.0]], dtype=np.float32)
    a = np.maximum(z, 0)
    mean, std, dead, sat = activation_stats(make_activation("relu", np.float32), z, a)
    assert mean == pytest.approx(a.mean()) and std == pytest.approx(a.std(), rel=1e-5)
    assert dead == 0.5 and sat == 0.0  # units 1 and 3 never fire
    _, _, dead_leaky, _ = activation_stats(make_activation("leaky_relu"), z, z)
    assert dead_leaky == 0.5
    _, _, dead_elu, _ = activation_stats(make_activation("elu"), z - 6.5, z)
    assert dead_elu == 0.75


def test_activation_stats_saturated_units() -> None:
    n = 100
    z = np.zeros((n, 3))
    z[:, 0] = 10.0  # always saturated
    z[:95, 1] = -10.0  # saturated for 95 % of samples
    z[:50, 2] = 10.0  # only half the time
    for name in ("tanh", "sigmoid"):
        act = make_activation(name)
        a = np.empty_like(z)
        act.forward(z, a, np.empty_like(z))
        mean, std, dead, sat = activation_stats(act, z, a)
        assert sat == pytest.approx(2 / 3) and dead == 0.0
        assert mean == pytest.approx(a.mean()) and std == pytest.approx(a.std())
    logits = np.array([[1.0], [3.0]])
    assert activation_stats(None, logits, logits) == (2.0, 1.0, 0.0, 0.0)


def test_histogram() -> None:
    v = np.random.default_rng(0).normal(size=(50, 40))
    h = histogram(v)
    expected, _ = np.histogram(v, bins=30, range=(v.min(), v.max()))
    assert h["counts"] == expected.tolist() and h["lo"] == v.min() and h["hi"] == v.max()
    v[0, 0] = np.nan
    v[1, 1] = np.inf
    assert sum(histogram(v)["counts"]) == v.size - 2
    assert histogram(np.full(4, np.nan)) == {"lo": 0.0, "hi": 0.0, "counts": [0] * 30}
    flat = histogram(np.ones(5))
    assert flat["lo"] == flat["hi"] == 1.0 and sum(flat["counts"]) == 5
    big = histogram(np.ones((1000, 100)), max_values=10_000)
    assert sum(big["counts"]) == 10_000
