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
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from starlette.types import Receive

from ..errors import ApiError, error_event
from ..metrics import Metrics
from ..parsing import ascii_int
from .translate import FAILURES, INTERRUPTED, BrowserEvent, Reply, translate
from .mirror import Cursor, RedisDown, Shared
from ..sse import encode, ends_reply
from ..upstream.events import Event

log = logging.getLogger("repchat.streams")


class Source(Protocol):
    """An upstream reply, open: its events batch by batch, `[]` at its end; `close()` once read."""

    async def next_batch(self) -> list[Event]: ...

    def close(self) -> None: ...


Opener = Callable[[], Awaitable[Source]]
Send = Callable[[bytes], Awaitable[None]]
SHUTTING_DOWN = error_event("interrupted", "The server restarted while replying; please retry.")


class Attachment:
    """One browser connection reading a reply.

    `since` is when the send in progress began (0 when none is): the response's
    watchdog compares it with the send timeout, so a live frame costs no timer.
    The browser's own request task waits in `wait()`, for either the end of
    its part of the reply or the browser leaving; `end()` wakes it by
    cancelling that wait. No second task per connection: thousands are held.
    """

    __slots__ = ("send", "done", "since", "stalled", "waiter")

    def __init__(self, send: Send) -> None:
        self.send = send
        self.done = False
        self.since = 0.0
        self.stalled = False
        self.waiter: asyncio.Task[Any] | None = None

    def end(self) -> None:
        if not self.done:
            self.done = True
            if self.waiter is not None:
                self.waiter.cancel()

    def ended(self) -> bool:
        return self.done  # a call, so a type checker does not carry `done` across the await in `wait`

    async def wait(self, receive: Receive) -> bool:
        """True once this reader's part has ended; False when the browser left first."""
        if self.done:
            return True
        task = asyncio.current_task()
        assert task is not None
        self.waiter = task
        try:
            while (await receive())["type"] != "http.disconnect":
                pass
            return False
        except asyncio.CancelledError:
            if not self.ended() or task.uncancel() > 0:
                raise  # not (only) our wake-up: the server is cancelling the request
            return True
        finally:
            self.waiter = None


class ReplyStream:
    """One reply, read from upstream by a task of its own, buffered for resume, handed to its reader."""

    __slots__ = (
        "hub", "id", "session_id", "frames", "size", "done", "sink", "loop", "interrupting", "opened", "_timer",
        "reply", "keys", "started", "task",
    )

    def __init__(self, hub: StreamHub, session_id: str, opener: Opener, reply: Reply) -> None:
        self.hub = hub
        self.id = secrets.token_hex(8)
        self.session_id = session_id
        self.frames: list[bytes] = []
        self.size = 0
        self.done = False
        self.sink: Attachment | None = None
        self.loop = asyncio.get_running_loop()
        self.interrupting = False
        self.opened: asyncio.Future[None] = self.loop.create_future()
        self._timer: asyncio.TimerHandle | None = None
        self.reply = reply
        self.keys: list[str] = []  # what this reply counts against (see StreamHub.in_flight)
        self.started = self.loop.time()
        self.task = asyncio.create_task(self._run(opener, reply), name=f"reply-{self.id}")

    # -- the producer: upstream -> buffer -> attached browser ------------------

    async def _run(self, opener: Opener, reply: Reply) -> None:
        source: Source | None = None
        try:
            source = await opener()
            del opener  # it holds the request's body (page context and all) for no further use
            self.opened.set_result(None)
            while not reply.finished:
                batch = await source.next_batch()
                if batch:
                    out = translate(batch, reply)
                else:
                    end = reply.on_end()
                    out = [end] if end is not None else []
                if out and not await self._push(self._encode(out)):
                    break
        except ApiError as exc:
            if self.hub.metrics is not None:
                self.hub.metrics.upstream_errors.labels(exc.code).inc()
            if not self.opened.done():
                self.opened.set_exception(exc)
            else:
                await self._push([self._error(exc.as_event())])
        except FAILURES as exc:
            item = reply.on_failure(exc)
            if item is not None:
                await self._push(self._encode([item]))
        except asyncio.CancelledError:
            # Stopped, or nobody came back in time: the upstream request is closed by now.
            # Still end with an error, so a reader who comes back (here or elsewhere) learns it ended.
            if self.opened.done() and not self.reply.finished:
                await self._push([self._error(SHUTTING_DOWN if self.interrupting else INTERRUPTED)])
        finally:
            if source is not None:
                source.close()
            if not self.opened.done():
                self.opened.set_exception(ApiError("upstream_error"))
            self._finish()

    def _encode(self, batch: list[BrowserEvent]) -> list[bytes]:
        """Frames with ids `<reply>.<n>`, n counting every frame of this reply from 1 (a follower adds one more)."""
        first = len(self.frames) + 1
        return [encode(name, data, f"{self.id}.{first + i}") for i, (name, data) in enumerate(batch)]

    def _error(self, data: dict[str, Any]) -> bytes:
        return self._encode([("error", data)])[0]

    async def _push(self, frames: list[bytes]) -> bool:
        """Buffer frames and hand them to the attached browser in one write; False when the buffer is full."""
        size = sum(map(len, frames))
        if self.size + size > self.hub.max_buffer:
            error = self._error(error_event("reply_too_large"))
            if self.hub.shared is not None:
                self.hub.shared.mirror(self.id, len(self.frames) + 1, [error])
            self.frames.append(error)
            await self._deliver(error)
            return False
        if self.hub.shared is not None:
            self.hub.shared.mirror(self.id, len(self.frames) + 1, frames)
        if not self.frames and self.hub.metrics is not None:
            self.hub.metrics.first_token.observe(self.loop.time() - self.started)
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
        if self.hub.metrics is not None and self.reply.error_code:
            self.hub.metrics.upstream_errors.labels(self.reply.error_code).inc()
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
                self._start_timer(self.hub.grace, self._expire)

    def _expire(self) -> None:
        """The grace period ended with nobody attached here: cancel, unless a reader follows elsewhere."""
        if self.hub.shared is None:
            self.stop()
            return

        async def check() -> None:
            if self.sink is None and not self.done:
                if await self.hub.shared.reader_alive(self.id):  # type: ignore[union-attr]
                    self._start_timer(self.hub.grace, self._expire)
                else:
                    self.stop()

        asyncio.create_task(check())

    async def interrupt(self) -> None:
        """The server is shutting down: end this reply with an error the widget shows."""
        self.interrupting = True
        self.stop()
        await asyncio.gather(self.task, return_exceptions=True)

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


