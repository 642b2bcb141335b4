"""docs/conventions.md: its notebook example runs and trains as it says."""

from __future__ import annotations

import re
from pathlib import Path

DOC = Path(__file__).resolve().parents[2] / "docs" / "conventions.md"


def test_notebook_example_runs() -> None:
    text = DOC.read_text(encoding="utf-8")
    match = re.search(r"<!-- notebook-example:[^>]*-->\n```python\n(.*?)\n```", text, re.S)
    assert match, "the notebook example block is missing from docs/conventions.md"
    namespace: dict[str, object] = {"print": lambda *args: None}
    exec(compile(match.group(1), str(DOC), "exec"), namespace)
    record = namespace["record"]
    assert isinstance(record, dict) and record["epoch"] == 30
    assert record["val_acc"] > 0.85 and record["train_loss"] >= 0.0  # 0.97 or more over 18 seeds
    model = namespace["model"]
    assert [name for name, _ in model.buffers()] == ["bn0.running_mean", "bn0.running_var"]
