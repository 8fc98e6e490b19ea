"""uvicorn's HTTP protocol with a deadline for request headers, for running without nginx.

uvicorn closes idle keep-alive connections, but waits forever for a new
connection's first request, or for headers that arrive a byte at a time
(slowloris): a few hundred such connections would hold every slot. Here a
connection must deliver each request's headers within `header_timeout`
seconds (REPCHAT_HEADER_TIMEOUT) of connecting or of the request's first byte.
"""

from __future__ import annotations

import asyncio
import functools

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from .settings import load_settings


@functools.cache
def header_timeout() -> float:
    """The deadline, read once per process (worker processes read the same environment)."""
    return load_settings().header_timeout


class HeaderDeadlineProtocol(HttpToolsProtocol):
    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._deadline: asyncio.TimerHandle | None = self.loop.call_later(header_timeout(), self._too_slow)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        if self._deadline is None:
            self._deadline = self.loop.call_later(header_timeout(), self._too_slow)

    def on_headers_complete(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None
        super().on_headers_complete()

    def connection_lost(self, exc: Exception | None) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None
        super().connection_lost(exc)

    def _too_slow(self) -> None:
        self._deadline = None
        if not self.transport.is_closing():
            self.transport.close()

