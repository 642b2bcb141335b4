"""Hatch build hook: the wheel and the sdist carry the page, so an installed copy needs no Node.

The wheel maps static/ and templates/ into the package as app/_static and app/_templates (where
app/settings.asset_dir looks for them); the sdist adds the built static/vendor, which git ignores,
so a wheel built from the sdist needs no Node either. When static/vendor is missing (a fresh
checkout) the hook first runs the Makefile's `assets` step: `npm ci`, then copy uPlot from
node_modules.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

PAGE_FOLDERS = ("static", "templates")
VENDOR = Path("static", "vendor")
WHEEL_PREFIX = "app/_"  # the contract with app/settings.py: PACKAGED_PREFIX inside the package


def page_files(folder: Path) -> list[Path]:
    """Files under `folder` that the page serves; dotfiles (make's `.built` stamp) are not."""
    return sorted(
        path for path in folder.rglob("*") if path.is_file() and not path.name.startswith(".")
    )


def ensure_vendor(root: Path) -> None:
    """Build static/vendor with `make assets` when it holds no files; fail naming what to do."""
    if page_files(root / VENDOR):
        return
    make = shutil.which("make")
    if make is None:
        raise RuntimeError(
            f"{root / VENDOR} is empty and `make` is not on PATH to build it: run `npm ci`, "
            "copy uPlot's dist/uPlot.esm.js and dist/uPlot.min.css there, or build from the sdist"
        )
    subprocess.run([make, "assets"], cwd=root, check=True)
    if not page_files(root / VENDOR):
        raise RuntimeError(f"`make assets` ran but left {root / VENDOR} empty")


class PageAssetsHook(BuildHookInterface):
    """Build static/vendor when missing, then add the page's files to the wheel or the sdist."""

    PLUGIN_NAME = "page-assets"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        """Map each page file to its place in the artifact being built."""
        if version == "editable":
            return  # an editable install serves the checkout's own static/ and templates/
        root = Path(self.root)
        ensure_vendor(root)
        forced: dict[str, str] = build_data["force_include"]
        if self.target_name == "wheel":
            for name in PAGE_FOLDERS:
                for path in page_files(root / name):
                    relative = path.relative_to(root / name).as_posix()
                    forced[str(path)] = f"{WHEEL_PREFIX}{name}/{relative}"
        elif self.target_name == "sdist":
            # Everything else in static/ is tracked, so the sdist already holds it.
            for path in page_files(root / VENDOR):
                forced[str(path)] = path.relative_to(root).as_posix()
