"""The confusion matrix tab: drawn for a classifier, its counts add up to the validation set."""

from __future__ import annotations

from typing import Any

from tests.e2e.conftest import open_app, wait_epoch_above

COUNTS_JS = """
() => [...document.querySelectorAll('[data-testid=confusion-table] td')]
  .reduce((sum, td) => sum + Number(td.textContent), 0)
"""


def test_confusion_matrix_counts_the_validation_set(page: Any) -> None:
    open_app(page)
    page.click("[data-testid='tab-confusion']")
    page.wait_for_selector("[data-testid='confusion-table'] td")
    val = int(page.evaluate("window.backpropLab.state.dataset.val.y.length"))
    assert val > 0
    classes = page.locator("[data-testid='confusion-table'] tbody tr").count()
    assert classes == 2
    assert page.evaluate(COUNTS_JS) == val
    page.click("[data-testid='play']")
    wait_epoch_above(page, 500)  # about 90 % right on every BLAS kernel (README), 50-60 % at 100
    page.click("[data-testid='play']")
    page.wait_for_selector("#app[data-run-state='paused']")
    page.wait_for_function(f"() => ({COUNTS_JS})() === {val}")
    # a trained spiral net gets most validation points right: the diagonal holds the majority
    diag = page.evaluate(
        "() => [...document.querySelectorAll('.bp-cm-diag')]"
        ".reduce((s, td) => s + Number(td.textContent), 0)"
    )
    assert diag > val / 2
