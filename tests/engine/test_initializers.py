"""Initialisers: the statistics each one promises, determinism and errors."""

from __future__ import annotations

import numpy as np
import pytest

from app.engine.initializers import INITIALIZERS, initialize


def _draw(name: str, fan_in: int = 200, fan_out: int = 300, scale: float = 1.0) -> np.ndarray:
    return initialize(name, np.random.default_rng(0), fan_in, fan_out, scale)


def test_statistics() -> None:
    assert not np.any(_draw("zeros"))
    u = _draw("uniform", scale=0.5)
    assert (
        u.min() >= -0.5 and u.max() <= 0.5 and u.std() == pytest.approx(0.5 / np.sqrt(3), rel=0.02)
    )
    assert _draw("normal", scale=0.1).std() == pytest.approx(0.1, rel=0.02)
    x = _draw("xavier")
    limit = np.sqrt(6.0 / 500)
    assert np.abs(x).max() <= limit and x.std() == pytest.approx(np.sqrt(2.0 / 500), rel=0.02)
    assert _draw("he").std() == pytest.approx(np.sqrt(2.0 / 200), rel=0.02)
    assert _draw("lecun").std() == pytest.approx(np.sqrt(1.0 / 200), rel=0.02)
    assert _draw("he", scale=3.0).std() == pytest.approx(3.0 * np.sqrt(2.0 / 200), rel=0.02)
    for fi, fo in ((200, 300), (300, 200)):
        q = _draw("orthogonal", fi, fo, scale=2.0)
        gram = q.T @ q if fi >= fo else q @ q.T
        np.testing.assert_allclose(gram, 4.0 * np.eye(min(fi, fo)), atol=1e-10)
    for name in INITIALIZERS:
        assert abs(float(_draw(name).mean())) < 0.01


def test_same_generator_state_gives_same_weights() -> None:
    for name in INITIALIZERS:
        np.testing.assert_array_equal(_draw(name), _draw(name))


def test_errors() -> None:
    with pytest.raises(ValueError, match="unknown initializer 'glorious'"):
        initialize("glorious", np.random.default_rng(0), 2, 2)
    with pytest.raises(ValueError, match="fan_in and fan_out"):
        initialize("he", np.random.default_rng(0), 0, 2)
