"""Rebuild the shipped CSVs from scikit-learn's bundled copies (maintenance script, not imported).

Usage: ``pip download --no-deps -d /tmp/skl scikit-learn``, unzip the wheel into /tmp/skl, then
``python app/data/datasets/make_csvs.py /tmp/skl/sklearn/datasets/data``. Cell values are copied
as the original text tokens (never re-formatted), only the header row and class names are added.
"""

from __future__ import annotations

import csv
import gzip
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent

IRIS_COLUMNS = ["sepal_length_cm", "sepal_width_cm", "petal_length_cm", "petal_width_cm"]
WINE_COLUMNS = [
    "alcohol",
    "malic_acid",
    "ash",
    "alcalinity_of_ash",
    "magnesium",
    "total_phenols",
    "flavanoids",
    "nonflavanoid_phenols",
    "proanthocyanins",
    "color_intensity",
    "hue",
    "od280_od315_of_diluted_wines",
    "proline",
]
_CANCER_BASE = [
    "radius",
    "texture",
    "perimeter",
    "area",
    "smoothness",
    "compactness",
    "concavity",
    "concave_points",
    "symmetry",
    "fractal_dimension",
]
CANCER_COLUMNS = (
    [f"mean_{b}" for b in _CANCER_BASE]
    + [f"{b}_error" for b in _CANCER_BASE]
    + [f"worst_{b}" for b in _CANCER_BASE]
)
DIABETES_COLUMNS = ["age", "sex", "bmi", "bp", "s1", "s2", "s3", "s4", "s5", "s6"]


def _sklearn_csv(path: Path) -> tuple[list[str], list[list[str]]]:
    """Read sklearn's format: first line 'n_rows,n_features,class names...', then data rows."""
    with path.open(newline="") as f:
        rows = list(csv.reader(f))
    meta, data = rows[0], rows[1:]
    n_rows, n_features = int(meta[0]), int(meta[1])
    assert len(data) == n_rows, (path, len(data), n_rows)
    assert all(len(r) == n_features + 1 for r in data), path
    return meta[2:], data


def _labelled(path: Path, columns: list[str], target: str, out: str) -> None:
    """Convert one sklearn classification CSV, replacing class indices by class names."""
    names, data = _sklearn_csv(path)
    assert len(columns) == len(data[0]) - 1
    with (HERE / out).open("w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow([*columns, target])
        for row in data:
            w.writerow([*row[:-1], names[int(row[-1])]])


def _diabetes(src: Path) -> None:
    """Raw (unscaled) diabetes features plus the integer disease-progression target."""
    with gzip.open(src / "diabetes_data_raw.csv.gz", "rt") as f:
        xs = [line.split() for line in f if line.strip()]
    with gzip.open(src / "diabetes_target.csv.gz", "rt") as f:
        ys = [float(line) for line in f if line.strip()]
    assert len(xs) == len(ys) == 442 and all(len(r) == 10 for r in xs)
    assert all(v.is_integer() for v in ys)
    with (HERE / "diabetes.csv").open("w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow([*DIABETES_COLUMNS, "progression"])
        for row, y in zip(xs, ys, strict=True):
            w.writerow([*row, str(int(y))])


def main(src: Path) -> None:
    """Write iris.csv, wine.csv, breast_cancer.csv and diabetes.csv next to this script."""
    _labelled(src / "iris.csv", IRIS_COLUMNS, "species", "iris.csv")
    _labelled(src / "wine_data.csv", WINE_COLUMNS, "cultivar", "wine.csv")
    _labelled(src / "breast_cancer.csv", CANCER_COLUMNS, "diagnosis", "breast_cancer.csv")
    _diabetes(src)


if __name__ == "__main__":
    main(Path(sys.argv[1]))
