"""What BFF workers and hosts share through Redis when `REPCHAT_REDIS_URL` is set.

- Replay buffers: every reply's frames are mirrored into a Redis Stream, so a
  browser whose connection dropped on one host resumes on another. Frames are
  written in one pipeline per worker every 50 ms, never on the token path; a
  reader on another host tails the stream and keeps a "reader alive" key so
  the producing host does not cancel the reply at the end of its grace period.
- Liveness: each worker keeps one short-lived key (`liveness` seconds) that its
  flush loop refreshes on a timer, and each reply names the worker producing
  it. A follower that finds that key gone (the process was killed, frozen, or
  cut off from Redis) replays what was mirrored and ends the reply with
  `interrupted`; so does one that cannot reach Redis for that long. A flush
  that fails marks its replies' mirrors as holed: when Redis is back they get
  a `lost` entry (followers end with `interrupted`) and are mirrored no more,
  while new replies are mirrored again.
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
import secrets
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
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


def producer_key(process_id: str) -> str:
    return f"{PREFIX}producer:{process_id}"


class RedisDown(Exception):
    """A call that cannot do without Redis found it unreachable."""


@dataclass
class Cursor:
    """Where a follower stands in a mirrored reply: the last seq it has, that frame, and whether its producer is gone."""

    seq: int
    last: bytes = b""
    producer_gone: bool = False


STOP_CHANNEL = f"{PREFIX}stop"


class Shared:
    """A Redis connection with the operations the hub needs; every call survives an outage."""

    def __init__(self, url: str, ttl: float, liveness: float = 5.0) -> None:
        self.redis = redis.from_url(url, socket_timeout=2, socket_connect_timeout=2, health_check_interval=30)
        self.ttl = int(ttl) + 1
        self.liveness = liveness
        # Refreshed four times per window: the key lapses only when four refreshes in a row are missed.
        self.beat = liveness / 4
        self.process_id = secrets.token_hex(8)
        self._beat_at = 0.0
        self.pending: dict[str, list[tuple[int, bytes]]] = {}
        self.ended: set[str] = set()
        self.holed: set[str] = set()  # replies whose mirror lost frames: not mirrored any more
        self.unmarked: set[str] = set()  # holed replies whose `lost` entry is not written yet
        self.holes = 0  # replies ever holed, for /metrics
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
        """Name the reply's visitor and producing worker; a reply Redis never heard of is not mirrored."""
        pipe = self.redis.pipeline(transaction=False)
        pipe.set(meta_key(stream_id), f"{session_id} {self.process_id}", ex=self.ttl)
        pipe.set(producer_key(self.process_id), 1, px=int(self.liveness * 1000))
        if await self._safely(pipe.execute()) is None:
            self.holed.add(stream_id)
            self.holes += 1

    def mirror(self, stream_id: str, first_seq: int, frames: list[bytes]) -> None:
        """Queue frames for the next flush; costs a list append on the token path."""
        queue = self.pending.setdefault(stream_id, [])
        queue.extend((first_seq + offset, frame) for offset, frame in enumerate(frames))

    def end(self, stream_id: str) -> None:
        self.ended.add(stream_id)

    async def _flush(self) -> None:
        beat = time.monotonic() - self._beat_at >= self.beat
        if not self.pending and not self.ended and not self.unmarked and not beat:
            return
        pending, self.pending = self.pending, {}
        ended, self.ended = self.ended, set()
        unmarked = set(self.unmarked)
        pipe = self.redis.pipeline(transaction=False)
        if beat:
            self._beat_at = time.monotonic()  # also on failure: an outage is retried at the next beat, not every flush
            pipe.set(producer_key(self.process_id), 1, px=int(self.liveness * 1000))
        for stream_id, frames in pending.items():
            if stream_id in self.holed:
                continue
            key = frames_key(stream_id)
            for seq, frame in frames:
                pipe.xadd(key, {"s": seq, "f": frame})
            pipe.expire(key, self.ttl)
        for stream_id in unmarked:
            pipe.xadd(frames_key(stream_id), {"lost": 1})
            pipe.expire(frames_key(stream_id), self.ttl)
        for stream_id in ended - self.holed:
            pipe.xadd(frames_key(stream_id), {"end": 1})
            pipe.expire(frames_key(stream_id), self.ttl)
        if await self._safely(pipe.execute()) is None:
            # These frames (or ends) never reached Redis: followers must not wait for them.
            lost = (set(pending) | ended) - self.holed
            self.holes += len(lost)
            self.holed |= lost
            self.unmarked |= lost
            self.ended |= ended & self.holed  # forget them once their `lost` entry is written
            return
        self.unmarked -= unmarked
        self.holed -= (ended & self.holed) - self.unmarked

    async def _flush_forever(self) -> None:
        while True:
            await asyncio.sleep(FLUSH_SECONDS)
            await self._flush()

    async def owner(self, stream_id: str) -> tuple[str, str] | None:
        """The session a reply produced anywhere belongs to, and its producing worker, if it is still held.

        `RedisDown` when Redis cannot say: a resume on another worker needs it.
        """
        value = await self._safely(self.redis.get(meta_key(stream_id)), RedisDown)
        if value is RedisDown:
            raise RedisDown(stream_id)
        if not value:
            return None
        session_id, _, process_id = value.decode().partition(" ")
        return session_id, process_id

    async def reader_alive(self, stream_id: str) -> bool:
        return bool(await self._safely(self.redis.exists(reader_key(stream_id)), False))

    async def tail(self, stream_id: str, producer: str, cursor: Cursor, idle_limit: float) -> AsyncIterator[bytes]:
        """Frames after `cursor.seq` of a reply produced by worker `producer`, as they are written.

        Returns when the reply's mirror ends: after its last frame, or when
        frames stop coming for good (the producer is gone, Redis is out of
        reach for the liveness window, the mirror lost frames, or nothing came
        for `idle_limit` seconds). `cursor` says where it stopped; whether the
        reply had ended is the caller's to judge from `cursor.last`.
        """
        key, last = frames_key(stream_id), "0-0"
        now = time.monotonic()
        heard, fresh, missing_since = now, now, 0.0
        # Gone means missing on two looks a refresh apart, so a verdict takes at most
        # the window plus two refreshes (1.5 windows) after the producer's last sign of life.
        poll = max(1, int(min(1.0, self.beat / 2) * 1000))
        while True:
            pipe = self.redis.pipeline(transaction=False)
            pipe.set(reader_key(stream_id), 1, ex=READER_TTL)
            pipe.exists(producer_key(producer))
            pipe.xread({key: last}, block=poll, count=1000)
            answer = await self._safely(pipe.execute())
            now = time.monotonic()
            if answer is None:
                if now - heard > self.liveness:
                    return  # Redis has been out of reach for the whole window
                await asyncio.sleep(min(0.25, self.beat))
                continue
            heard = now
            _, alive, entries = answer
            chunk: list[bytes] = []
            ended = False
            for _, items in entries or []:
                for entry_id, fields in items:
                    last = entry_id
                    if b"s" not in fields:  # `end` or `lost`
                        ended = True
                        break
                    seq = int(fields[b"s"])
                    if seq <= cursor.seq:
                        continue
                    if seq != cursor.seq + 1:
                        ended = True  # a hole in the mirror: what follows cannot be shown in order
                        break
                    cursor.seq, cursor.last = seq, fields[b"f"]
                    chunk.append(cursor.last)
                if ended:
                    break
            if chunk:
                fresh = now
                yield b"".join(chunk)
            if ended:
                return
            if chunk:
                continue
            if producer and not alive:
                # Gone on two looks a refresh apart (a Redis restart empties the key until the next refresh).
                if not missing_since:
                    missing_since = now
                elif now - missing_since >= self.beat:
                    cursor.producer_gone = True
                    return
            else:
                missing_since = 0.0
            if now - fresh > idle_limit + self.liveness:
                return  # alive, yet silent longer than its own upstream may be

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
