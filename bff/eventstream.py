"""An ASGI response for event streams that cannot pin a server.

Unlike a plain StreamingResponse it:
- opens its source first, so an upstream refusal becomes a JSON error with
  the right status instead of a 200 stream with an error in it;
- sends a comment at once, then `: ping` every `heartbeat` seconds, so
  proxies and browsers see a live connection while the model thinks;
- cancels the source the moment the browser disconnects, which closes the
  upstream request and stops generation;
- gives up on a reader that stops reading for `send_timeout` seconds.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager

from starlette.types import Message, Receive, Scope, Send

from .errors import ApiError
from .sse import OPEN, PING

log = logging.getLogger("repchat.stream")

Source = Callable[[], AbstractAsyncContextManager[AsyncIterator[bytes]]]

HEADERS = [
    (b"content-type", b"text/event-stream; charset=utf-8"),
    (b"cache-control", b"no-cache, no-transform"),
    (b"x-accel-buffering", b"no"),
]


async def _wait_for_disconnect(receive: Receive) -> None:
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return


class EventStreamResponse:
    def __init__(self, source: Source, *, heartbeat: float = 15.0, send_timeout: float = 30.0) -> None:
        self.source = source
        self.heartbeat = heartbeat
        self.send_timeout = send_timeout

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        stream = asyncio.ensure_future(self._stream(scope, receive, send))
        watcher = asyncio.ensure_future(_wait_for_disconnect(receive))
        try:
            await asyncio.wait((stream, watcher), return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (stream, watcher):
                task.cancel()
            await asyncio.gather(stream, watcher, return_exceptions=True)
        if watcher.done() and not watcher.cancelled():
            log.debug("browser disconnected; upstream request cancelled")
        elif not stream.cancelled() and stream.exception() is not None:
            raise stream.exception()  # type: ignore[misc]

    async def _send(self, send: Send, message: Message) -> None:
        async with asyncio.timeout(self.send_timeout):
            await send(message)

    async def _pings(self, send: Send) -> None:
        try:
            while True:
                await asyncio.sleep(self.heartbeat)
                await self._send(send, {"type": "http.response.body", "body": PING, "more_body": True})
        except TimeoutError:
            pass  # the frame loop times out on the same stuck reader and ends the stream

    async def _stream(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = False
        try:
            async with self.source() as frames:
                started = True
                await self._send(send, {"type": "http.response.start", "status": 200, "headers": HEADERS})
                await self._send(send, {"type": "http.response.body", "body": OPEN, "more_body": True})
                pings = asyncio.ensure_future(self._pings(send))
                try:
                    async for frame in frames:
                        await self._send(send, {"type": "http.response.body", "body": frame, "more_body": True})
                finally:
                    pings.cancel()
                await self._send(send, {"type": "http.response.body", "body": b"", "more_body": False})
        except ApiError as exc:
            if started:
                raise
            await exc.response()(scope, receive, send)
        except TimeoutError:
            log.warning("a reader stopped reading for %.0f s; stream closed", self.send_timeout)
