"""The BFF's client for the upstream chat API.

JSON calls go through one `httpx.AsyncClient` per process; replies stream
through the lean `StreamClient` (see _connection.py for why). The API
key lives here and in no other place.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from typing import Any

import httpx
import orjson

from ..errors import ApiError
from ..settings import Settings
from .errors import error_for_status, error_for_transport
from .events import normalise_usage
from ._connection import KEEPALIVE_EXPIRY, ReplyProtocol, StreamClient

log = logging.getLogger("repchat.upstream")

API = "/api/v1"
MAX_ANSWER_BYTES = 1024 * 1024


class Upstream:
    """Calls to the upstream API; every failure comes out as an `ApiError`."""

    def __init__(self, settings: Settings) -> None:
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
            limits=httpx.Limits(max_connections=200, max_keepalive_connections=50, keepalive_expiry=KEEPALIVE_EXPIRY),
        )
        self._health_lock = asyncio.Lock()
        self._healthy = False
        self._health_at = -math.inf
        self.streams = StreamClient(
            settings.upstream_url, settings.upstream_api_key, settings.connect_timeout,
            settings.read_timeout, settings.max_frame_bytes, settings.max_stream_seconds,
        )

    async def aclose(self) -> None:
        self.streams.close()
        await self.client.aclose()

    async def _request(self, method: str, path: str, **kwargs: Any) -> bytes:
        """One JSON call's answer, read up to MAX_ANSWER_BYTES once decoded (a broken or hostile
        upstream's endless or compressed-bomb error page must not fill the worker's memory)."""
        request = self.client.build_request(method, API + path, **kwargs)
        try:
            streamed = await self.client.send(request, stream=True)
            try:
                body = bytearray()
                async for chunk in streamed.aiter_bytes():
                    body += chunk
                    if len(body) > MAX_ANSWER_BYTES:
                        log.warning("upstream answered %s with more than %d bytes", path, MAX_ANSWER_BYTES)
                        raise ApiError("upstream_error", "The chat service sent an unreadable answer.")
            finally:
                await streamed.aclose()
        except httpx.TransportError as exc:
            raise error_for_transport(exc) from exc
        if streamed.status_code >= 400:
            raise error_for_status(streamed.status_code, bytes(body), streamed.headers)
        return bytes(body)

    @staticmethod
    def _json(answer: bytes) -> dict[str, Any]:
        try:
            body = orjson.loads(answer)
        except orjson.JSONDecodeError:
            body = None
        if not isinstance(body, dict):
            raise ApiError("upstream_error", "The chat service sent an unreadable answer.")
        return body

    async def health(self) -> bool:
        """Whether the upstream answers `/health`, asked at most once per `ready_cache_seconds`.

        Readiness probes (and anyone calling /readyz) then cost the upstream
        nothing more; concurrent probes share one check.
        """
        async with self._health_lock:
            if time.monotonic() - self._health_at >= self.settings.ready_cache_seconds:
                try:
                    response = await self.client.get("/health", timeout=2)
                    self._healthy = response.status_code == 200
                except httpx.TransportError:
                    self._healthy = False
                self._health_at = time.monotonic()
        return self._healthy

    async def create_session(self, profile_id: str, title: str | None = None) -> str:
        body: dict[str, Any] = {"profileId": profile_id}
        if title:
            body["title"] = title
        data = self._json(await self._request("POST", "/chat/sessions", json=body))
        session_id = data.get("id") or data.get("sessionId") or data.get("session_id")
        if not isinstance(session_id, str) or not session_id:
            raise ApiError("upstream_error", "The chat service did not return a session id.")
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

    async def save_contact(self, contact: dict[str, Any]) -> None:
        """Save a visitor's details as a contact of the profile (the lead-capture call).

        `contact` is the upstream body (profile_id, name, email, tos_consent,
        phone, notes, source, campaign). An answer without `contactSaved: true`
        is a failure the visitor may retry.
        """
        data = self._json(await self._request("POST", "/public/save-contact", json=contact))
        saved = data.get("contactSaved", data.get("contact_saved", data.get("saved")))
        if saved is not True:
            raise ApiError("contact_not_saved")

    async def open_reply(self, path: str, body: dict[str, Any]) -> ReplyProtocol:
        """Open an upstream reply; read it with `next_batch()`, then `close()` it.

        Errors before the reply starts raise `ApiError`; later ones raise from
        `next_batch()` (`UpstreamClosed`, `UpstreamTimeout`, `FrameTooLarge`),
        so the relay ends the reply with one `error` event.
        """
        return await self.streams.open(API + path, orjson.dumps(body))
