"""An ASGI response that streams one reply to one browser connection.

Unlike a plain StreamingResponse it:
- sends a comment at once, then `: ping` every `heartbeat` seconds, so
  proxies and browsers see a live connection while the model thinks;
- notices the browser leaving at once (not at the next write) and detaches
  from the reply, which then waits for a reconnect or is cancelled;
- gives up on a reader that stops reading for `send_timeout` seconds.
The reply itself is read from upstream by its `ReplyStream`, not here.
"""

from __future__ import annotations

import asyncio
import logging

from starlette.types import Message, Receive, Scope, Send

from .sse import OPEN, PING
from .streams import Attachment, ReplyStream

log = logging.getLogger("repchat.stream")

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
    def __init__(
        self, stream: ReplyStream, after: int = 0, *, heartbeat: float = 15.0, send_timeout: float = 30.0
    ) -> None:
        self.stream = stream
        self.after = after
        self.heartbeat = heartbeat
        self.send_timeout = send_timeout

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        streaming = asyncio.ensure_future(self._stream(send))
        watcher = asyncio.ensure_future(_wait_for_disconnect(receive))
        try:
            await asyncio.wait((streaming, watcher), return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (streaming, watcher):
                task.cancel()
            await asyncio.gather(streaming, watcher, return_exceptions=True)
        if not streaming.cancelled() and streaming.exception() is not None:
            raise streaming.exception()  # type: ignore[misc]

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

    async def _stream(self, send: Send) -> None:
        async def send_frame(frame: bytes) -> None:
            await self._send(send, {"type": "http.response.body", "body": frame, "more_body": True})

        attachment: Attachment | None = None
        pings: asyncio.Future[None] | None = None
        try:
            await self._send(send, {"type": "http.response.start", "status": 200, "headers": HEADERS})
            await send_frame(OPEN)
            pings = asyncio.ensure_future(self._pings(send))
            attachment = await self.stream.attach(self.after, send_frame)
            await attachment.ended
            pings.cancel()
            await self._send(send, {"type": "http.response.body", "body": b"", "more_body": False})
        except TimeoutError:
            log.warning("a reader stopped reading for %.0f s; its stream was closed", self.send_timeout)
        finally:
            if pings is not None:
                pings.cancel()
            if attachment is not None:
                self.stream.detach(attachment)
