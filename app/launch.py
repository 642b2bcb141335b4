"""`backprop-lab serve`'s greeting: once uvicorn listens, print the URL and open a browser."""

from __future__ import annotations

import socket
import sys
import threading
import webbrowser
from collections.abc import Callable

import uvicorn

from app.lan import WILDCARD_HOSTS
from app.web.loop_health import LoopWatch, settle_heap, watch_loop
from app.web.memory_trace import MemoryTrace, trace_memory


def page_url(host: str, port: int) -> str:
    """The address a browser on this machine uses; a wildcard bind is reached through loopback."""
    if host in WILDCARD_HOSTS:
        host = "127.0.0.1"
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"
    return f"http://{host}:{port}/"


def open_in_browser(url: str) -> None:
    """Open `url` in the default browser, or say that it could not be opened."""
    try:
        opened = webbrowser.open(url)
    except webbrowser.Error:
        opened = False
    if not opened:
        sys.stderr.write(f"backprop-lab: found no browser to open; open {url} yourself\n")


class AnnouncingServer(uvicorn.Server):
    """A uvicorn server that prints its URL (and opens it when asked) once its socket listens."""

    def __init__(
        self,
        config: uvicorn.Config,
        *,
        open_browser: bool = False,
        greeting: Callable[[int], str] | None = None,  # more to print, given the real port
        open_url: Callable[[int], str] | None = None,  # what --open opens (default: the page)
    ) -> None:
        super().__init__(config)
        self.open_browser = open_browser
        self.greeting = greeting
        self.open_url = open_url
        self.url: str | None = None
        self.loop_watch: LoopWatch | None = None
        self.memory_trace: MemoryTrace | None = None

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        """Start as uvicorn does, then announce: only now can a browser connect."""
        await super().startup(sockets=sockets)
        if not self.started:
            return
        settle_heap()  # before the first request: the loop's full collections stay short
        self.loop_watch = watch_loop()
        self.memory_trace = trace_memory()
        port = self.servers[0].sockets[0].getsockname()[1]  # the real one when asked for port 0
        self.url = page_url(self.config.host, port)
        sys.stdout.write(f"Backprop Lab is serving on {self.url}  (Ctrl+C to stop)\n")
        if self.greeting is not None:
            sys.stdout.write(self.greeting(port))
        sys.stdout.flush()
        if self.open_browser:
            # As Jupyter does: a thread, since a browser launcher may block for a while.
            target = self.open_url(port) if self.open_url else self.url
            threading.Thread(target=open_in_browser, args=(target,), daemon=True).start()
