"""Idempotency keys: a request sent twice (a double click, a retry after a lost answer) acts once.

The first request with a key claims it; a second one while the first is in
flight waits for its outcome; once the first succeeded, later ones get the
stored answer. A failure releases the claim, so a retry tries again. Claims
and answers live in Redis when it is configured (every worker and host sees
them), else in this process; either way for a bounded time.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections import OrderedDict
from typing import Any

import orjson
import redis.asyncio as redis
from redis.exceptions import RedisError

from .errors import ApiError

log = logging.getLogger("repchat.idempotency")

KEY = re.compile(r"^[A-Za-z0-9_-]{8,128}$")
PENDING = b"pending"
CLAIM_SECONDS = 60  # longest an unfinished claim blocks others (the first request died)
MEMORY_ENTRIES = 10_000


def checked_key(raw: str | None) -> str | None:
    """The request's Idempotency-Key header, or None; 400 when it is malformed."""
    if raw is None:
        return None
    if not KEY.match(raw):
        raise ApiError("invalid_idempotency_key")
    return raw


class _Memory:
    """Keys of this process, oldest dropped first beyond `MEMORY_ENTRIES`."""

    def __init__(self) -> None:
        self.entries: OrderedDict[str, tuple[float, bytes]] = OrderedDict()

    def _live(self, key: str) -> bytes | None:
        entry = self.entries.get(key)
        if entry is None or entry[0] < time.monotonic():
            self.entries.pop(key, None)
            return None
        return entry[1]

    def claim(self, key: str) -> bytes | None:
        current = self._live(key)
        if current is None:
            self.put(key, PENDING, CLAIM_SECONDS)
        return current

    def put(self, key: str, value: bytes, ttl: int) -> None:
        self.entries[key] = (time.monotonic() + ttl, value)
        self.entries.move_to_end(key)
        while len(self.entries) > MEMORY_ENTRIES:
            self.entries.popitem(last=False)

    def release(self, key: str) -> None:
        self.entries.pop(key, None)


class IdempotencyKeys:
    """Claim, finish or release a key; Redis when given a client, falling back to memory on an outage."""

    def __init__(self, ttl: int, client: redis.Redis | None = None, wait: float = 15.0) -> None:
        self.ttl = ttl
        self.redis = client
        self.memory = _Memory()
        self.wait = wait
        self._warned_at = 0.0

    def _redis_failed(self, exc: Exception) -> None:
        if time.monotonic() - self._warned_at > 30:
            self._warned_at = time.monotonic()
            log.error("idempotency keys: redis is unreachable (%s); keeping keys in this process", exc)

    async def _claim(self, key: str) -> bytes | None:
        if self.redis is not None:
            try:
                if await self.redis.set(key, PENDING, nx=True, ex=CLAIM_SECONDS):
                    return None
                value = await self.redis.get(key)
                if value is None:  # the holder released it just now
                    return await self._claim(key)
                return value.encode() if isinstance(value, str) else value
            except RedisError as exc:
                self._redis_failed(exc)
        return self.memory.claim(key)

    async def claim(self, key: str) -> dict[str, Any] | None:
        """None when this request owns the key now; else the answer the first request stored.

        Waits while another request holds the key; 409 if it is still unfinished after `wait`.
        """
        deadline = time.monotonic() + self.wait
        while True:
            value = await self._claim(key)
            if value is None:
                return None
            if value != PENDING:
                stored: dict[str, Any] = orjson.loads(value)
                return stored
            if time.monotonic() > deadline:
                raise ApiError("request_in_progress")
            await asyncio.sleep(0.05)

    async def finish(self, key: str, answer: dict[str, Any]) -> None:
        """Keep `answer` for `ttl` seconds: what a repeat of this request gets."""
        value = orjson.dumps(answer)
        if self.redis is not None:
            try:
                await self.redis.set(key, value, ex=self.ttl)
                return
            except RedisError as exc:
                self._redis_failed(exc)
        self.memory.put(key, value, self.ttl)

    async def release(self, key: str) -> None:
        """Forget a claim whose request failed, so that a retry runs again."""
        self.memory.release(key)
        if self.redis is not None:
            try:
                await self.redis.delete(key)
            except RedisError as exc:
                self._redis_failed(exc)
