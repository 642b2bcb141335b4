"""Server settings, with defaults for a laptop and overrides from the CLI or tests."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Settings:
    """What the server needs to know; everything has a safe default."""

    host: str = "127.0.0.1"
    port: int = 8000
    static_dir: Path = field(default_factory=lambda: ROOT / "static")
    templates_dir: Path = field(default_factory=lambda: ROOT / "templates")
    max_sessions: int = 16
    ws_max_message_bytes: int = 64 * 1024  # larger messages get an error frame
    ws_transport_max_bytes: int = 1024 * 1024  # uvicorn closes the socket (1009) beyond this
    max_upload_bytes: int = 2 * 1024 * 1024
    frame_interval: float = 0.05  # ~20 frames per second per connection

    @property
    def vendor_files(self) -> tuple[Path, ...]:
        """Files built from package.json that the page cannot work without."""
        vendor = self.static_dir / "vendor"
        return (vendor / "uPlot.esm.js", vendor / "uPlot.min.css")

    def missing_assets(self) -> list[Path]:
        """Vendor files that have not been built yet."""
        return [path for path in self.vendor_files if not path.is_file()]
