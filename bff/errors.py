"""Every way a request or a reply can end badly: one catalogue of codes, and the error type.

`CODES` is the one list of the machine codes the BFF sends, each with its
HTTP status, whether retrying can help, and its message: for the site's
owner, naming the setting to change where there is one (the widget shows it
in the browser console; visitors read the widget's own sentence for the code,
in their language, see widget/src/errors.js). Before a stream starts a failure is an `ApiError` (a JSON error with
that status); after, the same fields travel as the reply's `error` event
(`error_event`). Add a code here, never a status or message at the call site.
An upstream `error` event keeps its code when the catalogue knows it, and always
gets the catalogue's sentence: the upstream's own words go to the log only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response


@dataclass(frozen=True, slots=True)
class Code:
    status: int
    retryable: bool
    message: str


CODES: dict[str, Code] = {
    # The request itself
    "invalid_json": Code(400, False, "The request body is not valid JSON."),
    "invalid_parameter": Code(400, False, "A parameter is not valid."),
    "body_too_large": Code(413, False, "The request body is too large."),
    "context_too_large": Code(413, False, "The page context is too large."),
    "invalid_context": Code(422, False, "The page context is not valid."),
    "invalid_site": Code(422, False, "site (the script tag's data-site) must be 1 to 64 letters, digits, dots, "
                              "dashes or underscores."),
    "invalid_profile": Code(422, False, "profile must name a configured Representative."),
    "invalid_content": Code(422, False, "content must be a non-empty string."),
    "message_too_long": Code(422, False, "The message is too long."),
    "invalid_stream": Code(422, False, "streamId must be a string."),
    "invalid_command": Code(422, False, "command must be an object with a type."),
    "invalid_result": Code(422, False, "result is not a known command result."),
    "invalid_request": Code(422, False, "The chat service refused the request."),
    "unknown_command": Code(422, False, "command must be one this conversation was sent, unchanged."),
    "invalid_contact": Code(422, False, "Some of your details need another look."),
    "invalid_feedback": Code(422, False, "rating must be up or down, with a messageId."),
    "invalid_idempotency_key": Code(400, False, "Idempotency-Key must be 8 to 128 letters, digits, dashes or underscores."),
    # Who is asking
    "origin_missing": Code(403, False, "The request has no Origin header."),
    "origin_not_allowed": Code(403, False, "This site may not use this chat: add its origin to REPCHAT_ALLOWED_ORIGINS."),
    "origin_mismatch": Code(403, False, "The visitor token was issued to another origin."),
    "token_missing": Code(401, False, "A visitor token is required (Authorization: Bearer)."),
    "token_invalid": Code(401, False, "The visitor token is not valid."),
    "token_expired": Code(401, False, "The visitor token has expired."),
    "identity_invalid": Code(401, False, "The signed identity does not match REPCHAT_IDENTITY_SECRETS: sign it on your "
                             "server with the shared secret (HS256)."),
    "identity_expired": Code(401, False, "The signed identity has expired: sign a fresh one each time the page is rendered."),
    "metrics_token": Code(401, False, "Metrics need Authorization: Bearer with REPCHAT_METRICS_TOKEN."),
    "metrics_forbidden": Code(403, False, "Metrics are read from this host, or with REPCHAT_METRICS_TOKEN."),
    # What is asked for
    "not_found": Code(404, False, "Not found."),
    "profile_not_found": Code(404, False, "No Representative has this address."),
    "session_not_found": Code(404, False, "This conversation no longer exists."),
    "stream_gone": Code(410, False, "That reply can no longer be resumed."),
    "request_in_progress": Code(409, True, "Your details are still being sent; please wait a moment."),
    "public_url_missing": Code(503, False, "Set REPCHAT_PUBLIC_URL so QR codes point to this server."),
    "public_url_invalid": Code(503, False, "REPCHAT_PUBLIC_URL must be an absolute http(s) URL without query or fragment."),
    # How this BFF is set up (the owner's to fix; `repchat check` says how)
    "profile_missing": Code(503, False, "No profile is configured for this chat: set REPCHAT_PROFILE_ID."),
    "identity_unconfigured": Code(503, False, "A signed identity was sent but REPCHAT_IDENTITY_SECRETS is not set on the BFF."),
    "profile_unknown": Code(503, False, "The chat service does not know this chat's profile: set REPCHAT_PROFILE_ID."),
    # Limits of this server
    "rate_limited": Code(429, True, "Too many requests; please wait a moment."),
    "too_many_streams": Code(429, True, "A reply is still being written; wait for it or stop it."),
    "busy": Code(503, True, "The chat is very busy right now; please retry in a moment."),
    "shutting_down": Code(503, True, "This server is restarting; please retry."),
    # The upstream chat service (401/403 from it mean our key is wrong: never a visitor's 401)
    "upstream_auth": Code(502, False, "The chat service refused the BFF's API key: set REPCHAT_UPSTREAM_API_KEY."),
    "upstream_error": Code(502, True, "The chat service failed to answer."),
    "upstream_unreachable": Code(502, True, "The chat service cannot be reached: check REPCHAT_UPSTREAM_URL."),
    "upstream_unavailable": Code(503, True, "The chat service is unavailable."),
    "upstream_timeout": Code(504, True, "The chat service timed out."),
    "contact_not_saved": Code(502, True, "Your details could not be saved just now. Please try again."),
    # A reply that had started (sent as its `error` event)
    "generation_failed": Code(502, True, "The Representative could not finish this answer."),
    "interrupted": Code(502, True, "The reply was interrupted before it finished."),
    "stream_timeout": Code(504, True, "The reply took too long."),
    "reply_too_large": Code(502, False, "The reply was too large."),
    "frame_too_large": Code(502, False, "The reply was too large to show."),
}


def error_event(code: str, message: str | None = None) -> dict[str, Any]:
    """The data of the `error` event that ends a reply with `code`."""
    entry = CODES[code]
    return {"code": code, "message": message or entry.message, "retryable": entry.retryable}


class ApiError(Exception):
    """A catalogued code, answered as JSON with the code's status.

    `message` replaces the catalogue's sentence where the call site knows more
    (which field, which limit); `headers` carry e.g. Retry-After; `fields`
    maps a form's field names to what is wrong with each.
    """

    def __init__(
        self, code: str, message: str | None = None, *, headers: dict[str, str] | None = None,
        fields: dict[str, str] | None = None,
    ) -> None:
        entry = CODES[code]
        self.code = code
        self.status = entry.status
        self.retryable = entry.retryable
        self.message = message or entry.message
        super().__init__(self.message)
        self.headers = headers or {}
        self.fields = fields or {}

    def as_event(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, "retryable": self.retryable}

    def response(self) -> Response:
        error: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.fields:
            error["fields"] = self.fields  # which input is wrong, for a form to point at
        return JSONResponse(
            {"error": error},
            status_code=self.status,
            headers=self.headers,
        )


async def api_error_handler(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    return exc.response()
