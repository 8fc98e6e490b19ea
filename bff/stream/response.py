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
The reply itself is read from upstream by its `ReplyStream`, not here. The
start goes through the `send` the middleware stack handed us; with only the
BFF's own middleware the rest follows from `app.App`, with the server's own
`send`, and with an embedder's middleware (which may hold the start until the
first body) every frame goes through the stack. One watchdog timer per
connection replaces a timeout per frame: frames are the hot path of every
relayed token.
"""

from __future__ import annotations

import asyncio
import logging
from functools import partial

from starlette.types import Message, Receive, Scope, Send

from ..sse import OPEN, PING
from .buffer import Attachment, Readable

log = logging.getLogger("repchat.stream")

SERVER_SEND = "repchat.server_send"  # scope key: the server's own `send`, when no foreign middleware sits between (app.App)
FOLLOW = "repchat.follow"  # scope key: the rest of an event stream, for app.App to run once the framework has returned

HEADERS = [
    (b"content-type", b"text/event-stream; charset=utf-8"),
    (b"cache-control", b"no-cache, no-transform"),
    (b"x-accel-buffering", b"no"),
]


class EventStreamResponse:
    """One browser connection's event stream; its state lives in slots, not closures (thousands are open)."""

    __slots__ = ("stream", "after", "heartbeat", "send_timeout", "send", "attachment", "last_ping", "timer")
    send: Send  # what frames go through once the start has passed; set by `_follow`, before any frame

    def __init__(
        self, stream: Readable, after: int = 0, *, heartbeat: float = 15.0, send_timeout: float = 30.0
    ) -> None:
        self.stream = stream
        self.after = after
        self.heartbeat = heartbeat
        self.send_timeout = send_timeout
        self.attachment: Attachment | None = None
        self.last_ping = 0.0
        self.timer: asyncio.TimerHandle | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not await self._open(send):
            return
        direct = scope.get(SERVER_SEND)
        if direct is None:
            # An embedder's middleware sits between: it sees every frame too.
            await self._follow(receive, send)
        else:
            # Only the BFF's own middleware sits between, and it looks at the start
            # alone. The rest of the stream is left to `App` (`FOLLOW`), once the
            # framework's stack of coroutines has unwound: held for a stream's
            # whole life, they cost 2 KiB per open stream.
            scope[FOLLOW] = partial(self._follow, receive, direct)

    async def _send(self, send: Send, message: Message) -> None:
        async with asyncio.timeout(self.send_timeout):
            await send(message)

    async def _open(self, send: Send) -> bool:
        """The response's start and the opener comment; False when the browser took neither in time."""
        try:
            await self._send(send, {"type": "http.response.start", "status": 200, "headers": HEADERS})
            await self._send(send, {"type": "http.response.body", "body": OPEN, "more_body": True})
        except TimeoutError:
            log.warning("a reader stopped reading for %.0f s; its stream was closed", self.send_timeout)
            return False
        return True

    async def _follow(self, receive: Receive, send: Send) -> None:
        """Replay the reply, then follow it live, until it ends or the browser leaves."""
        loop = asyncio.get_running_loop()
        self.send, self.last_ping = send, loop.time()
        try:
            self.timer = loop.call_later(self._tick(), self._watch)
            self.attachment = await self.stream.attach(self.after, self._live, self._timed)
            if await self.attachment.wait(receive):
                await self._send(send, {"type": "http.response.body", "body": b"", "more_body": False})
        except TimeoutError:
            log.warning("a reader stopped reading for %.0f s; its stream was closed", self.send_timeout)
        finally:
            if self.timer is not None:
                self.timer.cancel()
            if self.attachment is not None:
                self.stream.detach(self.attachment)

    async def _timed(self, frame: bytes) -> None:
        """A replayed frame or a ping: given up after `send_timeout`."""
        await self._send(self.send, {"type": "http.response.body", "body": frame, "more_body": True})

    async def _live(self, frame: bytes) -> None:
        """A live frame: no timeout of its own (the watchdog's job), as it is every relayed token's path."""
        await self.send({"type": "http.response.body", "body": frame, "more_body": True})

    async def _ping(self) -> None:
        try:
            await self._timed(PING)
        except TimeoutError:
            pass  # the watchdog lets the reader go

    def _tick(self) -> float:
        return min(self.heartbeat, self.send_timeout / 2)

    def _watch(self) -> None:
        loop = asyncio.get_running_loop()
        now = loop.time()
        attachment = self.attachment
        if attachment is not None and attachment.since and now - attachment.since > self.send_timeout:
            log.warning("a reader took no frame for %.0f s; letting it go", self.send_timeout)
            self.stream.stall(attachment)
            return
        if now - self.last_ping >= self.heartbeat:
            self.last_ping = now
            asyncio.ensure_future(self._ping())
        self.timer = loop.call_later(self._tick(), self._watch)
