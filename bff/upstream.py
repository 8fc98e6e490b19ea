"""The BFF's client for the upstream chat API.

One `httpx.AsyncClient` per process, made at startup, with its pool sized to
the stream cap and a read timeout longer than the longest silence a reply may
have. The API key lives here and in no other place.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
from .errors import ApiError
from .settings import Settings
from .sse_reader import SseReader
from .upstream_events import Event, Malformed, normalise_usage, read_event

log = logging.getLogger("repchat.upstream")

API = "/api/v1"


def _detail(response: httpx.Response) -> str:
    """The upstream's `detail` message, flattened if it is a validation list."""
    try:
        detail = response.json().get("detail")
    except (ValueError, AttributeError):
        return ""
    if isinstance(detail, list):
        return "; ".join(
            f"{'.'.join(str(part) for part in item.get('loc', [])[1:])}: {item.get('msg', '')}"
            for item in detail
            if isinstance(item, dict)
        )
    return str(detail or "")[:300]


def retry_after(response: httpx.Response) -> int:
    """Seconds to wait, from Retry-After or X-RateLimit-Reset; 1 when neither says."""
    header = response.headers.get("retry-after")
    if header and header.isdigit():
        return max(1, int(header))
    reset = response.headers.get("x-ratelimit-reset")
    try:
        return max(1, int(float(reset) - time.time())) if reset else 1
    except ValueError:
        return 1


def error_for_status(response: httpx.Response) -> ApiError:
    """What the browser is told when the upstream answers with an error status.

    Upstream 401/403 mean the BFF's own key is wrong: the visitor can do
    nothing about that, so it is a 502, never a 401 that would look like a
    bad visitor token.
    """
    status = response.status_code
    detail = _detail(response)
    if status == 429:
        wait = retry_after(response)
        return ApiError(
            429, "rate_limited", "Too many messages; please wait a moment.",
            retryable=True, headers={"Retry-After": str(wait)},
        )
    if status in (401, 403):
        log.error("upstream refused the API key (%s): %s", status, detail)
        return ApiError(502, "upstream_auth", "The chat service is misconfigured.")
    if status in (404, 410):
        return ApiError(404, "session_not_found", "This conversation no longer exists.")
    if status in (400, 409, 422):
        return ApiError(422, "invalid_request", detail or "The chat service refused the request.")
    if status == 503:
        return ApiError(503, "upstream_unavailable", "The chat service is unavailable.", retryable=True)
    if status == 504:
        return ApiError(504, "upstream_timeout", "The chat service timed out.", retryable=True)
    log.warning("upstream answered %s: %s", status, detail)
    return ApiError(502, "upstream_error", "The chat service failed to answer.", retryable=True)


def error_for_transport(exc: httpx.TransportError) -> ApiError:
    if isinstance(exc, httpx.TimeoutException):
        return ApiError(504, "upstream_timeout", "The chat service did not answer in time.", retryable=True)
    if isinstance(exc, (httpx.ConnectError, httpx.PoolTimeout)):
        return ApiError(502, "upstream_unreachable", "The chat service cannot be reached.", retryable=True)
    return ApiError(502, "interrupted", "The connection to the chat service broke.", retryable=True)


class Upstream:
    """Calls to the upstream API; every failure comes out as an `ApiError`."""

    def __init__(self, settings: Settings, transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.settings = settings
        self.client = httpx.AsyncClient(
            base_url=settings.upstream_url.rstrip("/"),
            headers={"X-API-Key": settings.upstream_api_key, "User-Agent": "repchat-bff"},
            timeout=httpx.Timeout(
                connect=settings.connect_timeout,
                read=settings.read_timeout,
                write=10.0,
                pool=settings.connect_timeout,
            ),
            limits=httpx.Limits(
                max_connections=settings.max_streams + 20,
                max_keepalive_connections=min(settings.max_streams, 100),
            ),
            transport=transport,
        )

    async def aclose(self) -> None:
        await self.client.aclose()

    async def _request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            response = await self.client.request(method, API + path, **kwargs)
        except httpx.TransportError as exc:
            raise error_for_transport(exc) from exc
        if response.status_code >= 400:
            raise error_for_status(response)
        return response

    @staticmethod
    def _json(response: httpx.Response) -> dict[str, Any]:
        try:
            body = response.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            raise ApiError(502, "upstream_error", "The chat service sent an unreadable answer.", retryable=True)
        return body

    async def health(self) -> bool:
        try:
            response = await self.client.get("/health")
        except httpx.TransportError:
            return False
        return response.status_code == 200

    async def create_session(self, profile_id: str, title: str | None = None) -> str:
        body: dict[str, Any] = {"profileId": profile_id}
        if title:
            body["title"] = title
        data = self._json(await self._request("POST", "/chat/sessions", json=body))
        session_id = data.get("id") or data.get("sessionId") or data.get("session_id")
        if not isinstance(session_id, str) or not session_id:
            raise ApiError(502, "upstream_error", "The chat service did not return a session id.", retryable=True)
        return session_id

    async def context_usage(self, session_id: str) -> dict[str, Any]:
        data = self._json(await self._request("GET", f"/chat/sessions/{session_id}/context-usage"))
        return normalise_usage(data) or {}

    async def report_command(self, session_id: str, command: dict[str, Any], result: str) -> dict[str, Any]:
        body = {"sessionId": session_id, "command": command, "result": result}
        return self._json(await self._request("POST", "/chat/command", json=body))

    async def record_scan(self, profile_id: str, scan: dict[str, Any]) -> None:
        """Tell the upstream a QR code was scanned; failures are logged, never raised."""
        body = {"profileId": profile_id, "source": "qr_scan", "pageUrl": scan.get("pageUrl", "")}
        if scan.get("campaign"):
            body["campaign"] = scan["campaign"]
        try:
            await self._request("POST", "/contacts/scans", json=body)
        except ApiError as exc:
            log.warning("could not record a QR scan upstream: %s (%s)", exc.code, exc.status)

    @asynccontextmanager
    async def stream(self, path: str, body: dict[str, Any]) -> AsyncIterator[AsyncIterator[Event]]:
        """Open an upstream event stream; yields its events, read and normalised.

        Errors before the first byte raise `ApiError`. Inside the iteration,
        transport errors propagate as `httpx.TransportError` so the relay can
        turn them into an `error` event.
        """
        request = self.client.build_request(
            "POST", API + path, json=body,
            headers={"Accept": "text/event-stream", "Cache-Control": "no-store"},
        )
        try:
            response = await self.client.send(request, stream=True)
        except httpx.TransportError as exc:
            raise error_for_transport(exc) from exc
        try:
            if response.status_code >= 400:
                await response.aread()
                raise error_for_status(response)
            if "text/event-stream" not in response.headers.get("content-type", ""):
                await response.aread()
                raise ApiError(
                    502, "upstream_error", "The chat service did not answer with a stream.", retryable=True
                )
            yield _events(response.aiter_bytes(), SseReader(self.settings.max_frame_bytes))
        finally:
            await response.aclose()


async def _events(chunks: AsyncIterator[bytes], reader: SseReader) -> AsyncIterator[Event]:
    """Upstream events, read and normalised; raises FrameTooLarge past the cap."""
    async for chunk in chunks:
        for frame in reader.feed(chunk):
            try:
                event = read_event(frame)
            except Malformed as exc:
                log.warning("skipped a malformed upstream frame: %s", exc)
                continue
            if event is not None:
                yield event
