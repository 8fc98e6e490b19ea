"""A lean HTTP/1.1 client for the upstream's event streams.

httpx serves the BFF's short JSON calls. For replies it was the bottleneck:
its connection pool scans every connection on each request, and its
per-chunk path (h11 in pure Python, anyio streams) cost more than the rest
of the relay together once thousands of replies stream at once (measured
with `repchat bench`). This client does only what a reply needs: one POST,
httptools to parse the response, chunks handed to the SSE reader as they
arrive, connect and read timeouts, keep-alive reuse, and TLS.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
from urllib.parse import urlsplit

import httptools

from ..errors import ApiError
from ..sse import FrameTooLarge, SseReader
from .errors import ReplyTooLong, UpstreamClosed, UpstreamTimeout, error_for_status, error_for_transport
from .events import Event, Malformed, read_event

log = logging.getLogger("repchat.upstream")

MAX_IDLE = 64
# The response headers the relay reads (errors.py reads the last two of a refusal).
KEPT_HEADERS = frozenset((b"content-type", b"connection", b"retry-after", b"x-ratelimit-reset"))
# Idle connections are dropped before the upstream's server would close them.
# A request sent on a connection the server is closing at that moment fails
# ("interrupted"), and a POST cannot be safely re-sent. Common servers close
# idle keep-alive connections after 5 s (uvicorn, the emulator, Node) or 2 s
# (gunicorn); httpx's own default of 5 s races the first of those.
KEEPALIVE_EXPIRY = 1.5


class ReplyProtocol(asyncio.Protocol):
    """One upstream connection; parses responses and queues their events.

    Slotted: one is held per open reply, thousands at once.
    """

    __slots__ = (
        "loop", "read_timeout", "client", "transport", "parser", "reader", "status", "headers", "body", "events",
        "skipped", "headers_done", "waiter", "complete", "closed", "failure", "last_data", "watchdog", "deadline",
    )

    def __init__(self, loop: asyncio.AbstractEventLoop, read_timeout: float, client: StreamClient) -> None:
        self.loop = loop
        self.client = client
        self.read_timeout = read_timeout
        self.transport: asyncio.Transport | None = None
        self.parser = httptools.HttpResponseParser(self)
        self.reader: SseReader | None = None
        self.status = 0
        self.headers: dict[bytes, bytes] = {}
        self.body = bytearray()  # an error response's body
        self.events: list[Event] = []
        self.skipped = 0
        self.headers_done: asyncio.Future[None] | None = None
        self.waiter: asyncio.Future[None] | None = None
        self.complete = False
        self.closed = False
        self.failure: BaseException | None = None
        self.last_data = 0.0
        self.deadline = 0.0  # when the reply must have ended (loop time)
        self.watchdog: asyncio.TimerHandle | None = None

    # -- request lifecycle ------------------------------------------------------

    def start(self, request: bytes, reader: SseReader, max_duration: float) -> asyncio.Future[None]:
        self.parser = httptools.HttpResponseParser(self)
        self.reader, self.status, self.headers, self.body = reader, 0, {}, bytearray()
        self.events, self.complete, self.failure = [], False, None
        self.headers_done = self.loop.create_future()
        assert self.transport is not None
        self.transport.write(request)
        self.last_data = self.loop.time()
        self.deadline = self.last_data + max_duration
        self._arm()
        return self.headers_done

    def _arm(self) -> None:
        when = min(self.last_data + self.read_timeout, self.deadline)
        self.watchdog = self.loop.call_at(when, self._check_time)

    def _check_time(self) -> None:
        # One timer watches both the upstream's silence and the reply's length.
        # Re-armed from the last byte seen, so each chunk costs only a clock read.
        if self.complete or self.closed:
            return
        now = self.loop.time()
        if now >= self.deadline:
            self._fail(ReplyTooLong("the reply went on past max_stream_seconds"))
        elif now - self.last_data >= self.read_timeout:
            self._fail(UpstreamTimeout("the upstream was silent past the read timeout"))
        else:
            self._arm()
            return
        if self.transport is not None:
            self.transport.abort()

    def _fail(self, exc: BaseException) -> None:
        if self.failure is None:
            self.failure = exc
        if self.headers_done is not None and not self.headers_done.done():
            self.headers_done.set_exception(exc)
        self._wake()

    def _wake(self) -> None:
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_result(None)

    def finish(self) -> None:
        if self.watchdog is not None:
            self.watchdog.cancel()

    # -- asyncio.Protocol -------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]  # uvloop's transports are not asyncio.Transport

    def data_received(self, data: bytes) -> None:
        self.last_data = self.loop.time()
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError as exc:
            self._fail(UpstreamClosed(f"unreadable upstream response: {exc}"))
            if self.transport is not None:
                self.transport.abort()

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if not self.complete:
            self._fail(UpstreamClosed("the upstream closed the connection mid-reply"))

    # -- httptools callbacks ----------------------------------------------------

    def on_header(self, name: bytes, value: bytes) -> None:
        name = name.lower()
        if name in KEPT_HEADERS:  # the rest would be held for the reply's whole life, unread
            self.headers[name] = value

    def on_headers_complete(self) -> None:
        self.status = self.parser.get_status_code()
        if self.status < 400 and self.headers_done is not None and not self.headers_done.done():
            self.headers_done.set_result(None)

    def on_body(self, body: bytes) -> None:
        if self.status >= 400 or self.reader is None:
            self.body += body
            return
        events = self.events
        try:
            frames = self.reader.feed(body)
        except FrameTooLarge as exc:
            self._fail(exc)
            if self.transport is not None:
                self.transport.abort()
            return
        for frame in frames:
            try:
                event = read_event(frame)
            except Malformed:
                self.skipped += 1
                continue
            if event is not None:
                events.append(event)
        if events:
            self._wake()

    def on_message_complete(self) -> None:
        self.complete = True
        if self.headers_done is not None and not self.headers_done.done():
            self.headers_done.set_result(None)  # an error response: its body is complete now
        self._wake()

    # -- consumer side ------------------------------------------------------------

    async def next_batch(self) -> list[Event]:
        """The events that arrived since the last call, waiting for one; `[]` once the response has ended.

        A plain coroutine, not an async generator: the relay awaits it once
        per upstream packet, and a generator (with the context managers it
        needs) would cost a frame per open reply and a hop per token.
        """
        while not self.events:
            if self.failure is not None:
                raise self.failure
            if self.complete:
                return []
            self.waiter = self.loop.create_future()
            try:
                await self.waiter
            finally:
                self.waiter = None
        batch, self.events = self.events, []
        return batch

    def close(self) -> None:
        """The reply is over for the relay: the connection goes back to the pool, or is closed."""
        self.client.release(self)


class StreamClient:
    """Opens upstream replies on pooled keep-alive connections."""

    def __init__(self, base_url: str, api_key: str, connect_timeout: float, read_timeout: float,
                 max_frame: int, max_duration: float = 300.0) -> None:
        parts = urlsplit(base_url)
        self.tls = parts.scheme == "https"
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or (443 if self.tls else 80)
        self.prefix = parts.path.rstrip("/")
        self.authority = parts.netloc
        self.api_key = api_key
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        self.max_frame = max_frame
        self.max_duration = max_duration  # the longest a reply may stream, whatever the upstream does
        self.ssl = ssl.create_default_context() if self.tls else None
        self.idle: list[tuple[ReplyProtocol, float]] = []  # with the loop time each became idle

    def _request(self, path: str, body: bytes) -> bytes:
        head = (
            f"POST {self.prefix}{path} HTTP/1.1\r\nHost: {self.authority}\r\nX-API-Key: {self.api_key}\r\n"
            f"Content-Type: application/json\r\nAccept: text/event-stream\r\nAccept-Encoding: identity\r\n"
            f"Cache-Control: no-store\r\nUser-Agent: repchat-bff\r\nContent-Length: {len(body)}\r\n\r\n"
        )
        return head.encode() + body

    async def _connection(self) -> ReplyProtocol:
        loop = asyncio.get_running_loop()
        while self.idle:
            protocol, since = self.idle.pop()
            if protocol.closed or protocol.transport is None or protocol.transport.is_closing():
                continue
            if loop.time() - since < KEEPALIVE_EXPIRY:
                return protocol
            protocol.transport.close()
        async with asyncio.timeout(self.connect_timeout):
            _, protocol = await loop.create_connection(
                lambda: ReplyProtocol(loop, self.read_timeout, self), self.host, self.port,
                ssl=self.ssl, server_hostname=self.host if self.tls else None,
            )
        return protocol

    async def open(self, path: str, body: bytes) -> ReplyProtocol:
        """A reply's connection once its status says it streams; errors before that raise ApiError.

        The caller reads it with `next_batch()` and must `close()` it.
        """
        try:
            protocol = await self._connection()
        except (OSError, TimeoutError) as exc:
            raise error_for_transport(exc) from exc
        try:
            try:
                await protocol.start(self._request(path, body), SseReader(self.max_frame), self.max_duration)
                protocol.headers_done = None  # answered; not kept for the reply's life
            except (UpstreamClosed, UpstreamTimeout, ReplyTooLong) as exc:
                raise error_for_transport(exc) from exc
            if protocol.status >= 400:
                headers = {name.decode("latin-1"): value.decode("latin-1") for name, value in protocol.headers.items()}
                raise error_for_status(protocol.status, bytes(protocol.body), headers)
            content_type = protocol.headers.get(b"content-type", b"")
            if b"text/event-stream" not in content_type:
                raise ApiError("upstream_error", "The chat service did not answer with a stream.")
        except BaseException:
            protocol.finish()
            self._discard(protocol)
            raise
        return protocol

    def release(self, protocol: ReplyProtocol) -> None:
        """Keep a connection whose reply ended cleanly for the next reply; close any other."""
        if protocol.reader is None:
            return  # released already
        protocol.finish()
        if protocol.skipped:
            log.warning("skipped %d malformed upstream frames", protocol.skipped)
            protocol.skipped = 0
        protocol.reader = None
        reusable = protocol.complete and protocol.headers.get(b"connection", b"").lower() != b"close"
        if reusable and not protocol.closed and len(self.idle) < MAX_IDLE:
            self.idle.append((protocol, protocol.loop.time()))
        else:
            self._discard(protocol)

    @staticmethod
    def _discard(protocol: ReplyProtocol) -> None:
        if protocol.transport is not None:
            protocol.transport.close()

    def close(self) -> None:
        for protocol, _ in self.idle:
            if protocol.transport is not None:
                protocol.transport.close()
        self.idle.clear()