class RemoteReply:
    """A reply produced on another worker or host, followed through Redis.

    It always ends with `done` or `error`. When the mirror stops without the
    reply's own end (its producer died, froze past the liveness window or lost
    Redis; Redis stayed out of reach; the mirror lost frames) the follower ends
    it with `interrupted`; when the producer was gone it also asks every worker
    to stop the reply, so a producer that comes back does not go on with a
    reply its visitor was told had ended.
    """

    def __init__(self, shared: Shared, stream_id: str, session_id: str, producer: str, idle_limit: float) -> None:
        self.shared = shared
        self.id = stream_id
        self.session_id = session_id
        self.producer = producer
        self.idle_limit = idle_limit
        self.task: asyncio.Task[None] | None = None

    async def attach(self, after: int, send: Send, replay: Send) -> Attachment:
        attachment = Attachment(send)
        cursor = Cursor(after)

        async def pump() -> None:
            try:
                async for chunk in self.shared.tail(self.id, self.producer, cursor, self.idle_limit):
                    await replay(chunk)
                if not ends_reply(cursor.last):
                    log.warning("reply %s stopped coming through Redis after frame %d: ending it as interrupted",
                                self.id, cursor.seq)
                    await replay(encode("error", INTERRUPTED, f"{self.id}.{cursor.seq + 1}"))
                    if cursor.producer_gone:  # a producer that was only frozen must not go on when it thaws
                        await self.shared.publish_stop(f"{self.session_id} {self.id}")
            except Exception:  # the browser went away or stopped reading
                pass
            finally:
                attachment.end()

        self.task = asyncio.create_task(pump())
        return attachment

    def detach(self, attachment: Attachment) -> None:
        if self.task is not None:
            self.task.cancel()

    stall = detach


Readable = ReplyStream | RemoteReply  # what a browser connection reads: a reply held here or elsewhere


