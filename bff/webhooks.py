"""Webhooks for the owner: signed events delivered at least once, in the background.

An event (`lead.captured`, `feedback.given`, `scan.recorded`) is the JSON
object `{id, event, timestamp, data}`. Accepting one only writes it to an
outbox; a background loop in every worker posts due events to
`REPCHAT_WEBHOOK_URL`, signed like Stripe's:

    X-Repchat-Signature: t=<unix seconds>,sha256=<hex HMAC-SHA256 of "<t>.<body>">

keyed with `REPCHAT_WEBHOOK_SECRET`. A 2xx answer delivers the event; anything
else (or no answer within 10 s) retries after `REPCHAT_WEBHOOK_BACKOFF`
seconds, doubling each time, up to `REPCHAT_WEBHOOK_MAX_ATTEMPTS` tries in
all; then the event is logged and counted as failed, and dropped.

With Redis the outbox is durable and shared: an event accepted before a
restart is delivered after it, by whichever process polls first. A process
takes an event by moving its due time a lease ahead, so if it dies mid-send
another process sends it again when the lease runs out (at least once: the
receiver deduplicates by `id`). Without Redis the outbox is this process's
memory, and events still waiting are lost when it stops.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import hmac
import logging
import secrets
import time
from typing import Any, Protocol

import httpx
import orjson
import redis.asyncio as redis
from redis.exceptions import RedisError

from .metrics import Metrics

log = logging.getLogger("repchat.webhooks")

EVENTS = ("lead.captured", "feedback.given", "scan.recorded")
SIGNATURE_HEADER = "X-Repchat-Signature"
LEASE_SECONDS = 30.0  # longer than one delivery's timeout
SEND_TIMEOUT = 10.0
POLL_SECONDS = 0.25
BATCH = 16
MAX_DELAY = 3600.0
PREFIX = "repchat:webhooks:"


def sign(secret: str, body: bytes, timestamp: int) -> str:
    """The `X-Repchat-Signature` value for `body` sent at `timestamp` (Unix seconds)."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},sha256={mac}"


def verify(secret: str, body: bytes, header: str, tolerance: float = 300.0, now: float | None = None) -> bool:
    """Whether `header` signs `body` with `secret` within `tolerance` seconds (what a receiver does)."""
    parts = dict(part.split("=", 1) for part in header.split(",") if "=" in part)
    if not parts.get("t", "").isdigit() or "sha256" not in parts:
        return False
    timestamp = int(parts["t"])
    if abs((time.time() if now is None else now) - timestamp) > tolerance:
        return False
    return hmac.compare_digest(sign(secret, body, timestamp), f"t={timestamp},sha256={parts['sha256']}")


def new_event(event: str, data: dict[str, Any]) -> tuple[str, bytes]:
    """A new event's id and its JSON body."""
    assert event in EVENTS, event
    event_id = "evt_" + secrets.token_hex(12)
    timestamp = dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    return event_id, orjson.dumps({"id": event_id, "event": event, "timestamp": timestamp, "data": data})


class Outbox(Protocol):
    """Events waiting to be delivered, each with a due time and a count of failed tries."""

    async def add(self, event_id: str, body: bytes) -> None: ...
    async def take_due(self, now: float, lease: float) -> list[tuple[str, bytes, int]]: ...
    async def delivered(self, event_id: str) -> None: ...
    async def retry(self, event_id: str, at: float, attempts: int) -> None: ...


class MemoryOutbox:
    """This process's outbox (no Redis): lost when the process stops."""

    def __init__(self) -> None:
        self.events: dict[str, list[Any]] = {}  # id -> [due, body, attempts]

    async def add(self, event_id: str, body: bytes) -> None:
        self.events[event_id] = [0.0, body, 0]

    async def take_due(self, now: float, lease: float) -> list[tuple[str, bytes, int]]:
        due = [(event_id, entry) for event_id, entry in self.events.items() if entry[0] <= now][:BATCH]
        for _, entry in due:
            entry[0] = now + lease
        return [(event_id, entry[1], entry[2]) for event_id, entry in due]

    async def delivered(self, event_id: str) -> None:
        self.events.pop(event_id, None)

    async def retry(self, event_id: str, at: float, attempts: int) -> None:
        if event_id in self.events:
            self.events[event_id][0] = at
            self.events[event_id][2] = attempts


# Take up to ARGV[3] events due by ARGV[1], leasing each until ARGV[2]; returns id, body, attempts triples.
_TAKE = """
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[3]))
local out = {}
for _, id in ipairs(ids) do
  local entry = redis.call('HMGET', KEYS[2] .. id, 'body', 'attempts')
  if entry[1] then
    redis.call('ZADD', KEYS[1], ARGV[2], id)
    table.insert(out, id); table.insert(out, entry[1]); table.insert(out, entry[2] or '0')
  else
    redis.call('ZREM', KEYS[1], id)
  end
end
return out
"""


