"""Weight transplant across network edits: kept units keep weights and optimiser state."""

from __future__ import annotations

import numpy as np
import pytest

from app.engine.model import LayerSpec, ModelSpec, build_model
from app.engine.optimizers import OptimizerSpec
from app.engine.trainer import Trainer, TrainSettings
from app.engine.transplant import dense_sources, theta_sources, transplant


def _trainer(hidden: list[LayerSpec], optimizer: str = "adam", seed: int = 0) -> Trainer:
    spec = ModelSpec(2, 1, tuple(hidden), task="binary")
    rng = np.random.default_rng(7)
    x = rng.normal(size=(40, 2)).astype(np.float32)
    y = (x[:, 0] * x[:, 1] > 0).astype(np.float32)
    settings = TrainSettings(learning_rate=0.05, batch_size=8, optimizer=OptimizerSpec(optimizer))
    model = build_model(spec, np.random.default_rng([seed, 0]))
    return Trainer(model, settings, x, y, x[:10], y[:10], np.random.default_rng([seed, 1]))


def _weights(t: Trainer) -> dict[str, np.ndarray]:
    return {name: w.copy() for name, w, _ in t.model.parameters()}


def test_dense_sources_match_hidden_by_position_and_output_to_output() -> None:
    assert dense_sources(3, 4) == (0, 1, None, 2)  # a hidden layer added at the end
    assert dense_sources(4, 3) == (0, 1, 3)  # the last hidden layer removed
    assert dense_sources(3, 3) == (0, 1, 2)
    assert dense_sources(1, 2) == (None, 0)  # first hidden layer of a linear model
    with pytest.raises(ValueError, match="at least one dense layer"):
        dense_sources(0, 2)


def test_same_shapes_keep_every_weight_and_the_training_state() -> None:
    old = _trainer([LayerSpec(4), LayerSpec(3)])
    for _ in range(3):
        old.run_epoch()
    new = _trainer([LayerSpec(4, "relu"), LayerSpec(3)], seed=5)  # activation changed only
    kept = transplant(old, new)
    assert kept.fresh == 0 and kept.dropped == 0 and kept.kept == old.model.n_params
    np.testing.assert_array_equal(new.model.theta, old.model.theta)
    assert new.epoch == 3
    slot_old, slot_new = old.optimizer._state["theta"], new.optimizer._state["theta"]
    assert slot_new.t == slot_old.t > 0
    np.testing.assert_array_equal(slot_new.a, slot_old.a)
    np.testing.assert_array_equal(slot_new.b, slot_old.b)
    assert new.rng.bit_generator.state == old.rng.bit_generator.state


def test_adding_a_unit_keeps_the_other_units_and_initialises_the_new_one() -> None:
    old = _trainer([LayerSpec(4), LayerSpec(3)], optimizer="sgd")
    old.run_epoch()
    before = _weights(old)
    new = _trainer([LayerSpec(5), LayerSpec(3)], optimizer="sgd", seed=9)
    fresh = _weights(new)
    kept = transplant(old, new)
    after = _weights(new)
    np.testing.assert_array_equal(after["dense0.W"][:, :4], before["dense0.W"])
    np.testing.assert_array_equal(after["dense0.b"][:4], before["dense0.b"])
    np.testing.assert_array_equal(after["dense0.W"][:, 4], fresh["dense0.W"][:, 4])  # incoming
    np.testing.assert_array_equal(after["dense1.W"][:4], before["dense1.W"])
    np.testing.assert_array_equal(after["dense1.W"][4], fresh["dense1.W"][4])  # outgoing
    np.testing.assert_array_equal(after["dense2.W"], before["dense2.W"])  # untouched layer
    assert kept.fresh == 2 + 1 + 3  # new unit: 2 incoming weights, its bias, 3 outgoing
    assert kept.dropped == 0


