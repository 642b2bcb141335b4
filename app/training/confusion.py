"""The confusion matrix of a classifier on the validation set, for the `snapshot` frame."""

from __future__ import annotations

from typing import Any

import numpy as np


def confusion_counts(y_true: np.ndarray, y_pred: np.ndarray, classes: int) -> list[list[int]]:
    """counts[i][j] = how many points of true class i were predicted as class j ((k, k) ints)."""
    if y_true.shape != y_pred.shape:
        raise ValueError(
            f"expected as many predictions as labels, got {y_pred.shape} for {y_true.shape}"
        )
    counts = np.zeros((classes, classes), dtype=np.int64)
    np.add.at(counts, (y_true.astype(np.int64), y_pred.astype(np.int64)), 1)
    return counts.tolist()


def confusion(
    outputs: np.ndarray, y_true: np.ndarray, task: str, class_names: list[str]
) -> dict[str, Any] | None:
    """{classes, counts} from the model's `outputs` on the validation set; None for regression."""
    if task == "regression":
        return None
    out = np.asarray(outputs)
    pred = np.argmax(out, axis=1) if task == "multiclass" else (out.ravel() > 0.5).astype(np.int64)
    names = list(class_names) if task == "multiclass" else (list(class_names) or ["0", "1"])[:2]
    return {"classes": names, "counts": confusion_counts(np.asarray(y_true), pred, len(names))}
