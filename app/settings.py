"""Server settings, with defaults for a laptop and overrides from the CLI or tests."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from platformdirs import user_data_path

ROOT = Path(__file__).resolve().parent.parent
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1", "[::1]")
APP_NAME = "backprop-lab"
DATA_DIR_ENV = "BACKPROP_LAB_DATA_DIR"
WORKERS_ENV = "BACKPROP_LAB_WORKERS"
EXECUTOR_ENV = "BACKPROP_LAB_EXECUTOR"
RAY_ADDRESS_ENV = "BACKPROP_LAB_RAY_ADDRESS"
EXECUTORS = ("process", "thread", "ray")  # where sessions train (see app/training/executors)
PACKAGED_PREFIX = "_"  # a wheel carries static/ and templates/ as app/_static and app/_templates
LESSONS_DIR = Path(__file__).resolve().parent / "lessons"  # package data: in the wheel too


def asset_dir(name: str) -> Path:
    """The page's `static` or `templates` folder: the installed package's copy, else the repo's."""
    packaged = resources.files("app").joinpath(PACKAGED_PREFIX + name)
    if isinstance(packaged, Path) and packaged.is_dir():
        return packaged
    return ROOT / name


def default_data_dir() -> Path:
    """$BACKPROP_LAB_DATA_DIR when set, else the platform's per-user data folder."""
    from_env = os.environ.get(DATA_DIR_ENV, "").strip()
    if from_env:
        return Path(from_env).expanduser()
    return user_data_path(APP_NAME, appauthor=False)


def cores() -> int:
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # macOS, Windows
        return os.cpu_count() or 1


def default_workers() -> int:
    """$BACKPROP_LAB_WORKERS when set (0: train in threads of the web process), else the cores."""
    from_env = os.environ.get(WORKERS_ENV, "").strip()
    if not from_env:
        return cores()
    try:
        workers = int(from_env)
    except ValueError:
        message = f"{WORKERS_ENV} must be a whole number of processes, got {from_env!r}"
        raise ValueError(message) from None
    if workers < 0:
        raise ValueError(f"{WORKERS_ENV} must be 0 or more, got {workers}")
    return workers


def default_executor() -> str:
    """$BACKPROP_LAB_EXECUTOR when set, else worker processes."""
    from_env = os.environ.get(EXECUTOR_ENV, "").strip() or EXECUTORS[0]
    if from_env not in EXECUTORS:
        raise ValueError(f"{EXECUTOR_ENV} must be one of {', '.join(EXECUTORS)}, got {from_env!r}")
    return from_env


def default_ray_address() -> str:
    """$BACKPROP_LAB_RAY_ADDRESS when set, else the Ray cluster running on this machine."""
    return os.environ.get(RAY_ADDRESS_ENV, "").strip() or "auto"


@dataclass(frozen=True)
class Settings:
    """What the server needs to know; everything has a safe default."""

    host: str = "127.0.0.1"
    port: int = 8000
    static_dir: Path = field(default_factory=lambda: asset_dir("static"))
    templates_dir: Path = field(default_factory=lambda: asset_dir("templates"))
    # Where runs and uploads are stored (app/store), created by serve; None: kept in memory only.
    data_dir: Path | None = field(default_factory=default_data_dir)
    lessons_dir: Path = LESSONS_DIR  # the scripted lessons served at /api/lessons
    max_sessions: int = 16
    # Worker processes that train sessions (one core each); 0: threads of the web process.
    workers: int = field(default_factory=default_workers)
    # Where sessions train: "process" (`workers` processes; 0: threads), "thread" (threads of the
    # web process) or "ray" (actors on the Ray cluster at `ray_address`: "auto", the one this
    # machine belongs to; "ray://HOST:PORT"; or "local", one started here for the server).
    executor: str = field(default_factory=default_executor)
    ray_address: str = field(default_factory=default_ray_address)
    ray_actors: int = 0  # Ray actors of one CPU each; 0: one per CPU of the cluster
    ws_max_message_bytes: int = 64 * 1024  # larger messages get an error frame
    ws_transport_max_bytes: int = 1024 * 1024  # uvicorn closes the socket (1009) beyond this
    max_upload_bytes: int = 8 * 1024 * 1024  # above the largest CSV the parser accepts (10k×50)
    frame_interval: float = 0.05  # ~20 frames per second per connection
    compact_bytes_per_second: int = 100_000  # a compact connection's budget (snapshots wait)
    allowed_hosts: tuple[str, ...] | None = None  # None: loopback names when bound to loopback
    # Failed session-token checks per client address: a burst (a classroom behind one NAT after
    # a server restart), then one a second; addresses remembered at most.
    token_failure_burst: int = 60
    token_failure_per_second: float = 1.0
    token_failure_clients: int = 10_000
    # Room mode (`serve --room`): a join code and a room cookie in front of everything; Host
    # names follow the addresses bound. Wrong codes per address: a burst, then one every 5 s.
    room: bool = False
    room_join_burst: int = 10
    room_join_per_second: float = 0.2

    def trusted_hosts(self) -> list[str]:
        """Host headers to accept: on loopback only loopback names, which defeats DNS rebinding."""
        if self.allowed_hosts is not None:
            return list(self.allowed_hosts)
        if self.room:
            from app.lan import host_names  # app.lan reads LOOPBACK_HOSTS from here

            return host_names(self.host)
        if self.host in LOOPBACK_HOSTS:
            return list(LOOPBACK_HOSTS)
        return ["*"]

    @property
    def vendor_files(self) -> tuple[Path, ...]:
        """Files built from package.json that the page cannot work without."""
        vendor = self.static_dir / "vendor"
        katex = vendor / "katex"
        return (
            vendor / "uPlot.esm.js",
            vendor / "uPlot.min.css",
            katex / "katex.mjs",
            katex / "katex.min.css",
        )

    def missing_assets(self) -> list[Path]:
        """Vendor files that have not been built yet."""
        return [path for path in self.vendor_files if not path.is_file()]
