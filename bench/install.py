"""`python -m bench.install`: the wheel's size and file count, and `pip install` to a served page.

Builds the sdist and a wheel from it (as `make wheel` does), makes a fresh venv outside the
checkout, then times `pip install` of the wheel (dependencies from pip's cache unless --cold) and
`backprop-lab serve` until the page and everything it loads have been fetched. Figures only.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from tests.packaging.installed import (
    build_dists,
    crawl,
    isolated_env,
    make_venv,
    pip_install,
    serve,
    wheel_files,
)


def main() -> None:
    """Print the figures."""
    parser = argparse.ArgumentParser(prog="python -m bench.install", description=__doc__)
    parser.add_argument("--cold", action="store_true", help="pip install with --no-cache-dir")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-install-") as tmp:
        base = Path(tmp)
        started = time.perf_counter()
        sdist, wheel = build_dists(base / "dist")
        built = time.perf_counter() - started
        print(f"sdist  {sdist.name}: {sdist.stat().st_size / 1024:.0f} KiB")
        print(
            f"wheel  {wheel.name}: {wheel.stat().st_size / 1024:.0f} KiB, "
            f"{len(wheel_files(wheel))} files (sdist + wheel built in {built:.1f} s)"
        )
        workdir = base / "elsewhere"
        workdir.mkdir()
        bin_dir = make_venv(base / "venv")
        started = time.perf_counter()
        pip_install(bin_dir, wheel, workdir, *(["--no-cache-dir"] if args.cold else []))
        installed = time.perf_counter() - started
        command = [str(bin_dir / "backprop-lab"), "serve", "--port", "0", "--log-level", "warning"]
        command += ["--data-dir", str(workdir / "data")]
        with serve(command, cwd=workdir, env=isolated_env()) as server:
            listening = time.perf_counter() - started
            results = crawl(server.url)
            served = time.perf_counter() - started
        ok = sum(status == 200 for status, _ in results.values())
        cache = "no pip cache" if args.cold else "pip cache as it is"
        print(f"pip install            {installed:5.1f} s  ({cache})")
        print(f"+ serve listening      {listening:5.1f} s")
        print(f"+ page and its assets  {served:5.1f} s  ({ok}/{len(results)} fetched with 200)")


if __name__ == "__main__":
    main()
