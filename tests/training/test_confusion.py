"""The validation confusion matrix carried by `snapshot` frames."""

from __future__ import annotations

import numpy as np
import pytest

from app.schemas.config import SessionConfig
from app.training.confusion import confusion, confusion_counts
from app.training.run import Run


def test_counts_put_true_classes_in_rows() -> None:
    counts = confusion_counts(np.array([0, 0, 1, 2, 2, 2]), np.array([0, 1, 1, 2, 0, 2]), 3)
    assert counts == [[1, 1, 0], [0, 1, 0], [1, 0, 2]]


def test_mismatched_lengths_are_refused() -> None:
    with pytest.raises(ValueError, match="as many predictions"):
        confusion_counts(np.array([0, 1]), np.array([0]), 2)


def test_binary_outputs_are_thresholded_at_one_half() -> None:
    out = confusion(
        np.array([[0.2], [0.7], [0.51], [0.4]]), np.array([0, 1, 0, 1]), "binary", ["a", "b"]
    )
    assert out == {"classes": ["a", "b"], "counts": [[1, 1], [1, 1]]}


def test_regression_has_none() -> None:
    assert confusion(np.zeros((3, 1)), np.zeros(3), "regression", []) is None


@pytest.mark.parametrize("dataset", [{"name": "spiral"}, {"name": "blobs", "classes": 4}])
def test_a_runs_snapshot_counts_every_validation_point(dataset: dict[str, object]) -> None:
    run = Run(SessionConfig.model_validate({"dataset": dataset}))
    matrix = run.snapshot()["confusion"]
    k = len(run.data.class_names)
    assert len(matrix["classes"]) == k and len(matrix["counts"]) == k
    assert sum(map(sum, matrix["counts"])) == len(run.data.y_val)
