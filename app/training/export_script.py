"""The `script` export: a standalone NumPy program that retrains a run's first epochs.

The script is put together from real code, not written as strings: a header, the training
program of `app/training/standalone.py` verbatim, the run's initial config, the engine's own
initialiser function, and the data — for a generated dataset the generator's own source (with the
train/validation split's), for a built-in table or an uploaded CSV the prepared arrays embedded as
a compressed `.npz`. Run as it is, it prints the run's first epochs with the same numbers on the
same machine (same NumPy and BLAS kernel).
"""

from __future__ import annotations

import base64
import copy
import inspect
import io
import pprint
import textwrap
from collections.abc import Iterable
from dataclasses import asdict
from typing import Any

import numpy as np

from app.data import PreparedData, generators, prepare, split
from app.data.generators import GENERATORS
from app.engine import initializers
from app.engine.schedules import ScheduleSpec
from app.schemas.config import SessionConfig
from app.training import standalone
from app.training.run import TableLookup, data_spec

# Input features as expressions of the point's coordinates (a, b); checked against
# app/data/features.py by tests/training/test_export_script.py.
FEATURE_CODE = {
    "x1": "a", "x2": "b", "x1sq": "a * a", "x2sq": "b * b", "x1x2": "a * b",
    "sin_x1": "np.sin(a)", "sin_x2": "np.sin(b)", "cos_x1": "np.cos(a)", "cos_x2": "np.cos(b)",
}  # fmt: skip
CHANGE_EVENTS = ("configure", "architecture", "reset", "regenerate", "points")
DEFAULT_EPOCHS = 20  # when the run recorded no epoch yet


def first_segment(records: Iterable[tuple[int, dict[str, Any]]]) -> tuple[int, int]:
    """(segment, last epoch) of the first segment with records; (0, 0) when there is none."""
    segment, last = None, 0
    for seg, record in records:
        if segment is not None and seg != segment:
            break
        segment, last = seg, max(last, int(record["epoch"]))
    return segment or 0, last


def _after_start(events: list[dict[str, Any]], segment: int) -> list[bool]:
    """Per event: whether it came after training began in `segment` (its first play or step, or
    any event once an epoch was done)."""
    started, flags = False, []
    for event in events:
        here = event["segment"] == segment
        started = started or (here and (event["kind"] == "play" or event["epoch"] > 0))
        flags.append(event["segment"] > segment or (here and started))
    return flags


def initial_config(
    config: dict[str, Any], events: list[dict[str, Any]], segment: int
) -> dict[str, Any]:
    """The config `segment` began training with: the current one, every later change undone."""
    start = copy.deepcopy(config)
    for event, later in reversed(list(zip(events, _after_start(events, segment), strict=True))):
        for change in event["payload"].get("changes", []) if later else []:
            *parents, leaf = change["path"].split(".")
            node = start
            for key in parents:
                node = node[key]
            node[leaf] = change["old"]
    return start


def reproducible_epochs(events: list[dict[str, Any]], segment: int, last: int) -> int:
    """Epochs of `segment` trained under its initial config and data, before any change."""
    for event, later in zip(events, _after_start(events, segment), strict=True):
        if later and event["segment"] == segment and event["kind"] in CHANGE_EVENTS:
            last = min(last, event["epoch"])
    return last


def script_text(
    run: dict[str, Any],
    records: Iterable[tuple[int, dict[str, Any]]],
    events: list[dict[str, Any]],
    tables: TableLookup | None,
) -> str:
    """The whole script for a stored run."""
    segment, last = first_segment(records)
    config = SessionConfig.model_validate(initial_config(run["config"], events, segment))
    epochs = reproducible_epochs(events, segment, last)
    data = prepare(data_spec(config, tables))
    plain = config.model_dump(mode="json")
    schedule = plain["training"]["schedule"]  # knobs the page does not show: the engine's values
    for knob, value in asdict(ScheduleSpec()).items():
        schedule.setdefault(knob, value)
    parts = [
        header(run, plain, epochs),
        "from __future__ import annotations\n\nimport argparse\n"
        + ("" if generated(plain["dataset"], data) else "import base64\nimport io\n")
        + "import os\n\n"
        'os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # one BLAS thread, as the server\n',
        training_program(),
        "# ---- the run ----------------------------------------------------------------------\n\n"
        f"CONFIG = {pprint.pformat(plain, width=96, sort_dicts=False)}\n",
        initializer_code(plain["model"]["init"]),
        data_code(plain["dataset"], data),
        main_code(epochs or DEFAULT_EPOCHS),
    ]
    return "\n\n\n".join(part.strip("\n") for part in parts) + "\n"


def header(run: dict[str, Any], config: dict[str, Any], epochs: int) -> str:
    """The docstring: what the script is, how to run it, what it does not reproduce."""
    model, training, dataset = config["model"], config["training"], config["dataset"]
    shape = "-".join(str(layer["units"]) for layer in model["layers"]) or "no hidden layer"
    acts = ", ".join(sorted({layer["activation"] for layer in model["layers"]})) or "none"
    told = (
        f"the first {epochs} epochs of the run (until its first change of settings, data or "
        "network)"
        if epochs
        else f"{DEFAULT_EPOCHS} epochs (the run had recorded none)"
    )
    what = (
        f"Rebuilds the data ({dataset['name']}), the network ({shape}; {acts}; {model['init']} "
        f"init, {model['dtype']}) and the training loop ({training['optimizer']}, learning rate "
        f"{training['learning_rate']}, batch size {training['batch_size']}, seed "
        f"{training['seed']}). Run as it is, it retrains {told} and prints one line per epoch: "
        "training and validation loss, accuracy (R² for regression) and learning rate. On the "
        "machine that trained the run, with the same NumPy, these are the run's own numbers: the "
        "code repeats the engine's arithmetic operation for operation. Another CPU's BLAS rounds "
        "float32 products differently, and training amplifies that (README: 'Same numbers, "
        "which machines')."
    )
    missing = (
        "Not reproduced: settings changed while the run trained (this script keeps the settings "
        "the run started with, and --epochs beyond the default goes on with them), points added "
        "or removed by hand, single updates applied from the backprop inspector, and the "
        "instruments beyond losses and scores (gradient norms, activation statistics, "
        "histograms, diagnoses). It needs only NumPy."
    )
    return (
        f'"""Backprop Lab run "{run["name"]}" ({run["id"]}) as a standalone NumPy script.\n\n'
        f"    python {script_name(run['id'])} [--epochs N]\n\n"
        f'{textwrap.fill(what, 96)}\n\n{textwrap.fill(missing, 96)}\n"""'
    )


