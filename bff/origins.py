"""Which browser origins may use the BFF, and what origin a request comes from.

The BFF's own public origin (where the QR landing pages live) is always
allowed; `REPCHAT_ALLOWED_ORIGINS` adds the sites that embed the script tag.
Patterns are exact (`https://shop.example`) or allow any port on one host
(`http://localhost:*`, handy for development and the demo). A refused origin
is logged once, naming the setting to change, so an owner finds out without
a log line per request.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable

from starlette.datastructures import Headers
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import HTTPConnection
from starlette.responses import PlainTextResponse, Response
from starlette.types import ASGIApp

from .logs import Once

log = logging.getLogger("repchat.origins")


def origin_regex(patterns: Iterable[str]) -> str:
    """One regular expression that matches exactly the allowed origins."""
    parts = []
    for pattern in patterns:
        pattern = pattern.strip().rstrip("/")
        if not pattern:
            continue
        if pattern.endswith(":*"):
            parts.append(re.escape(pattern[:-2]) + r"(?::\d{1,5})?")
        else:
            parts.append(re.escape(pattern))
    return "^(?:" + "|".join(parts) + ")$" if parts else r"^(?!)$"


class OriginPolicy:
    """Answers "is this origin allowed?" and "which origin sent this request?"."""

    def __init__(self, patterns: Iterable[str], own_origin: str = "") -> None:
        self.patterns = tuple(dict.fromkeys(p for p in (own_origin, *patterns) if p))
        self.regex = origin_regex(self.patterns)
        self._match = re.compile(self.regex, re.IGNORECASE).match
        self.own_origin = own_origin
        self._refused = Once(log)

    def allows(self, origin: str) -> bool:
        return bool(origin) and self._match(origin) is not None

    def refused(self, origin: str, what: str = "a request") -> None:
        """Log, once per origin, that `origin` was turned away and which setting would let it in."""
        self._refused.warning(
            origin,
            "refused %s from origin %s: it is not in REPCHAT_ALLOWED_ORIGINS (%s); add it there if that site "
            "should show the chat",
            what, origin[:200], ", ".join(self.patterns) or "empty",
        )

    def request_origin(self, request: HTTPConnection) -> str:
        """The request's Origin header; "" when absent or opaque.

        Browsers leave Origin off same-origin GETs, so a same-origin request
        (as `Sec-Fetch-Site` says) counts as coming from the BFF's own origin.
        """
        origin = request.headers.get("origin", "")
        if origin and origin != "null":
            return origin
        if request.headers.get("sec-fetch-site") == "same-origin":
            return self.own_origin or f"{request.url.scheme}://{request.url.netloc}"
        return ""


class CorsMiddleware(CORSMiddleware):
    """Starlette's CORS middleware over an `OriginPolicy`.

    A preflight from an origin that is not allowed is logged once and, on the
    API, answered so that the browser goes on to the request itself: the API
    then refuses it with a readable 403 `origin_not_allowed`, so the widget can
    tell the visitor "not available here" and the owner (in the console) which
    setting to change, instead of a bare network error. The origin check in
    the API is what keeps such a page out; nothing runs for it.
    """

    def __init__(self, app: ASGIApp, policy: OriginPolicy) -> None:
        super().__init__(
            app,
            allow_origin_regex=policy.regex,
            allow_methods=["GET", "POST"],
            allow_headers=["authorization", "content-type", "last-event-id", "idempotency-key"],
            # content-encoding: the embed doctor tells a compressed event stream by it (a proxy's, passed on).
            expose_headers=["retry-after", "x-repchat-version", "content-encoding"],
            max_age=600,
        )
        self.policy = policy

    def is_allowed_origin(self, origin: str) -> bool:
        return self.policy.allows(origin)

    def preflight_response(self, request_headers: Headers) -> Response:
        origin = request_headers["origin"]
        if self.policy.allows(origin):
            return super().preflight_response(request_headers)
        self.policy.refused(origin, "a CORS preflight")
        refused = super().preflight_response(request_headers)
        if request_headers.get("access-control-request-method") == "POST" and refused.status_code == 400 \
                and refused.body == b"Disallowed CORS origin":
            return PlainTextResponse("OK", headers={**self.preflight_headers, "Access-Control-Allow-Origin": origin})
        return refused
