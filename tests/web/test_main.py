"""App composition: the server refuses to start without its front-end assets."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from starlette.testclient import WebSocketDenialResponse

from app.cli import main
from app.main import MissingAssets, create_app
from app.settings import Settings


def test_missing_vendor_files_stop_the_app_with_what_to_run(tmp_path: Path) -> None:
    with pytest.raises(MissingAssets, match="make run"):
        create_app(Settings(static_dir=tmp_path))


def test_serve_exits_with_a_message_when_assets_are_missing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("app.settings.ROOT", tmp_path)
    assert main(["serve", "--port", "1"]) == 1
    assert "static assets are missing" in capsys.readouterr().err


def test_foreign_host_header_is_refused_on_loopback() -> None:
    """A page on a rebinding domain reaches 127.0.0.1 with its own Host header: refuse it."""
    app = create_app(Settings(data_dir=None))
    with TestClient(app, base_url="http://127.0.0.1:8000") as client:
        assert client.get("/api/health").status_code == 200
    with TestClient(app, base_url="http://evil.example:8000") as client:
        assert client.get("/api/health").status_code == 400
        with pytest.raises(WebSocketDenialResponse), client.websocket_connect("/ws/sessions/x"):
            pass
    assert Settings(host="0.0.0.0").trusted_hosts() == ["*"]
