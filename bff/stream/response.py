"""Step 4 of a reply: the ASGI event-stream response for one browser connection.

Everything about the connection itself is decided here, in one place:
- the opener: a comment at once, so the browser knows the stream is live;
- pings: `: ping` every `heartbeat` seconds, so proxies and browsers keep a
  connection open while the model thinks;
- disconnect: the browser leaving is noticed at once (not at the next
  write: the request's task waits on `receive` between frames) and the
  response detaches from the reply, which then waits a grace period for a
  reconnect (buffer.py) or is cancelled;
- the slow-reader rule: a reader that takes no frame for `send_timeout`
  seconds is let go (the reply keeps buffering for a reconnect).
The reply itself is read from upstream by its `ReplyStream`, not here. Every
message goes through the `send` the middleware stack handed us (a middleware
may hold the start until the first body). One watchdog timer per connection
replaces a timeout per frame: frames are the hot path of every relayed token.
"""

from __future__ import annotations

import asyncio
import logging

from starlette.types import Message, Receive, Scope, Send

from ..sse import OPEN, PING
from .buffer import Attachment, Readable

log = logging.getLogger("repchat.stream")

SERVER_SEND = "repchat.server_send"  # scope key: the server's own `send`, when no foreign middleware sits between (app.App)

HEADERS = [
    (b"content-type", b"text/event-stream; charset=utf-8"),
    (b"cache-control", b"no-cache, no-transform"),
    (b"x-accel-buffering", b"no"),
]


class EventStreamResponse:
    def __init__(
        self, stream: Readable, after: int = 0, *, heartbeat: float = 15.0, send_timeout: float = 30.0
    ) -> None:
        self.stream = stream
        self.after = after
        self.heartbeat = heartbeat
        self.send_timeout = send_timeout

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # The stream runs in the server's own task for this request, which also
        # waits for the browser to leave (`Attachment.wait`): no second task per
        # connection, which matters at thousands of open streams.
        await self._stream(receive, send, scope.get(SERVER_SEND, send))

    async def _send(self, send: Send, message: Message) -> None:
        async with asyncio.timeout(self.send_timeout):
            await send(message)

    async def _stream(self, receive: Receive, send: Send, body_send: Send) -> None:
        """`send` takes the start and everything rare; `body_send` the live frames, once the start has passed."""
        loop = asyncio.get_running_loop()

        async def timed(frame: bytes) -> None:
            await self._send(send, {"type": "http.response.body", "body": frame, "more_body": True})

        async def live(frame: bytes) -> None:
            await body_send({"type": "http.response.body", "body": frame, "more_body": True})

        async def ping() -> None:
            try:
                await timed(PING)
            except TimeoutError:
                pass  # the watchdog lets the reader go

        attachment: Attachment | None = None
        tick = min(self.heartbeat, self.send_timeout / 2)
        last_ping = loop.time()
        timer: asyncio.TimerHandle | None = None

        def watch() -> None:
            nonlocal timer, last_ping
            now = loop.time()
            if attachment is not None and attachment.since and now - attachment.since > self.send_timeout:
                log.warning("a reader took no frame for %.0f s; letting it go", self.send_timeout)
                self.stream.stall(attachment)
                return
            if now - last_ping >= self.heartbeat:
                last_ping = now
                asyncio.ensure_future(ping())
            timer = loop.call_later(tick, watch)

        try:
            await self._send(send, {"type": "http.response.start", "status": 200, "headers": HEADERS})
            await timed(OPEN)
            timer = loop.call_later(tick, watch)
            attachment = await self.stream.attach(self.after, live, timed)
            if await attachment.wait(receive):
                await self._send(send, {"type": "http.response.body", "body": b"", "more_body": False})
        except TimeoutError:
            log.warning("a reader stopped reading for %.0f s; its stream was closed", self.send_timeout)
        finally:
            if timer is not None:
                timer.cancel()
            if attachment is not None:
                self.stream.detach(attachment)
