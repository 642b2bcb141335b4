"""`python -m bench.browser`: the page's main-thread cost while a deep net trains at full speed.

Starts `backprop-lab serve` on a free loopback port and Chromium (Playwright, 1280×720), builds
8 hidden tanh layers of 32 units on the spiral, loads the charts with HISTORY epochs of history
(epochs -HISTORY..-1, so the live epochs follow them), plays, and for SECONDS measures:
- main-thread busy time per animation frame: CDP Performance.getMetrics TaskDuration sampled every
  WINDOW seconds, divided by the requestAnimationFrame ticks in that window (median and p95 of the
  windows, and the overall mean);
- long tasks (PerformanceObserver 'longtask': count, mean, max), the rAF interval, the JS heap;
- the epochs per second the page displays, and what redrawing the per-unit map thumbnails takes
  when a snapshot arrives. Figures only, never a pass/fail.

The preloaded history is generated (smooth curves with jitter): the page's cost depends on how
many points it holds and draws, not on their values.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time
from typing import Any

from bench.live import free_port, wait_for

VIEWPORT: Any = {"width": 1280, "height": 720}
CHROMIUM_ARGS = ["--no-sandbox", "--disable-dev-shm-usage", "--no-first-run"]
LAYERS = 8
UNITS = 32
HISTORY = 100_000
WINDOW = 0.5

# Columns for epochs -n..-1, shaped like a metrics frame for `layers` layer names.
PRELOAD_JS = """
([n, names]) => {
  let seed = 12345;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
  const col = (f) => Array.from({ length: n }, (_, j) => f(j / n) * (1 + 0.05 * (rnd() - 0.5)));
  const frame = {
    type: 'metrics',
    epoch: Array.from({ length: n }, (_, j) => j - n),
    train_loss: col((t) => 0.7 * Math.exp(-4 * t) + 0.02),
    val_loss: col((t) => 0.7 * Math.exp(-3 * t) + 0.05),
    train_acc: col((t) => 1 - 0.5 * Math.exp(-5 * t)),
    val_acc: col((t) => 0.98 - 0.5 * Math.exp(-4 * t)),
    lr: col(() => 0.03), grad_norm_global: col((t) => 1 + Math.sin(9 * t)),
    grad_norm_clipped: col(() => null),
    layers: names.map((name, i) => ({
      name,
      grad_norm: col((t) => 10 ** (-i / 2) * (1 + t)),
      grad_norm_b: col((t) => 10 ** (-i / 2) * 0.3),
      weight_norm: col((t) => 3 + i + t), update_ratio: col((t) => 1e-3 * (1 + Math.cos(7 * t))),
      act_mean: col((t) => 0.1 * Math.sin(5 * t + i)), act_std: col((t) => 0.5 + 0.1 * i * t),
      dead_frac: col(() => null), saturated_frac: col((t) => 0.1 * t),
    })),
  };
  window.backpropLab.views.charts.append(frame);
}
"""

# Probes: rAF ticks and long tasks, recorded in page globals.
PROBE_JS = """
() => {
  const p = (window.__bench = { ticks: 0, deltas: [], long: [] });
  let prev = performance.now();
  const tick = (t) => {
    p.ticks++; p.deltas.push(t - prev); prev = t; requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
  new PerformanceObserver((list) => { for (const e of list.getEntries()) p.long.push(e.duration); })
    .observe({ type: 'longtask' });
}
"""


def chromium_path() -> str:
    """BACKPROP_CHROMIUM, else `chromium` on the PATH."""
    return os.environ.get("BACKPROP_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"


def metrics(cdp: Any) -> dict[str, float]:
    """Chromium's Performance.getMetrics as a dict."""
    return {m["name"]: m["value"] for m in cdp.send("Performance.getMetrics")["metrics"]}


def prepare(page: Any) -> None:
    """Build the deep net, wait for its layers on the charts, preload the history."""
    page.goto("/")
    page.wait_for_selector("#app[data-ws-state='open']")
    page.wait_for_selector("[data-testid='chart-grad'][data-series]")
    layers = [{"units": UNITS, "activation": "tanh"} for _ in range(LAYERS)]
    page.evaluate(
        "(layers) => window.backpropLab.socket.send("
        "{type: 'configure', config: {dataset: {name: 'spiral'}, model: {layers}}})",
        layers,
    )
    page.wait_for_selector(f"[data-testid='chart-grad'][data-series='{LAYERS + 1}']")
    names = page.evaluate("() => window.backpropLab.state.model.layerNames")
    page.evaluate(PRELOAD_JS, [HISTORY, names])


def measure(page: Any, seconds: float) -> dict[str, Any]:
    """Play for `seconds` and gather the figures."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("Performance.enable")
    page.evaluate(PROBE_JS)
    page.click("[data-testid='play']")
    page.wait_for_function("() => Number(document.getElementById('app').dataset.epoch) > 0")
    start_epoch = int(page.get_attribute("#app", "data-epoch") or 0)
    started = time.perf_counter()
    before = metrics(cdp)
    ticks_before = page.evaluate("window.__bench.ticks")
    per_frame: list[float] = []
    thumbs: list[float] = []
    prev, prev_ticks = before, ticks_before
    while time.perf_counter() - started < seconds:
        time.sleep(WINDOW)
        now, ticks = metrics(cdp), page.evaluate("window.__bench.ticks")
        thumbs_ms = page.get_attribute("[data-testid='unit-thumbs']", "data-ms")
        if thumbs_ms:
            thumbs.append(float(thumbs_ms))
        if ticks > prev_ticks:
            busy = (now["TaskDuration"] - prev["TaskDuration"]) * 1000
            per_frame.append(busy / (ticks - prev_ticks))
        prev, prev_ticks = now, ticks
    elapsed = time.perf_counter() - started
    end_epoch = int(page.get_attribute("#app", "data-epoch") or 0)
    probe = page.evaluate("window.__bench")
    page.click("[data-testid='play']")
    ticks = probe["ticks"] - ticks_before
    long_tasks = probe["long"]
    return {
        "frames": ticks,
        "fps": ticks / elapsed,
        "median_ms": statistics.median(per_frame) if per_frame else float("nan"),
        "p95_ms": sorted(per_frame)[int(0.95 * (len(per_frame) - 1))]
        if per_frame
        else float("nan"),
        "mean_ms": (prev["TaskDuration"] - before["TaskDuration"]) * 1000 / max(1, ticks),
        "raf_median_ms": statistics.median(probe["deltas"][1:]) if len(probe["deltas"]) > 1 else 0,
        "long_count": len(long_tasks),
        "long_mean": statistics.fmean(long_tasks) if long_tasks else 0.0,
        "long_max": max(long_tasks, default=0.0),
        "heap_mb": prev["JSHeapUsedSize"] / 2**20,
        "epochs_per_s": (end_epoch - start_epoch) / elapsed,
        "load": os.getloadavg()[0],
        "thumbs_ms": statistics.median(thumbs) if thumbs else float("nan"),
        "thumbs": page.get_attribute("[data-testid='unit-thumbs']", "data-count"),
    }


def report(fig: dict[str, Any], seconds: float) -> str:
    """The figures as a few lines."""
    return "\n".join(
        [
            f"{LAYERS}x{UNITS} tanh spiral, {HISTORY:,} epochs preloaded, {seconds:.0f} s playing "
            f"(load average {fig['load']:.1f} on {os.cpu_count()} CPUs)",
            f"main thread per frame: median {fig['median_ms']:.1f} ms, p95 {fig['p95_ms']:.1f} ms, "
            f"mean {fig['mean_ms']:.1f} ms over {fig['frames']} frames ({fig['fps']:.0f} fps, "
            f"rAF interval median {fig['raf_median_ms']:.1f} ms)",
            f"long tasks: {fig['long_count']} (mean {fig['long_mean']:.0f} ms, "
            f"max {fig['long_max']:.0f} ms)",
            f"JS heap used: {fig['heap_mb']:.1f} MiB   "
            f"displayed: {fig['epochs_per_s']:.0f} epochs/s",
            f"unit-map thumbnails ({fig['thumbs']}): a snapshot's redraw takes median "
            f"{fig['thumbs_ms']:.1f} ms (only when a snapshot arrives)",
        ]
    )


def main() -> None:
    """Run the server and Chromium, measure, print."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=30.0)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "app", "serve", "--port", str(port), "--log-level", "warning"]
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(f"{base}/api/health")
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
            try:
                page = browser.new_page(viewport=VIEWPORT, base_url=base)
                page.set_default_timeout(60_000)
                prepare(page)
                sys.stdout.write(report(measure(page, args.seconds), args.seconds) + "\n")
            finally:
                browser.close()
    finally:
        server.terminate()
        server.wait(timeout=10)


if __name__ == "__main__":
    main()
