"""Shipped datasets: documented shapes, classes, provenance and checksums."""

from __future__ import annotations

import hashlib
import json
import re

import numpy as np
import pytest

from app.data import BUILTIN, GENERATORS, load_builtin
from app.data.builtin import DATASETS_DIR, FILES

CLASS_COUNTS = {
    "iris": [50, 50, 50],
    "wine": [59, 71, 48],
    "breast_cancer": [357, 212],
}


@pytest.mark.parametrize("name", list(BUILTIN))
def test_loads_with_the_documented_shape(name: str) -> None:
    info = BUILTIN[name]
    t = load_builtin(name)
    assert set(info) == {"title", "rows", "features", "task", "target", "classes", "description"}
    assert t.x.shape == (info["rows"], info["features"])
    assert t.task == info["task"] and t.target == info["target"]
    assert tuple(t.class_names) == info["classes"]
    assert np.all(np.isfinite(t.x))
    assert len(set(t.feature_names)) == info["features"]
    assert json.loads(json.dumps({"name": name, **info}))["rows"] == info["rows"]
    if name in CLASS_COUNTS:
        assert np.bincount(t.y).tolist() == CLASS_COUNTS[name]
    else:
        assert t.y.dtype == np.float64 and t.y.min() == 25 and t.y.max() == 346


def test_expected_datasets_and_names_do_not_clash() -> None:
    assert {"iris", "wine", "breast_cancer", "diabetes"} <= set(BUILTIN)
    assert not set(BUILTIN) & set(GENERATORS)
    assert "csv" not in BUILTIN


def test_known_values() -> None:
    iris = load_builtin("iris")
    assert iris.feature_names == [
        "sepal_length_cm",
        "sepal_width_cm",
        "petal_length_cm",
        "petal_width_cm",
    ]
    np.testing.assert_array_equal(iris.x[0], [5.1, 3.5, 1.4, 0.2])
    assert iris.class_names[iris.y[0]] == "setosa"
    np.testing.assert_allclose(iris.x.mean(axis=0), [5.843, 3.057, 3.758, 1.199], atol=1e-3)


def test_cached_and_read_only() -> None:
    assert load_builtin("wine") is load_builtin("wine")
    with pytest.raises(ValueError):
        load_builtin("wine").x[0, 0] = 0.0


def test_other_target_and_unknown_name() -> None:
    t = load_builtin("diabetes", target="sex")
    assert t.task == "binary" and t.class_names == ["1", "2"] and "progression" in t.feature_names
    t = load_builtin("iris", target="petal_width_cm")
    assert t.task == "regression" and t.ignored == ["species"] and t.x.shape == (150, 3)
    with pytest.raises(ValueError, match="unknown built-in dataset 'mnist'; expected one of iris"):
        load_builtin("mnist")


def test_sources_document_every_file_with_its_checksum() -> None:
    sources = (DATASETS_DIR / "SOURCES.md").read_text()
    listed = dict(
        (name, digest)
        for digest, name in re.findall(r"^([0-9a-f]{64})  (\S+\.csv)$", sources, re.MULTILINE)
    )
    shipped = sorted(p.name for p in DATASETS_DIR.glob("*.csv"))
    assert sorted(listed) == shipped == sorted(FILES.values())
    for name, digest in listed.items():
        assert hashlib.sha256((DATASETS_DIR / name).read_bytes()).hexdigest() == digest
        assert f"## {name}" in sources
    assert "BSD 3-Clause" in sources and "CC BY 4.0" in sources
