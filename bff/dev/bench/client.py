"""A lean load client: raw asyncio connections that time the first token and count the rest.

It parses nothing it does not need (it counts markers in the bytes), so the
client's own CPU stays small next to what it measures.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import cast


@dataclass
class Result:
    ttft: float | None  # seconds from connect to the first token
    tokens: int
    ended: str  # "done", "error", "closed", "timeout", or "refused"
    status: int


class Probe(asyncio.Protocol):
    def __init__(self, request: bytes, token_marker: bytes, done_marker: bytes, finished: asyncio.Future[Result]) -> None:
        self.request = request
        self.token_marker = token_marker
        self.done_marker = done_marker
        self.finished = finished
        self.started = time.perf_counter()
        self.first: float | None = None
        self.tokens = 0
        self.tail = b""
        self.status = 0
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's transports are not asyncio.Transport
        self.transport.write(self.request)

    def data_received(self, data: bytes) -> None:
        if not self.status and data.startswith(b"HTTP/1.1 "):
            self.status = int(data[9:12])
        window = self.tail + data
        found = window.count(self.token_marker) - self.tail.count(self.token_marker)
        if found:
            self.tokens += found
            if self.first is None:
                self.first = time.perf_counter()
        self.tail = window[-64:]
        if self.done_marker in window or b"event: error" in window or self.status >= 400:
            self._finish("done" if self.done_marker in window else "error")
            assert self.transport is not None
            self.transport.close()

    def connection_lost(self, exc: Exception | None) -> None:
        self._finish("closed")

    def _finish(self, how: str) -> None:
        if not self.finished.done():
            ttft = None if self.first is None else self.first - self.started
            self.finished.set_result(Result(ttft, self.tokens, how, self.status))


def http_request(host: str, port: int, path: str, body: bytes, headers: dict[str, str]) -> bytes:
    lines = [f"POST {path} HTTP/1.1", f"Host: {host}:{port}", "Content-Type: application/json",
             f"Content-Length: {len(body)}", "Connection: close"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


async def stream_once(host: str, port: int, request: bytes, token_marker: bytes, done_marker: bytes,
                      timeout: float) -> Result:
    loop = asyncio.get_running_loop()
    finished: asyncio.Future[Result] = loop.create_future()
    try:
        transport, _ = await loop.create_connection(
            lambda: Probe(request, token_marker, done_marker, finished), host, port
        )
    except OSError:
        return Result(None, 0, "refused", 0)
    try:
        return await asyncio.wait_for(finished, timeout)
    except TimeoutError:
        transport.close()
        return Result(None, 0, "timeout", 0)
