"""Server settings, with defaults for a laptop and overrides from the CLI or tests."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1", "[::1]")


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
    max_upload_bytes: int = 8 * 1024 * 1024  # above the largest CSV the parser accepts (10k×50)
    frame_interval: float = 0.05  # ~20 frames per second per connection
    allowed_hosts: tuple[str, ...] | None = None  # None: loopback names when bound to loopback
    # Failed session-token checks per client address: a burst (a classroom behind one NAT after
    # a server restart), then one a second; addresses remembered at most.
    token_failure_burst: int = 60
    token_failure_per_second: float = 1.0
    token_failure_clients: int = 10_000

    def trusted_hosts(self) -> list[str]:
        """Host headers to accept: on loopback only loopback names, which defeats DNS rebinding."""
        if self.allowed_hosts is not None:
            return list(self.allowed_hosts)
        if self.host in LOOPBACK_HOSTS:
            return list(LOOPBACK_HOSTS)
        return ["*"]

    @property
    def vendor_files(self) -> tuple[Path, ...]:
        """Files built from package.json that the page cannot work without."""
        vendor = self.static_dir / "vendor"
        return (vendor / "uPlot.esm.js", vendor / "uPlot.min.css")

    def missing_assets(self) -> list[Path]:
        """Vendor files that have not been built yet."""
        return [path for path in self.vendor_files if not path.is_file()]
