"""What BFF workers and hosts share through Redis when `REPCHAT_REDIS_URL` is set.

- Replay buffers: every reply's frames are mirrored into a Redis Stream, so a
  browser whose connection dropped on one host resumes on another. Frames are
  written in one pipeline per worker every 50 ms, never on the token path; a
  reader on another host tails the stream and keeps a "reader alive" key so
  the producing host does not cancel the reply at the end of its grace period.
- Stops: a stop for a reply produced elsewhere is published to every worker.
- Concurrent replies per visitor are counted across workers.

Rate-limit counters use the `limits` library's own Redis storage (see
ratelimit.py). If Redis is unreachable the BFF says so once in the log and
carries on with what it has locally: replies still stream, resumes work on
the same worker, limits count per process.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

import redis.asyncio as redis
from redis.exceptions import RedisError

log = logging.getLogger("repchat.shared")

PREFIX = "repchat:"
FLUSH_SECONDS = 0.05
READER_TTL = 5


def frames_key(stream_id: str) -> str:
    return f"{PREFIX}frames:{stream_id}"


def meta_key(stream_id: str) -> str:
    return f"{PREFIX}stream:{stream_id}"


def reader_key(stream_id: str) -> str:
    return f"{PREFIX}reader:{stream_id}"


def visitor_key(session_id: str) -> str:
    return f"{PREFIX}visitor:{session_id}:replies"


STOP_CHANNEL = f"{PREFIX}stop"


class Shared:
    """A Redis connection with the operations the hub needs; every call survives an outage."""

    def __init__(self, url: str, ttl: float) -> None:
        self.redis = redis.from_url(url, socket_timeout=2, socket_connect_timeout=2, health_check_interval=30)
        self.ttl = int(ttl) + 1
        self.pending: dict[str, list[tuple[int, bytes]]] = {}
        self.ended: set[str] = set()
        self.flusher: asyncio.Task[None] | None = None
        self.listener: asyncio.Task[None] | None = None
        self.healthy = True
        self._warned_at = 0.0

    def _outage(self, exc: Exception) -> None:
        self.healthy = False
        if time.monotonic() - self._warned_at > 30:
            self._warned_at = time.monotonic()
            log.error("redis is unreachable (%s): continuing with local state on this worker", exc)

    async def _safely(self, call: Awaitable[Any], default: Any = None) -> Any:
        try:
            result = await call
        except (RedisError, OSError, TimeoutError) as exc:
            self._outage(exc)
            return default
        if not self.healthy:
            self.healthy = True
            log.warning("redis is reachable again")
        return result

    async def ping(self) -> bool:
        return bool(await self._safely(self.redis.ping(), False))

    # -- lifecycle ----------------------------------------------------------------

    def start(self, on_stop: Callable[[str], None]) -> None:
        self.flusher = asyncio.create_task(self._flush_forever(), name="repchat-redis-flush")
        self.listener = asyncio.create_task(self._listen(on_stop), name="repchat-redis-stops")

    async def aclose(self) -> None:
        await self._flush()
        for task in (self.flusher, self.listener):
            if task is not None:
                task.cancel()
        await asyncio.gather(*(t for t in (self.flusher, self.listener) if t), return_exceptions=True)
        await self.redis.aclose()

    # -- replay buffers -----------------------------------------------------------

    async def register(self, stream_id: str, session_id: str) -> None:
        await self._safely(self.redis.set(meta_key(stream_id), session_id, ex=self.ttl))

    def mirror(self, stream_id: str, first_seq: int, frames: list[bytes]) -> None:
        """Queue frames for the next flush; costs a list append on the token path."""
        queue = self.pending.setdefault(stream_id, [])
        queue.extend((first_seq + offset, frame) for offset, frame in enumerate(frames))

    def end(self, stream_id: str) -> None:
        self.ended.add(stream_id)

    async def _flush(self) -> None:
        if not self.pending and not self.ended:
            return
        pending, self.pending = self.pending, {}
        ended, self.ended = self.ended, set()
        pipe = self.redis.pipeline(transaction=False)
        for stream_id, frames in pending.items():
            key = frames_key(stream_id)
            for seq, frame in frames:
                pipe.xadd(key, {"s": seq, "f": frame})
            pipe.expire(key, self.ttl)
        for stream_id in ended:
            pipe.xadd(frames_key(stream_id), {"end": 1})
            pipe.expire(frames_key(stream_id), self.ttl)
        await self._safely(pipe.execute())

    async def _flush_forever(self) -> None:
        while True:
            await asyncio.sleep(FLUSH_SECONDS)
            await self._flush()

    async def owner(self, stream_id: str) -> str | None:
        """The session a reply produced anywhere belongs to, if it is still held."""
        value = await self._safely(self.redis.get(meta_key(stream_id)))
        return value.decode() if value else None

    async def reader_alive(self, stream_id: str) -> bool:
        return bool(await self._safely(self.redis.exists(reader_key(stream_id)), False))

    async def tail(self, stream_id: str, after: int, idle_limit: float) -> Any:
        """Frames after seq `after` of a reply produced on another worker, as they are written."""
        key, last, idle_since = frames_key(stream_id), "0-0", time.monotonic()
        while True:
            await self._safely(self.redis.set(reader_key(stream_id), 1, ex=READER_TTL))
            entries = await self._safely(self.redis.xread({key: last}, block=1000, count=1000), [])
            chunk: list[bytes] = []
            for _, items in entries or []:
                for entry_id, fields in items:
                    last = entry_id
                    if b"end" in fields:
                        if chunk:
                            yield b"".join(chunk)
                        return
                    if int(fields[b"s"]) > after:
                        chunk.append(fields[b"f"])
            if chunk:
                idle_since = time.monotonic()
                yield b"".join(chunk)
            elif time.monotonic() - idle_since > idle_limit:
                return  # the producing worker went away without finishing

    # -- stops and counts ---------------------------------------------------------

    async def publish_stop(self, target: str) -> None:
        await self._safely(self.redis.publish(STOP_CHANNEL, target))

    async def _listen(self, on_stop: Callable[[str], None]) -> None:
        while True:
            try:
                pubsub = self.redis.pubsub()
                await pubsub.subscribe(STOP_CHANNEL)
                async for message in pubsub.listen():
                    if message.get("type") == "message":
                        on_stop(message["data"].decode())
            except (RedisError, OSError, TimeoutError) as exc:
                self._outage(exc)
                await asyncio.sleep(1)

    async def count_reply(self, owner: str, delta: int, ttl: float) -> int | None:
        """Add to a visitor's (or an address's) count of replies in flight on every worker; None when Redis is away."""
        key = visitor_key(owner)
        pipe = self.redis.pipeline(transaction=False)
        pipe.incrby(key, delta)
        pipe.expire(key, int(ttl) + 1)
        result = await self._safely(pipe.execute())
        return None if result is None else int(result[0])
