"""Per-visitor and per-IP rate limits (the `limits` library, moving windows).

Counters live in the process by default; give a storage URI (for example
`redis://host:6379`) and every worker and host counts together.
"""

from __future__ import annotations

import ipaddress
import logging
import math
import time

from limits import RateLimitItem, parse
from limits.aio.storage import MemoryStorage, Storage
from limits.aio.strategies import MovingWindowRateLimiter
from limits.storage import storage_from_string
from starlette.requests import Request

from .errors import ApiError
from .metrics import Metrics
from .settings import Settings, SettingsError

log = logging.getLogger("repchat.ratelimit")

RULES = {
    "session_per_ip": "rate_sessions_per_ip",
    "message_per_visitor": "rate_messages_per_visitor",
    "message_per_ip": "rate_messages_per_ip",
    # Other calls that reach the upstream (context usage, command reports) and resumes, which replay a reply.
    "call_per_visitor": "rate_calls_per_visitor",
    "call_per_ip": "rate_calls_per_ip",
    "resume_per_visitor": "rate_resumes_per_visitor",
    # QR codes and posters: rendering costs CPU, so a flood of distinct options is refused.
    "qr_per_ip": "rate_qr_per_ip",
    "contact_per_visitor": "rate_contacts_per_visitor",
    "feedback_per_visitor": "rate_feedback_per_visitor",
    # The embed doctor's timed stream (bff/diagnostics.py) holds a connection for a second or two.
    "diagnostics_per_ip": "rate_diagnostics_per_ip",
}


def client_address(request: Request, ipv6_prefix: int = 64) -> str:
    """The address a request counts under (see `address_key`); uvicorn has put the visitor's there."""
    return address_key(request.client.host, ipv6_prefix) if request.client else "unknown"


def address_key(host: str, ipv6_prefix: int = 64) -> str:
    """What limits per address count under: an IPv4 address, or the IPv6 network of `ipv6_prefix` bits.

    One subscriber usually holds a whole IPv6 /64 (or /56, /48); keying on the
    exact address would give them 2**64 separate allowances.
    """
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, ipv6_prefix), strict=False))
    return str(address)


def _parse(name: str, value: str) -> RateLimitItem | None:
    if not value:
        return None
    try:
        return parse(value)
    except ValueError:
        raise SettingsError(f"REPCHAT_{name.upper()} must look like '20/minute', got {value!r}") from None


def make_storage(uri: str) -> Storage:
    if not uri or uri.startswith("memory"):
        return MemoryStorage()
    storage = storage_from_string(
        uri if uri.startswith("async+") else f"async+{uri}", implementation="redispy",
        socket_timeout=2, socket_connect_timeout=2,
    )
    assert isinstance(storage, Storage)
    return storage


class RateLimits:
    """Counts in the given storage (Redis across workers); on an outage, in this process."""

    def __init__(self, settings: Settings, storage: Storage | None = None, metrics: Metrics | None = None) -> None:
        self.items = {rule: _parse(setting, getattr(settings, setting)) for rule, setting in RULES.items()}
        if not 0 <= settings.ipv6_prefix <= 128:
            raise SettingsError(f"REPCHAT_IPV6_PREFIX must be 0 to 128, got {settings.ipv6_prefix}")
        self.storage = storage or make_storage(settings.redis_url)
        self.limiter = MovingWindowRateLimiter(self.storage)
        self.local = MovingWindowRateLimiter(MemoryStorage())
        self.metrics = metrics
        self._warned_at = 0.0

    async def hit(self, rule: str, key: str) -> None:
        """Count one request for `key` under `rule`, or refuse it with a 429 and Retry-After."""
        item = self.items[rule]
        if item is None:
            return
        limiter = self.limiter
        try:
            allowed = await limiter.hit(item, rule, key)
        except Exception as exc:  # the shared storage is away: count here rather than fail
            if time.monotonic() - self._warned_at > 30:
                self._warned_at = time.monotonic()
                log.error("rate-limit storage unreachable (%s): counting per process meanwhile", exc)
            limiter = self.local
            allowed = await limiter.hit(item, rule, key)
        if allowed:
            return
        if self.metrics is not None:
            self.metrics.rejections.labels(rule).inc()
        stats = await limiter.get_window_stats(item, rule, key)
        wait = max(1, math.ceil(stats.reset_time - time.time()))
        raise ApiError("rate_limited", headers={"Retry-After": str(wait)})
