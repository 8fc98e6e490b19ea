"""Run an ASGI app on uvicorn in a background thread.

`repchat demo` uses it to run the emulator beside the BFF, and the tests use
it to get real servers on loopback ports: port 0 (any free port, read back
once listening), or a socket bound beforehand (`listening_socket()`) when the
address must be known before the app is built.
"""

from __future__ import annotations

import socket
import threading
import time
from typing import Any

import uvicorn


class BackgroundServer:
    def __init__(
        self, app: Any, host: str = "127.0.0.1", port: int = 0, *, sock: socket.socket | None = None, **options: Any
    ) -> None:
        options.setdefault("log_level", "warning")
        options.setdefault("lifespan", "on")
        self.config = uvicorn.Config(app, host=host, port=port, **options)
        self.server = uvicorn.Server(self.config)
        self.sockets = [sock] if sock is not None else None
        self.thread = threading.Thread(target=self._run, daemon=True, name=f"uvicorn-{host}:{port}")

    def _run(self) -> None:
        self.server.run(self.sockets)  # uvicorn skips signal handlers outside the main thread

    def start(self, timeout: float = 10.0) -> str:
        """Start serving; returns the base URL once the socket is listening."""
        self.thread.start()
        deadline = time.monotonic() + timeout
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"server on {self.config.host}:{self.config.port} did not start")
            time.sleep(0.01)
        return self.url

    @property
    def port(self) -> int:
        port: int = self.server.servers[0].sockets[0].getsockname()[1]
        return port

    @property
    def url(self) -> str:
        return f"http://{self.config.host}:{self.port}"

    def stop(self, timeout: float = 10.0) -> None:
        self.server.should_exit = True
        self.thread.join(timeout)

    def __enter__(self) -> BackgroundServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