def script_name(run_id: str) -> str:
    """The script's file name."""
    return f"run-{run_id}.py"


def training_program() -> str:
    """app/training/standalone.py without its docstring, future import and placeholders."""
    source = inspect.getsource(standalone)
    body = source.split("from __future__ import annotations\n", 1)[1]
    before, rest = body.split("# <placeholders>", 1)
    after = rest.split("# </placeholders>\n", 1)[1]
    return (before.rstrip() + "\n\n\n" + after.lstrip()).replace(
        "# ruff: noqa: N806  (the maths keeps its letters: W, P)\n", ""
    )


def initializer_code(name: str) -> str:
    """The engine's initialiser function for `name`, registered in INIT."""
    fn = initializers.INITIALIZERS[name]
    source = inspect.getsource(fn).strip()
    return f"Array = np.ndarray\n\n\n{source}\n\n\nINIT[{name!r}] = {fn.__name__}\n"


def generated(dataset: dict[str, Any], data: PreparedData) -> bool:
    """Whether the data comes from a generator (else the script embeds it)."""
    return dataset["name"] in GENERATORS and data.source == "generated"


def data_code(dataset: dict[str, Any], data: PreparedData) -> str:
    """`load_data()`: the generator's own code, or the prepared arrays embedded."""
    n_outputs = data.n_outputs()
    if generated(dataset, data):
        return generated_data_code(dataset, data.task, len(data.class_names), n_outputs)
    buffer = io.BytesIO()
    np.savez_compressed(buffer, x_train=data.x_train, y_train=data.y_train,
                        x_val=data.x_val, y_val=data.y_val)  # fmt: skip
    blob = "\n".join(textwrap.wrap(base64.b64encode(buffer.getvalue()).decode(), 96))
    what = "the uploaded CSV" if dataset["name"] == "csv" else f"the {dataset['name']} table"
    return f'''# ---- the data: {what}, split and standardised as the run had it ------------------

DATA = """
{blob}
"""


def load_data():
    """(x_train, y_train, x_val, y_val, task, n_outputs) from the embedded .npz."""
    arrays = np.load(io.BytesIO(base64.b64decode(DATA)))
    return (arrays["x_train"], arrays["y_train"], arrays["x_val"], arrays["y_val"],
            {data.task!r}, {n_outputs})
'''


def generated_data_code(dataset: dict[str, Any], task: str, classes: int, n_outputs: int) -> str:
    """The generator, the split and the feature columns, as app/data has them."""
    info = GENERATORS[dataset["name"]]  # the source of its generator function is inlined
    fn = info.fn
    helpers: list[Any] = [generators._split_counts, generators._class_labels]
    if "_uniform_moved" in fn.__code__.co_names:
        helpers.append(generators._uniform_moved)
    constants = f"EXTENT = {generators.EXTENT!r}\n"
    if "_BUMPS" in fn.__code__.co_names:
        constants += f"_BUMPS = np.array({generators._BUMPS.tolist()!r})\n"
    sources = [inspect.getsource(f).strip() for f in [*helpers, fn, split._n_val,
                                                       split.train_val_split]]  # fmt: skip
    features = ", ".join(f"{name!r}: lambda a, b: {FEATURE_CODE[name]}"
                         for name in dataset["features"])  # fmt: skip
    return f"""# ---- the data: app/data's {dataset["name"]} generator and split ------------------

Generator = np.random.Generator
Points = tuple
Index = np.ndarray
NDArray = Any
{constants}

{(chr(10) * 3).join(sources)}


FEATURES = {{{features}}}


def load_data():
    \"\"\"(x_train, y_train, x_val, y_val, task, n_outputs), generated as the run's were
    (app/data/generators.generate, split.train_val_split, features.feature_matrix).\"\"\"
    d = CONFIG["dataset"]
    rng = np.random.default_rng(d["seed"])
    n = d["samples"]
    xy, y = {fn.__name__}(rng, n, float(d["noise"]), {classes})
    order = rng.permutation(n)
    xy = np.clip(np.asarray(xy, dtype=np.float64)[order], -EXTENT, EXTENT)
    y = y[order].astype({"np.float64" if task == "regression" else "np.int64"})
    train, val = train_val_split(y, d["val_fraction"], d["seed"], stratify={task != "regression"})

    def inputs(points):
        return np.column_stack([f(points[:, 0], points[:, 1]) for f in FEATURES.values()])

    return inputs(xy[train]), y[train], inputs(xy[val]), y[val], {task!r}, {n_outputs}
"""


def main_code(epochs: int) -> str:
    """The command line."""
    return f"""if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default={epochs}, help="default {epochs}")
    train(parser.parse_args().epochs)
"""
