"""What the browser is told when the upstream fails, whichever client saw it.

Upstream 401/403 mean the BFF's own key is wrong: the visitor can do nothing
about that, so it is a 502, never a 401 that would look like a bad visitor
token. Before a reply starts, failures are `ApiError`s (a JSON error with a
status); after, `failure_event` gives the one `error` event that ends it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from typing import Any

import httpx
import orjson

from ..errors import CODES, ApiError, error_event
from ..parsing import ascii_int
from ..sse import FrameTooLarge

log = logging.getLogger("repchat.upstream")


class UpstreamClosed(ConnectionError):
    """The upstream closed the connection before the reply ended."""


class UpstreamTimeout(TimeoutError):
    """The upstream was silent for longer than the read timeout."""


class ReplyTooLong(TimeoutError):
    """The reply went on past the longest a reply may stream (`max_stream_seconds`)."""


MAX_DETAIL = 300

def detail_of(body: bytes) -> str:
    """The upstream's `detail` message, flattened if it is a validation list; for logs, at most MAX_DETAIL chars."""
    try:
        detail = orjson.loads(body[:16384]).get("detail")
    except (orjson.JSONDecodeError, AttributeError):
        return ""
    if isinstance(detail, list):
        detail = "; ".join(
            f"{'.'.join(str(part) for part in item.get('loc', [])[1:5])}: {str(item.get('msg', ''))[:100]}"
            for item in detail[:5]
            if isinstance(item, dict) and isinstance(item.get("loc", []), list)
        )
    return str(detail or "")[:MAX_DETAIL]


def stream_error(data: dict[str, Any]) -> dict[str, Any]:
    """The `error` event a visitor gets for an upstream error event: the catalogue's words for a code it
    knows (else `upstream_error`). The upstream's own words can name internal hosts or echo a key: they go
    to the log, masked and bounded, never to a browser."""
    log.warning("upstream ended a reply with %s: %s", data["code"][:64], data["message"][:MAX_DETAIL])
    return error_event(data["code"] if data["code"] in CODES else "upstream_error")


def retry_after(headers: Mapping[str, str]) -> int:
    """Seconds to wait, from Retry-After or X-RateLimit-Reset; 1 when neither says."""
    seconds = ascii_int(headers.get("retry-after"))
    if seconds is not None:
        return max(1, seconds)
    reset = headers.get("x-ratelimit-reset")
    try:
        return max(1, int(float(reset) - time.time())) if reset else 1
    except ValueError:
        return 1


def error_for_status(status: int, body: bytes, headers: Mapping[str, str]) -> ApiError:
    detail = detail_of(body)
    if status == 429:
        return ApiError(
            "rate_limited", "Too many messages; please wait a moment.",
            headers={"Retry-After": str(retry_after(headers))},
        )
    if status in (401, 403):
        log.error("upstream refused the API key (%s): %s", status, detail)
        return ApiError("upstream_auth")
    if status in (404, 410):
        return ApiError("session_not_found")
    if status in (400, 409, 422):
        log.warning("upstream refused a request (%s): %s", status, detail)
        return ApiError("invalid_request")
    if status == 503:
        return ApiError("upstream_unavailable")
    if status == 504:
        return ApiError("upstream_timeout")
    log.warning("upstream answered %s: %s", status, detail)
    return ApiError("upstream_error")


TIMED_OUT = ApiError("upstream_timeout", "The chat service did not answer in time.")
UNREACHABLE = ApiError("upstream_unreachable")
BROKEN = ApiError("interrupted", "The connection to the chat service broke.")


def error_for_transport(exc: BaseException) -> ApiError:
    """A transport failure (httpx's or the stream client's) as an ApiError."""
    if isinstance(exc, (httpx.TimeoutException, TimeoutError)) and not isinstance(exc, httpx.PoolTimeout):
        return TIMED_OUT
    if isinstance(exc, (httpx.ConnectError, httpx.PoolTimeout)) or (
        isinstance(exc, OSError) and not isinstance(exc, UpstreamClosed)
    ):
        return UNREACHABLE
    return BROKEN


def failure_event(exc: BaseException) -> dict[str, Any]:
    """The `error` event that ends a reply the upstream broke off."""
    if isinstance(exc, FrameTooLarge):
        log.warning("ended a reply: %s", exc)
        return error_event("frame_too_large")
    if isinstance(exc, ReplyTooLong):
        log.warning("ended a reply: %s", exc)
        return error_event("stream_timeout")
    return error_for_transport(exc).as_event()