def test_removing_a_unit_drops_its_row_and_column() -> None:
    old = _trainer([LayerSpec(4), LayerSpec(3)])
    old.run_epoch()
    before = _weights(old)
    new = _trainer([LayerSpec(4), LayerSpec(2)], seed=3)
    kept = transplant(old, new)
    after = _weights(new)
    np.testing.assert_array_equal(after["dense1.W"], before["dense1.W"][:, :2])
    np.testing.assert_array_equal(after["dense1.b"], before["dense1.b"][:2])
    np.testing.assert_array_equal(after["dense2.W"], before["dense2.W"][:2])
    assert kept.fresh == 0 and kept.dropped == 4 + 1 + 1


def test_adding_a_layer_keeps_the_output_layer_and_moments_follow_their_weights() -> None:
    old = _trainer([LayerSpec(4)], optimizer="rmsprop")
    for _ in range(2):
        old.run_epoch()
    before = _weights(old)
    new = _trainer([LayerSpec(4), LayerSpec(4)], optimizer="rmsprop", seed=4)
    fresh = _weights(new)
    kept = transplant(old, new)
    after = _weights(new)
    assert kept.layer_sources == (0, None, 1)
    np.testing.assert_array_equal(after["dense0.W"], before["dense0.W"])
    np.testing.assert_array_equal(after["dense1.W"], fresh["dense1.W"])  # the new layer
    np.testing.assert_array_equal(after["dense2.W"], before["dense1.W"])  # the output layer
    sources = theta_sources(old.model, new.model)
    moments_old = old.optimizer._state["theta"].a
    moments_new = new.optimizer._state["theta"].a
    kept_mask = sources >= 0
    np.testing.assert_array_equal(moments_new[kept_mask], moments_old[sources[kept_mask]])
    assert not moments_new[~kept_mask].any()  # new coordinates start from zero moments
    new.run_epoch()  # and it trains on
    assert new.epoch == 3 and np.isfinite(new.model.theta).all()


def test_batch_norm_statistics_follow_their_units() -> None:
    old = _trainer([LayerSpec(3, batch_norm=True)])
    old.run_epoch()
    new = _trainer([LayerSpec(4, batch_norm=True)], seed=2)
    transplant(old, new)
    gamma_old = dict((n, w) for n, w, _ in old.model.parameters())["bn0.gamma"]
    gamma_new = dict((n, w) for n, w, _ in new.model.parameters())["bn0.gamma"]
    np.testing.assert_array_equal(gamma_new[:3], gamma_old)
    assert gamma_new[3] == 1.0
    np.testing.assert_array_equal(new.model.state[:3], old.model.state[:3])  # running mean
    np.testing.assert_array_equal(new.model.state[4:7], old.model.state[3:6])  # running var
    assert new.model.state[7] == 1.0


def test_another_optimiser_starts_fresh_but_weights_are_kept() -> None:
    old = _trainer([LayerSpec(4)], optimizer="adam")
    old.run_epoch()
    new = _trainer([LayerSpec(5)], optimizer="sgd")
    before = _weights(old)
    transplant(old, new)
    assert "theta" not in new.optimizer._state
    np.testing.assert_array_equal(_weights(new)["dense0.W"][:, :4], before["dense0.W"])


def test_a_layer_whose_inputs_are_new_units_keeps_its_biases_but_not_a_resized_w() -> None:
    old = _trainer([], optimizer="sgd")  # linear: the output layer reads x1, x2
    old.run_epoch()
    before = _weights(old)
    new = _trainer([LayerSpec(4)], optimizer="sgd", seed=6)
    fresh = _weights(new)
    kept = transplant(old, new)
    after = _weights(new)
    assert kept.layer_sources == (None, 0)
    np.testing.assert_array_equal(after["dense1.W"], fresh["dense1.W"])  # inputs now hidden units
    np.testing.assert_array_equal(after["dense1.b"], before["dense0.b"])
    assert kept.kept == 1
