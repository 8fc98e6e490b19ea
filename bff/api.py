"""The BFF's HTTP API for the widget and integrators (`/v1/...`).

Every endpoint but `/v1/session` needs a visitor token whose origin is the
request's origin; the upstream session id always comes from the token, never
from the request, so no visitor can reach another's conversation.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from functools import partial
from collections.abc import Awaitable, Callable
from typing import Any

import orjson
from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from .identity import Identity, IdentityVerifier, label_visitor
from .page_context import clean_scan_context, clean_ui_context
from .errors import ApiError
from .logs import Once
from .stream.response import EventStreamResponse
from .origins import OriginPolicy
from .parsing import ascii_int
from .profiles import Profile
from .ratelimit import RateLimits, client_address
from .stream.translate import Reply
from .stream.buffer import StreamHub
from .settings import Settings
from .visitor_tokens import TokenIssuer, Visitor
from .upstream import Upstream
from .webhooks import Webhooks

log = logging.getLogger("repchat.api")

_SITE = re.compile(r"[A-Za-z0-9_.-]{1,64}")
COMMAND_RESULTS = ("executed", "blocked", "failed")
# Far beyond any real body, far below where JSON encoders give up (orjson: 255).
MAX_NESTING = 32


async def read_json(request: Request, limit: int) -> dict[str, Any]:
    """The request body as a JSON object, refusing more than `limit` bytes."""
    declared = ascii_int(request.headers.get("content-length"))
    if declared is not None and declared > limit:
        raise ApiError("body_too_large", f"The request body is larger than {limit} bytes.")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise ApiError("body_too_large", f"The request body is larger than {limit} bytes.")
        chunks.append(chunk)
    if not size:
        return {}
    try:
        body = orjson.loads(b"".join(chunks))
    except orjson.JSONDecodeError:
        raise ApiError("invalid_json") from None
    if not isinstance(body, dict):
        raise ApiError("invalid_json", "The request body must be a JSON object.")
    if nesting(body) > MAX_NESTING:
        raise ApiError("invalid_json", f"The request body is nested more than {MAX_NESTING} levels deep.")
    return body


class StreamEndpoint:
    """An endpoint answering with an event stream, as a plain ASGI app.

    Starlette runs a function endpoint inside two more coroutines and an
    exception wrapper, which stay on the stack as long as the stream is
    open: about 1.5 KiB per held stream (tracemalloc). An `ApiError` raised
    before the stream starts still reaches the app's exception handler (it
    propagates to Starlette's ExceptionMiddleware), so errors are unchanged.
    """

    __slots__ = ("handler",)

    def __init__(self, handler: Callable[[Request], Awaitable[EventStreamResponse]]) -> None:
        self.handler = handler

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = await self.handler(Request(scope, receive, send))
        await response(scope, receive, send)


def nesting(value: Any) -> int:
    """How deep lists and objects nest in a parsed JSON value (without recursion: any depth is safe)."""
    deepest, pending = 0, [(value, 1)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, (dict, list)):
            deepest = max(deepest, depth)
            pending.extend((child, depth + 1) for child in (item.values() if isinstance(item, dict) else item))
    return deepest


class ChatApi:
    """Endpoints of `/v1`, sharing one upstream client, token issuer and origin policy."""

    def __init__(
        self,
        settings: Settings,
        upstream: Upstream,
        issuer: TokenIssuer,
        origins: OriginPolicy,
        profiles: dict[str, Profile] | None = None,
        hub: StreamHub | None = None,
        limits: RateLimits | None = None,
        webhooks: Webhooks | None = None,
    ) -> None:
        self.settings = settings
        self.upstream = upstream
        self.issuer = issuer
        self.origins = origins
        self.profiles = profiles or {}
        self.hub = hub or StreamHub()
        self.limits = limits or RateLimits(settings)
        self._misconfigured = Once(log)
        self.identities = IdentityVerifier(settings.identity_secrets)
        self._navigate_origins = frozenset(settings.navigate_origins)
        self.webhooks = webhooks

    def routes(self) -> list[Route]:
        return [
            Route("/v1/session", self.create_session, methods=["POST"]),
            Route("/v1/messages", StreamEndpoint(self.send_message), methods=["POST"]),
            Route("/v1/compact", StreamEndpoint(self.compact), methods=["POST"]),
            Route("/v1/context-usage", self.context_usage, methods=["GET"]),
            Route("/v1/commands", self.report_command, methods=["POST"]),
            Route("/v1/stop", self.stop, methods=["POST"]),
        ]

    def _allowed_origin(self, request: Request) -> str:
        origin = self.origins.request_origin(request)
        if not origin:
            raise ApiError("origin_missing")
        if not self.origins.allows(origin):
            self.origins.refused(origin)
            # Readable by the refused page, so its widget can say why (see origins.CorsMiddleware).
            raise ApiError(
                "origin_not_allowed",
                f"The origin {origin} may not use this chat: add it to REPCHAT_ALLOWED_ORIGINS on the BFF.",
                headers={"Access-Control-Allow-Origin": origin, "Vary": "Origin"},
            )
        return origin

    def _visitor(self, request: Request) -> Visitor:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise ApiError("token_missing")
        visitor = self.issuer.read(token.strip())
        if self._allowed_origin(request) != visitor.origin:
            raise ApiError("origin_mismatch")
        return visitor

    def _ip(self, request: Request) -> str:
        """The visitor's address as limits count it (IPv6 grouped by network)."""
        return client_address(request, self.settings.ipv6_prefix)

    def _navigable(self, visitor: Visitor) -> Callable[[str], bool]:
        """Where this visitor's page may be sent: its own origin, and the origins the owner listed.

        Not every allowed origin: a reply on one site must not send its visitor to another site that
        shares this BFF.
        """
        own, extra = visitor.origin, self._navigate_origins
        return lambda origin: origin == own or origin in extra

    async def create_session(self, request: Request) -> Response:
        origin = self._allowed_origin(request)
        await self.limits.hit("session_per_ip", self._ip(request))
        body = await read_json(request, self.settings.max_body_bytes)
        site = body.get("site", "default")
        if not isinstance(site, str) or not _SITE.fullmatch(site):
            self._misconfigured.warning(
                f"site:{origin}", "refused a chat from %s: its script tag's data-site is not 1 to 64 letters, "
                "digits, '.', '-' or '_'", origin[:200],
            )
            raise ApiError("invalid_site")
        # Only a landing page the BFF served can say a visit came from a printed code:
        # its signed ticket, not the page's scanContext, decides whether a scan is recorded.
        landing = self.issuer.read_landing(body.get("landing"))
        profile_id = self._profile_id(landing.slug if landing else body.get("profile"))
        scan = clean_scan_context(body.get("scanContext")) or {}
        identity = self._identity(body.get("identity"), origin)
        session_id = await self._upstream_session(profile_id)
        arrival = "qr_scan" if landing and landing.source == "qr_scan" else ""
        campaign = landing.campaign if landing and arrival else ""
        token, expires = self.issuer.issue(Visitor(session_id, site, origin, arrival, campaign, profile_id, identity))
        expires_at = dt.datetime.fromtimestamp(expires, dt.UTC).isoformat().replace("+00:00", "Z")
        # A QR visit is recorded once per visitor session (a reload keeps the
        # session), after the answer, and a failure there never reaches the page.
        task = None
        if landing and arrival:
            record = {"source": arrival, "pageUrl": scan.get("pageUrl", ""), "campaign": landing.campaign}
            task = BackgroundTask(self._record_scan, profile_id, record)
        # The widget counts against the same limit it will be held to, and refuses rather than cuts.
        limits = {"messageChars": self.settings.max_message_chars}
        answer: dict[str, Any] = {"token": token, "expiresAt": expires_at, "site": site, "limits": limits}
        profile = self.profiles.get(profile_id)
        if profile is not None and profile.privacy_url:
            answer["privacyUrl"] = profile.privacy_url  # linked from the contact card's consent box
        return JSONResponse(answer, status_code=201, background=task)

    def _identity(self, signed: Any, origin: str) -> Identity | None:
        """The visitor the host's backend vouched for (data-identity), if any; a bad signature is refused."""
        if signed is None or signed == "":
            return None
        try:
            return self.identities.verify(signed)
        except ApiError as exc:
            # The owner's to fix (or someone forging): said once per origin and code, never with the token.
            self._misconfigured.warning(f"{exc.code}:{origin}", "refused a signed identity from %s: %s",
                                        origin[:200], exc.message)
            raise

    async def _upstream_session(self, profile_id: str) -> str:
        """A new upstream session; an upstream that does not know the profile is the owner's to fix, and logged."""
        try:
            return await self.upstream.create_session(profile_id)
        except ApiError as exc:
            if exc.code != "session_not_found":
                raise
            self._misconfigured.warning(
                f"profile:{profile_id}",
                "the upstream does not know profile %r (404 on POST /chat/sessions): set REPCHAT_PROFILE_ID, or the "
                "id in the profile file, to a profile id of your upstream account",
                profile_id,
            )
            raise ApiError("profile_unknown", f"The chat service has no profile {profile_id!r}.") from None

    async def _record_scan(self, profile_id: str, scan: dict[str, Any]) -> None:
        """Record a QR visit upstream and tell the owner's webhook (`scan.recorded`)."""
        await self.upstream.record_scan(profile_id, scan)
        if self.webhooks is not None:
            await self.webhooks.emit("scan.recorded", {
                "profileId": profile_id, "source": scan.get("source"), "campaign": scan.get("campaign"),
                "pageUrl": scan.get("pageUrl"),
            })

    def _profile_id(self, requested: Any) -> str:
        """The upstream profile for a new session: a configured one the page names, else the default."""
        if requested is None:
            if not self.settings.profile_id:
                self._misconfigured.warning(
                    "profile:", "a chat was started without a profile: set REPCHAT_PROFILE_ID (`repchat check` says why)"
                )
                raise ApiError("profile_missing")
            return self.settings.profile_id
        profile = self.profiles.get(requested) if isinstance(requested, str) else None
        if profile is None:
            raise ApiError("invalid_profile")
        return profile.id

    def _message_body(self, body: dict[str, Any], identity: Identity | None = None) -> dict[str, Any]:
        content = body.get("content")
        if not isinstance(content, str) or not content.strip():
            raise ApiError("invalid_content")
        limit = self.settings.max_message_chars
        if len(content) > limit:
            raise ApiError("message_too_long", f"The message is longer than {limit} characters.")
        upstream_body: dict[str, Any] = {"content": content.strip()}
        ui_context = label_visitor(clean_ui_context(body.get("uiContext")), identity)
        scan_context = clean_scan_context(body.get("scanContext"))
        if ui_context:
            upstream_body["uiContext"] = ui_context
        if scan_context:
            upstream_body["scanContext"] = scan_context
        return upstream_body

    async def _reply(self, request: Request, visitor: Visitor, path: str, body: dict[str, Any] | None,
                     reply: Reply) -> EventStreamResponse:
        """A new reply, or, with `Last-Event-ID`, the rest of one this visitor lost the connection to."""
        last_event_id = request.headers.get("last-event-id")
        if last_event_id:
            # A resume replays the reply so far (up to max_reply_bytes): limited like a call.
            await self.limits.hit("call_per_ip", self._ip(request))
            await self.limits.hit("resume_per_visitor", visitor.session_id)
            stream, after = await self.hub.find(last_event_id, visitor.session_id)
        else:
            assert body is not None
            await self.limits.hit("message_per_ip", self._ip(request))
            await self.limits.hit("message_per_visitor", visitor.session_id)
            stream = await self.hub.start(
                visitor.session_id, lambda: self.upstream.open_reply(path, body), reply, self._ip(request)
            )
            await stream.opened  # an upstream refusal becomes a JSON error with its status
            after = 0
        return EventStreamResponse(
            stream, after, heartbeat=self.settings.heartbeat, send_timeout=self.settings.send_timeout
        )

    async def send_message(self, request: Request) -> EventStreamResponse:
        visitor = self._visitor(request)
        body = None
        if not request.headers.get("last-event-id"):
            body = self._message_body(await read_json(request, self.settings.max_body_bytes), visitor.identity)
        path = f"/chat/sessions/{visitor.session_id}/messages"
        reply = Reply(self._navigable(visitor), sign=partial(self.issuer.command_id, visitor.session_id))
        return await self._reply(request, visitor, path, body, reply)

    async def compact(self, request: Request) -> EventStreamResponse:
        visitor = self._visitor(request)
        path = f"/chat/sessions/{visitor.session_id}/compact"
        return await self._reply(request, visitor, path, {}, Reply(self._navigable(visitor), compact=True))

    async def stop(self, request: Request) -> Response:
        """Stop this visitor's reply now (a dropped connection alone waits for a reconnect)."""
        visitor = self._visitor(request)
        body = await read_json(request, self.settings.max_body_bytes)
        stream_id = body.get("streamId")
        if stream_id is not None and not isinstance(stream_id, str):
            raise ApiError("invalid_stream")
        return JSONResponse({"stopped": await self.hub.stop_session(visitor.session_id, stream_id)})

    async def _call(self, request: Request) -> Visitor:
        """The visitor of a call that reaches the upstream, counted against the call limits."""
        visitor = self._visitor(request)
        await self.limits.hit("call_per_ip", self._ip(request))
        await self.limits.hit("call_per_visitor", visitor.session_id)
        return visitor

    async def context_usage(self, request: Request) -> Response:
        visitor = await self._call(request)
        return JSONResponse(await self.upstream.context_usage(visitor.session_id))

    async def report_command(self, request: Request) -> Response:
        visitor = await self._call(request)
        body = await read_json(request, self.settings.max_body_bytes)
        command, result = body.get("command"), body.get("result")
        if not isinstance(command, dict) or not isinstance(command.get("type"), str):
            raise ApiError("invalid_command")
        if result not in COMMAND_RESULTS:
            raise ApiError("invalid_result", f"result must be one of {', '.join(COMMAND_RESULTS)}.")
        if not self.issuer.command_was_sent(visitor.session_id, command):
            raise ApiError("unknown_command")
        command = {key: value for key, value in command.items() if key != "receipt"}
        answer = await self.upstream.report_command(visitor.session_id, command, result)
        return JSONResponse({"ok": True, "commandId": answer.get("commandId")})
