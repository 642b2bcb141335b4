"""Build the wheel, install it in a fresh venv away from the checkout, serve it, crawl the page."""

from __future__ import annotations

import os
import queue
import re
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urldefrag, urljoin, urlsplit

ROOT = Path(__file__).resolve().parents[2]
BUILD_SECONDS = 180
INSTALL_SECONDS = 420  # dependencies come from pip's cache after the first run
START_SECONDS = 60
FETCH_SECONDS = 15
SERVING = re.compile(r"serving on (http://\S+)")
PAGE_REFS = re.compile(r"""(?:src|href)=["'](/static/[^"']+)["']""")
# Any quoted module path: static imports, `import('...')` and the paths view-loader.js imports.
JS_REFS = re.compile(r"""["']((?:\.{1,2}/|/static/)[^"'\s]+\.js)["']""")
CSS_REFS = re.compile(r"""url\(\s*["']?([^"')\s]+)["']?\s*\)""")


def isolated_env(**extra: str) -> dict[str, str]:
    """This process's environment without anything that points Python at the checkout."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    env.pop("VIRTUAL_ENV", None)
    env.update(extra)
    return env


def build_dists(out: Path) -> tuple[Path, Path]:
    """Build the sdist, then the wheel from that sdist (as `python -m build` does); return both."""
    subprocess.run(
        [sys.executable, "-m", "build", "--no-isolation", "--outdir", str(out), str(ROOT)],
        check=True,
        capture_output=True,
        timeout=BUILD_SECONDS,
    )
    (sdist,) = out.glob("*.tar.gz")
    (wheel,) = out.glob("*.whl")
    return sdist, wheel


def wheel_files(wheel: Path) -> list[str]:
    """The names of the files inside `wheel`."""
    with zipfile.ZipFile(wheel) as archive:
        return [name for name in archive.namelist() if not name.endswith("/")]


def make_venv(folder: Path) -> Path:
    """A fresh venv from the base interpreter (not this venv's packages); returns its bin/."""
    subprocess.run(
        [sys.executable, "-m", "venv", "--without-pip", str(folder)], check=True, timeout=60
    )
    return folder / "bin"


def pip_install(bin_dir: Path, wheel: Path, cwd: Path, *options: str) -> None:
    """Install `wheel` and its dependencies into the venv with this pip (and pip's cache)."""
    pip = [sys.executable, "-m", "pip", "--python", str(bin_dir / "python")]
    result = subprocess.run(
        [*pip, "install", "-q", "--disable-pip-version-check", *options, str(wheel)],
        cwd=cwd,
        env=isolated_env(),
        capture_output=True,
        text=True,
        timeout=INSTALL_SECONDS,
    )
    if result.returncode != 0:
        raise AssertionError(f"pip install {wheel.name} failed:\n{result.stderr[-3000:]}")


@dataclass
class Served:
    """A running `backprop-lab serve`: its URL and the lines it printed."""

    url: str
    stdout: list[str]


@contextmanager
def serve(command: list[str], cwd: Path, env: dict[str, str]) -> Iterator[Served]:
    """Run `command` (a serve on port 0) until it prints its URL; stop it afterwards."""
    log = cwd / "serve-stderr.log"
    with log.open("w") as stderr:
        proc = subprocess.Popen(
            command, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=stderr, text=True
        )
    lines: queue.Queue[str | None] = queue.Queue()
    threading.Thread(target=_pump, args=(proc, lines), daemon=True).start()
    seen: list[str] = []
    try:
        deadline = time.monotonic() + START_SECONDS
        url = None
        while url is None:
            try:
                line = lines.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                line = None
            if line is None:
                try:
                    code: int | None = proc.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    code = None
                raise AssertionError(
                    f"`{' '.join(command)}` printed no URL within {START_SECONDS} s "
                    f"(exit code {code}); stdout: {seen}; stderr: {log.read_text()[-3000:]}"
                )
            seen.append(line.rstrip("\n"))
            match = SERVING.search(line)
            url = match.group(1) if match else None
        yield Served(url=url, stdout=seen)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=15)


def _pump(proc: subprocess.Popen[str], lines: queue.Queue[str | None]) -> None:
    """Copy the process's stdout into `lines`, then None when it closes."""
    assert proc.stdout is not None
    for line in proc.stdout:
        lines.put(line)
    lines.put(None)


def fetch(url: str) -> tuple[int, str, bytes]:
    """GET `url`: status, content type and body (an HTTP error is a status, not an exception)."""
    try:
        with urllib.request.urlopen(url, timeout=FETCH_SECONDS) as response:
            return response.status, response.headers.get("content-type", ""), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers.get("content-type", ""), b""


def crawl(page_url: str) -> dict[str, tuple[int, str]]:
    """Fetch the page and everything it loads: its static refs, JS imports, CSS @import/url()."""
    results: dict[str, tuple[int, str]] = {}
    pending = [page_url]
    while pending:
        url = urldefrag(pending.pop())[0]
        if url in results:
            continue
        status, content_type, body = fetch(url)
        results[url] = (status, content_type)
        path = urlsplit(url).path
        text = body.decode("utf-8", errors="replace")
        if url == page_url:
            refs = PAGE_REFS.findall(text)
        elif path.endswith(".js"):
            refs = JS_REFS.findall(text)
        elif path.endswith(".css"):
            refs = CSS_REFS.findall(text)
        else:
            refs = []
        pending += [urljoin(url, ref) for ref in refs if not ref.startswith("data:")]
    return results