class StreamHub:
    """The replies of this process, by id, with the per-worker and per-visitor caps."""

    def __init__(
        self,
        grace: float = 30.0,
        max_buffer: int = 2 * 1024 * 1024,
        max_duration: float = 300.0,
        max_streams: int = 1000,
        max_per_visitor: int = 2,
        shared: Shared | None = None,
        max_per_address: int = 0,
        idle_limit: float = 60.0,
        metrics: Metrics | None = None,
    ) -> None:
        self.grace = grace
        self.max_buffer = max_buffer
        self.max_duration = max_duration
        self.max_streams = max_streams
        self.max_per_visitor = max_per_visitor
        self.max_per_address = max_per_address
        self.shared = shared
        self.idle_limit = idle_limit
        self.metrics = metrics
        self.tokens_done = 0
        self.streams: dict[str, ReplyStream] = {}
        self.active = 0
        # Replies in flight on this worker, per visitor ("v:<session>") and per address ("a:<address>").
        # A reply whose browser went away still counts until it ends or its grace period runs out.
        self.in_flight: dict[str, int] = {}
        self.closing = False

    async def start(self, session_id: str, opener: Opener, reply: Reply, address: str = "") -> ReplyStream:
        if self.closing:
            raise ApiError("shutting_down", headers={"Retry-After": "1"})
        if self.active >= self.max_streams:
            self._rejected("streams_per_worker")
            raise ApiError("busy", headers={"Retry-After": "5"})
        keys = [f"v:{session_id}"]
        if not await self._claim(keys[0], self.max_per_visitor):
            self._rejected("streams_per_visitor")
            raise ApiError("too_many_streams", headers={"Retry-After": "2"})
        if address and self.max_per_address:
            keys.append(f"a:{address}")
            if not await self._claim(keys[1], self.max_per_address):
                await self._release(keys[:1])
                self._rejected("streams_per_address")
                raise ApiError("too_many_streams", "Too many replies are being written from your network; "
                               "please wait a moment.", headers={"Retry-After": "5"})
        stream = ReplyStream(self, session_id, opener, reply)
        stream.keys = keys
        self.streams[stream.id] = stream
        self.active += 1
        for key in keys:
            self.in_flight[key] = self.in_flight.get(key, 0) + 1
        if self.shared is not None:
            await self.shared.register(stream.id, session_id)
        return stream

    async def _claim(self, key: str, limit: int) -> bool:
        """Whether one more reply may start under `key`, counting every worker when Redis is shared.

        With Redis the count is taken (and given back on refusal) there; this worker's own count is the fallback.
        """
        mine = self.in_flight.get(key, 0)
        if self.shared is not None:
            counted = await self.shared.count_reply(key, 1, self.max_duration + self.grace)
            if counted is not None:
                mine = counted - 1
        if mine < limit:
            return True
        await self._release([key])
        return False

    async def _release(self, keys: list[str]) -> None:
        if self.shared is not None:
            for key in keys:
                await self.shared.count_reply(key, -1, self.max_duration + self.grace)

    def tokens(self) -> int:
        """Tokens relayed by this process so far (read at scrape time, never counted per token)."""
        return self.tokens_done + sum(len(s.reply.parts) for s in self.streams.values() if not s.done)

    def finished(self, stream: ReplyStream) -> None:
        self.active -= 1
        for key in stream.keys:
            left = self.in_flight.pop(key, 1) - 1
            if left:
                self.in_flight[key] = left
        self.tokens_done += len(stream.reply.parts)
        if self.shared is not None:
            self.shared.end(stream.id)
            asyncio.create_task(self._release(stream.keys))
        # Keep the finished reply a while, so a reader that lost the end can still fetch it.
        def forget() -> None:
            self.streams.pop(stream.id, None)

        stream._start_timer(self.grace, forget)

    def _rejected(self, limit: str) -> None:
        if self.metrics is not None:
            self.metrics.rejections.labels(limit).inc()

    async def find(self, last_event_id: str, session_id: str) -> tuple[Readable, int]:
        """The reply and seq a `Last-Event-ID` names, if it is this visitor's and still held anywhere."""
        stream_id, _, seq = last_event_id.partition(".")
        after = ascii_int(seq)
        if after is not None:
            stream = self.streams.get(stream_id)
            if stream is not None and stream.session_id == session_id:
                return stream, after
            if stream is None and self.shared is not None:
                try:
                    found = await self.shared.owner(stream_id)
                except RedisDown:
                    log.warning("a resume of reply %s needs Redis, which is unreachable: answered stream_gone", stream_id)
                    raise ApiError("stream_gone") from None
                if found is not None and found[0] == session_id:
                    return RemoteReply(self.shared, stream_id, session_id, found[1], self.idle_limit), after
        raise ApiError("stream_gone")

    def stop_local(self, session_id: str, stream_id: str | None = None) -> list[asyncio.Task[None]]:
        """Cancel a visitor's replies on this worker; their tasks, to wait on."""
        stopped = []
        for stream in list(self.streams.values()):
            if stream.session_id == session_id and not stream.done and stream_id in (None, stream.id):
                stream.stop()
                stopped.append(stream.task)
        return stopped

    async def stop_session(self, session_id: str, stream_id: str | None = None) -> int:
        """Stop a visitor's replies here (and say so once their slots are free), and tell the other workers."""
        tasks = self.stop_local(session_id, stream_id)
        if tasks:
            await asyncio.wait(tasks, timeout=5)
        stopped = len(tasks)
        if self.shared is not None:
            await self.shared.publish_stop(f"{session_id} {stream_id or ''}")
        return stopped

    def on_remote_stop(self, message: str) -> None:
        session_id, _, stream_id = message.partition(" ")
        self.stop_local(session_id, stream_id or None)

    async def drain(self, deadline: float) -> None:
        """Shutting down: take no new replies, give the running ones `deadline` seconds, then end them."""
        self.closing = True
        end = asyncio.get_running_loop().time() + deadline
        while self.active and asyncio.get_running_loop().time() < end:
            await asyncio.sleep(0.1)
        for stream in list(self.streams.values()):
            if not stream.done:
                await stream.interrupt()

    async def aclose(self) -> None:
        for stream in list(self.streams.values()):
            stream.stop()
        tasks = [stream.task for stream in self.streams.values()]
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
