"""Replies that outlive a dropped connection.

A reply's upstream stream is read by a task of its own, not by the browser's
request. Every encoded frame goes into a bounded buffer and, while a browser
is attached, straight to it. When the browser goes away (network change,
sleep, reload, navigation) the reply keeps being read for a grace period; a
reconnect with `Last-Event-ID: <stream>.<n>` replays frames after n and
continues live. Without a reconnect the upstream request is cancelled when
the grace period ends; an explicit stop cancels it at once. The reply is
generated once, and the ids make sure no frame is shown twice or lost.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

from .errors import ApiError
from .relay import Reply, relay
from .sse import encode
from .upstream_events import Event

log = logging.getLogger("repchat.streams")

Opener = Callable[[], AbstractAsyncContextManager[AsyncIterator[list[Event]]]]
Send = Callable[[bytes], Awaitable[None]]


class Attachment:
    """One browser connection reading a reply.

    `since` is when the send in progress began (0 when none is): the response's
    watchdog compares it with the send timeout, so a live frame costs no timer.
    """

    __slots__ = ("send", "ended", "since", "stalled")

    def __init__(self, send: Send) -> None:
        self.send = send
        self.ended: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.since = 0.0
        self.stalled = False

    def end(self) -> None:
        if not self.ended.done():
            self.ended.set_result(None)


class ReplyStream:
    def __init__(self, hub: StreamHub, session_id: str, opener: Opener, reply: Reply) -> None:
        self.hub = hub
        self.id = secrets.token_hex(8)
        self.session_id = session_id
        self.frames: list[bytes] = []
        self.size = 0
        self.done = False
        self.sink: Attachment | None = None
        self.loop = asyncio.get_running_loop()
        self.opened: asyncio.Future[None] = self.loop.create_future()
        self._timer: asyncio.TimerHandle | None = None
        self.task = asyncio.create_task(self._run(opener, reply), name=f"reply-{self.id}")

    # -- the producer: upstream -> buffer -> attached browser ------------------

    async def _run(self, opener: Opener, reply: Reply) -> None:
        try:
            async with opener() as events:
                self.opened.set_result(None)
                async with asyncio.timeout(self.hub.max_duration):
                    async for frames in relay(events, reply, self.id):
                        if not await self._push(frames):
                            break
        except ApiError as exc:
            if not self.opened.done():
                self.opened.set_exception(exc)
            else:
                await self._push([self._error(exc.as_event())])
        except TimeoutError:
            await self._push(
                [self._error({"code": "stream_timeout", "message": "The reply took too long.", "retryable": True})]
            )
        except asyncio.CancelledError:
            pass  # stopped, or nobody came back in time: the upstream request is closed by now
        finally:
            if not self.opened.done():
                self.opened.set_exception(ApiError(502, "upstream_error", "The chat service failed.", retryable=True))
            self._finish()

    def _error(self, data: dict[str, Any]) -> bytes:
        return encode("error", data, f"{self.id}.{len(self.frames) + 1}")

    async def _push(self, frames: list[bytes]) -> bool:
        """Buffer frames and hand them to the attached browser in one write; False when the buffer is full."""
        size = sum(map(len, frames))
        if self.size + size > self.hub.max_buffer:
            error = self._error({"code": "reply_too_large", "message": "The reply was too large.", "retryable": False})
            self.frames.append(error)
            await self._deliver(error)
            return False
        self.frames.extend(frames)
        self.size += size
        await self._deliver(frames[0] if len(frames) == 1 else b"".join(frames))
        return True

    async def _deliver(self, frame: bytes) -> None:
        sink = self.sink
        if sink is None:
            return
        sink.since = self.loop.time()
        try:
            await sink.send(frame)
        except asyncio.CancelledError:
            if not sink.stalled:
                raise
            # The watchdog cut a send the browser stopped reading: keep the reply going.
            self.task.uncancel()
            self._drop(sink)
        except Exception:
            self._drop(sink)
        finally:
            sink.since = 0.0

    def _drop(self, sink: Attachment) -> None:
        """Let a reader go; the reply keeps buffering for a reconnect."""
        self.detach(sink)
        sink.end()

    def stall(self, sink: Attachment) -> None:
        """The attached browser has not taken a frame for too long: stop waiting on it."""
        if self.sink is sink and sink.since and not self.task.done():
            sink.stalled = True
            self.task.cancel()

    def _finish(self) -> None:
        self.done = True
        if self.sink is not None:
            self.sink.end()
            self.sink = None
        self.hub.finished(self)

    # -- readers ----------------------------------------------------------------

    async def attach(self, after: int, send: Send, replay: Send) -> Attachment:
        """Replay frames after seq `after` (with `replay`), then follow live (with `send`).

        A newer reader replaces an older one.
        """
        attachment = Attachment(send)
        if self.sink is not None:
            self.sink.end()
            self.sink = None
        self._cancel_timer()
        cursor = max(0, after)
        while cursor < len(self.frames):
            end = len(self.frames)
            await replay(b"".join(self.frames[cursor:end]))
            cursor = end
        if self.done:
            attachment.end()
        else:
            self.sink = attachment
        return attachment

    def detach(self, attachment: Attachment) -> None:
        if self.sink is attachment:
            self.sink = None
            if not self.done:
                self._start_timer(self.hub.grace, self.stop)

    def stop(self) -> None:
        """Cancel the upstream request now."""
        self._cancel_timer()
        if not self.task.done():
            self.task.cancel()

    def _start_timer(self, delay: float, action: Callable[[], None]) -> None:
        self._cancel_timer()
        if delay <= 0:
            action()
        else:
            self._timer = asyncio.get_running_loop().call_later(delay, action)

    def _cancel_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None


class StreamHub:
    """The replies of this process, by id, with the per-worker and per-visitor caps."""

    def __init__(
        self,
        grace: float = 30.0,
        max_buffer: int = 2 * 1024 * 1024,
        max_duration: float = 300.0,
        max_streams: int = 1000,
        max_per_visitor: int = 2,
    ) -> None:
        self.grace = grace
        self.max_buffer = max_buffer
        self.max_duration = max_duration
        self.max_streams = max_streams
        self.max_per_visitor = max_per_visitor
        self.streams: dict[str, ReplyStream] = {}
        self.active = 0

    def start(self, session_id: str, opener: Opener, reply: Reply) -> ReplyStream:
        if self.active >= self.max_streams:
            raise ApiError(503, "busy", "The chat is very busy right now; please retry in a moment.", retryable=True,
                           headers={"Retry-After": "5"})
        mine = sum(1 for s in self.streams.values() if s.session_id == session_id and not s.done)
        if mine >= self.max_per_visitor:
            raise ApiError(429, "too_many_streams", "A reply is still being written; wait for it or stop it.",
                           retryable=True, headers={"Retry-After": "2"})
        stream = ReplyStream(self, session_id, opener, reply)
        self.streams[stream.id] = stream
        self.active += 1
        return stream

    def finished(self, stream: ReplyStream) -> None:
        self.active -= 1
        # Keep the finished reply a while, so a reader that lost the end can still fetch it.
        stream._start_timer(self.grace, lambda: self.streams.pop(stream.id, None))

    def find(self, last_event_id: str, session_id: str) -> tuple[ReplyStream, int]:
        """The stream and seq a `Last-Event-ID` names, if it is this visitor's and still here."""
        stream_id, _, seq = last_event_id.partition(".")
        stream = self.streams.get(stream_id)
        if stream is None or stream.session_id != session_id or not seq.isdigit():
            raise ApiError(410, "stream_gone", "That reply can no longer be resumed.")
        return stream, int(seq)

    def stop_session(self, session_id: str, stream_id: str | None = None) -> int:
        stopped = 0
        for stream in list(self.streams.values()):
            if stream.session_id == session_id and not stream.done and stream_id in (None, stream.id):
                stream.stop()
                stopped += 1
        return stopped

    async def aclose(self) -> None:
        for stream in list(self.streams.values()):
            stream.stop()
        tasks = [stream.task for stream in self.streams.values()]
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
