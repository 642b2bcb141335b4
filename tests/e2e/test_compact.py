"""The page asks for the compact encoding, decodes its binary frames, and charts every epoch."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.conftest import open_app, wait_epoch_equal

pytestmark = pytest.mark.e2e

EPOCHS = 60


def test_the_page_streams_binary_frames_and_charts_every_epoch(page: Any) -> None:
    sockets: list[str] = []
    binary: list[bytes] = []

    def on_frame(payload: Any) -> None:
        if isinstance(payload, bytes):
            binary.append(payload[:48])

    def on_socket(ws: Any) -> None:
        sockets.append(ws.url)
        ws.on("framereceived", on_frame)

    page.on("websocket", on_socket)
    open_app(page)
    assert sockets and "encoding=compact" in sockets[-1], sockets
    page.evaluate(f"() => window.backpropLab.socket.send({{type: 'step', epochs: {EPOCHS}}})")
    wait_epoch_equal(page, EPOCHS)
    page.wait_for_selector("[data-testid='run-state'][data-state='paused']")
    kinds = {kind for kind in ("metrics", "snapshot") for head in binary if kind.encode() in head}
    assert kinds == {"metrics", "snapshot"}, "metrics and snapshots arrive as binary messages"
    epochs = page.evaluate("() => window.backpropLab.views.charts.drawn('loss')[0]")
    assert epochs == list(range(1, EPOCHS + 1)), "every epoch reaches the loss chart, in order"
    losses = page.evaluate("() => window.backpropLab.views.charts.drawn('loss')[1]")
    assert all(isinstance(v, float | int) and v > 0 for v in losses)
    assert page.locator("#toasts .toast").count() == 0, "no frame failed to decode"