class RedisOutbox:
    """The durable, shared outbox: a sorted set of ids by due time, and a hash per event."""

    due_key = PREFIX + "due"
    event_prefix = PREFIX + "event:"

    def __init__(self, client: redis.Redis) -> None:
        self.redis = client
        self.take = client.register_script(_TAKE)

    async def add(self, event_id: str, body: bytes) -> None:
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hset(self.event_prefix + event_id, mapping={"body": body, "attempts": 0})
            pipe.zadd(self.due_key, {event_id: time.time()})
            await pipe.execute()

    async def take_due(self, now: float, lease: float) -> list[tuple[str, bytes, int]]:
        # Due times are wall-clock here: other processes and hosts read them too.
        flat = await self.take(keys=[self.due_key, self.event_prefix], args=[time.time(), time.time() + lease, BATCH])
        return [(flat[i].decode(), flat[i + 1], int(flat[i + 2])) for i in range(0, len(flat), 3)]

    async def delivered(self, event_id: str) -> None:
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.zrem(self.due_key, event_id)
            pipe.delete(self.event_prefix + event_id)
            await pipe.execute()

    async def retry(self, event_id: str, at: float, attempts: int) -> None:
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hset(self.event_prefix + event_id, "attempts", attempts)
            pipe.zadd(self.due_key, {event_id: time.time() + (at - time.monotonic())})
            await pipe.execute()


class Webhooks:
    """Accepts events at once and delivers them from a background loop (`start`/`aclose`)."""

    def __init__(
        self, url: str, secret: str, *, client: redis.Redis | None = None, max_attempts: int = 6,
        backoff: float = 2.0, metrics: Metrics | None = None,
    ) -> None:
        self.url = url
        self.secret = secret
        self.max_attempts = max(1, max_attempts)
        self.backoff = backoff
        self.metrics = metrics
        self.memory = MemoryOutbox()
        self.durable = RedisOutbox(client) if client is not None else None
        self.http = httpx.AsyncClient(timeout=SEND_TIMEOUT, headers={"User-Agent": "repchat-webhooks"})
        self.wake = asyncio.Event()
        self.task: asyncio.Task[None] | None = None
        self._warned_at = 0.0

    @property
    def durable_outbox(self) -> bool:
        return self.durable is not None

    def _redis_failed(self, exc: Exception) -> None:
        if time.monotonic() - self._warned_at > 30:
            self._warned_at = time.monotonic()
            log.error("webhook outbox: redis is unreachable (%s); holding events in this process", exc)

    async def emit(self, event: str, data: dict[str, Any]) -> str:
        """Accept an event for delivery; returns its id. Never sends on the caller's path."""
        event_id, body = new_event(event, data)
        if self.durable is not None:
            try:
                await self.durable.add(event_id, body)
            except RedisError as exc:
                self._redis_failed(exc)
                await self.memory.add(event_id, body)
        else:
            await self.memory.add(event_id, body)
        self.wake.set()
        return event_id

    def start(self) -> None:
        self.task = asyncio.create_task(self._run(), name="repchat-webhooks")

    async def aclose(self) -> None:
        if self.task is not None:
            self.task.cancel()
            try:
                await self.task
            except asyncio.CancelledError:
                pass
        if self.memory.events:
            log.warning("%d webhook events were not delivered before shutdown", len(self.memory.events))
        await self.http.aclose()

    async def _run(self) -> None:
        while True:
            self.wake.clear()
            try:
                await self.deliver_due()
            except Exception:  # one bad pass must not end delivery for the process
                log.exception("webhook delivery pass failed")
            try:
                await asyncio.wait_for(self.wake.wait(), POLL_SECONDS)
            except TimeoutError:
                pass

    async def deliver_due(self) -> int:
        """Send every event that is due now, from both outboxes; returns how many were tried."""
        tried = 0
        outboxes: list[Outbox] = [self.memory]
        if self.durable is not None:
            outboxes.insert(0, self.durable)
        for outbox in outboxes:
            try:
                due = await outbox.take_due(time.monotonic(), LEASE_SECONDS)
            except RedisError as exc:
                self._redis_failed(exc)
                continue
            await asyncio.gather(*(self._deliver(outbox, *entry) for entry in due))
            tried += len(due)
        return tried

    async def _deliver(self, outbox: Outbox, event_id: str, body: bytes, attempts: int) -> None:
        event = str(orjson.loads(body).get("event", "?"))
        headers = {
            "Content-Type": "application/json",
            SIGNATURE_HEADER: sign(self.secret, body, int(time.time())),
            "X-Repchat-Event": event,
            "X-Repchat-Delivery": event_id,
        }
        try:
            response = await self.http.post(self.url, content=body, headers=headers)
            ok, why = response.is_success, f"HTTP {response.status_code}"
        except httpx.HTTPError as exc:
            ok, why = False, type(exc).__name__
        try:
            if ok:
                await outbox.delivered(event_id)
                if self.metrics is not None:
                    self.metrics.webhooks.labels(event, "delivered").inc()
                return
            attempts += 1
            if attempts >= self.max_attempts:
                await outbox.delivered(event_id)  # out of the outbox: given up
                log.error("webhook %s %s failed for good after %d tries (%s)", event, event_id, attempts, why)
                if self.metrics is not None:
                    self.metrics.webhooks.labels(event, "failed").inc()
                return
            delay = min(MAX_DELAY, self.backoff * 2 ** (attempts - 1))
            log.warning("webhook %s %s try %d failed (%s); next in %.1f s", event, event_id, attempts, why, delay)
            await outbox.retry(event_id, time.monotonic() + delay, attempts)
        except RedisError as exc:  # the lease runs out and the event is tried again
            self._redis_failed(exc)
