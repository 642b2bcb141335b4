"""Refuse to run under another BLAS kernel than `make test` forced: none is skipped silently."""

from __future__ import annotations

import os

import pytest
from threadpoolctl import threadpool_info

EXPECTED_KERNEL_ENV = "BACKPROP_EXPECT_BLAS_KERNEL"


def blas_kernels() -> set[str]:
    """The architectures NumPy's BLAS libraries run here, as OpenBLAS names them."""
    import numpy  # noqa: F401 -- loads the BLAS that threadpoolctl then reports

    return {str(i.get("architecture")) for i in threadpool_info() if i.get("user_api") == "blas"}


def pytest_configure(config: pytest.Config) -> None:
    expected = os.environ.get(EXPECTED_KERNEL_ENV)
    if expected and blas_kernels() != {expected}:
        raise pytest.UsageError(
            f"{EXPECTED_KERNEL_ENV}={expected} but NumPy's BLAS runs {sorted(blas_kernels())}: "
            f"OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE')!r} did not take effect"
        )
