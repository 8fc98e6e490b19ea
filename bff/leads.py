"""What visitors leave for the owner: their contact details (`POST /v1/contact`) and ratings (`POST /v1/feedback`).

A contact is checked here field by field (the widget checks the same before
sending), relayed to the upstream's lead capture, and announced to the
owner's webhook as `lead.captured`. An `Idempotency-Key` makes a double
submit or a retry save once. A rating becomes a Prometheus counter, a log
line and a `feedback.given` webhook.

Privacy: a lead's name, email, phone and note go to the upstream and the
webhook only; logs carry the profile, source and campaign, never the
details. A rating's comment goes to the webhook only; the log says how long
it was.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from .api import read_json
from .errors import ApiError
from .idempotency import IdempotencyKeys, checked_key
from .metrics import Metrics
from .visitor_tokens import Visitor
from .webhooks import Webhooks

if TYPE_CHECKING:
    from .api import ChatApi

log = logging.getLogger("repchat.leads")

EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s.]+(\.[^@\s.]+)+$")
PHONE = re.compile(r"^\+?[0-9 ()./-]{5,32}$")
CAMPAIGN = re.compile(r"^[\w.-]{1,100}$")
SOURCES = ("qr_scan", "web")
RATINGS = ("up", "down")
MESSAGE_ID = re.compile(r"^[\w.:-]{1,128}$")
LIMITS = {"name": 100, "email": 254, "phone": 32, "note": 1000}
COMMENT_CHARS = 1000


@dataclass(frozen=True, slots=True)
class Contact:
    name: str
    email: str
    phone: str
    note: str
    source: str
    campaign: str


def _text(body: dict[str, Any], name: str, errors: dict[str, str], required: bool = False) -> str:
    value = body.get(name)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            errors[name] = f"Please enter your {name}."
        return ""
    if not isinstance(value, str):
        errors[name] = f"{name} must be text."
        return ""
    if len(value) > LIMITS[name]:
        errors[name] = f"Please keep your {name} under {LIMITS[name]} characters."
        return ""
    return " ".join(value.split()) if name != "note" else value.strip()


def clean_contact(body: dict[str, Any]) -> Contact:
    """The contact a visitor sent, or a 422 `invalid_contact` naming each field that is wrong."""
    errors: dict[str, str] = {}
    name = _text(body, "name", errors, required=True)
    email = _text(body, "email", errors, required=True)
    if email and not EMAIL.match(email):
        errors["email"] = "Please enter an email address like name@example.com."
    phone = _text(body, "phone", errors)
    if phone and (not PHONE.match(phone) or sum(c.isdigit() for c in phone) < 5):
        errors["phone"] = "Please enter a phone number with digits only (and + ( ) - . spaces)."
    note = _text(body, "note", errors)
    if body.get("consent") is not True:
        errors["consent"] = "Please agree to be contacted, or we cannot send your details."
    source = body.get("source", "web")
    if source not in SOURCES:
        errors["source"] = f"source must be one of {', '.join(SOURCES)}."
    campaign = body.get("campaign") or ""
    if not isinstance(campaign, str) or (campaign and not CAMPAIGN.match(campaign)):
        errors["campaign"] = "campaign must be up to 100 letters, digits, dots, dashes or underscores."
        campaign = ""
    if errors:
        raise ApiError("invalid_contact", f"Please check: {', '.join(errors)}.", fields=errors)
    return Contact(name, email, phone, note, str(source), campaign)


def signed_in(visitor: Visitor) -> dict[str, Any]:
    """Who the host's backend vouched for (issue 18's signed identity), so the owner can tell a customer's lead
    from an anonymous one; `{"verified": false}` without a signed identity."""
    return visitor.identity.upstream() if visitor.identity else {"verified": False}


class LeadsApi:
    """`/v1/contact` and `/v1/feedback`, with the chat API's token, origin and limit checks."""

    def __init__(self, chat: ChatApi, keys: IdempotencyKeys, webhooks: Webhooks | None, metrics: Metrics) -> None:
        self.chat = chat
        self.keys = keys
        self.webhooks = webhooks
        self.metrics = metrics

    def routes(self) -> list[Route]:
        return [
            Route("/v1/contact", self.contact, methods=["POST"]),
            Route("/v1/feedback", self.feedback, methods=["POST"]),
        ]

    async def contact(self, request: Request) -> Response:
        visitor = self.chat._visitor(request)
        key = checked_key(request.headers.get("idempotency-key"))
        body = await read_json(request, self.chat.settings.max_body_bytes)
        # Where the visitor came from is what the signed token says, never what the request claims.
        contact = replace(clean_contact(body), source=visitor.arrival or "web", campaign=visitor.campaign)
        profile_id = visitor.profile or self.chat._profile_id(body.get("profile"))
        scope = f"repchat:idem:{visitor.session_id}:{key}" if key else ""
        if scope:
            stored = await self.keys.claim(scope)
            if stored is not None:
                return JSONResponse(stored, status_code=201, headers={"Idempotent-Replayed": "true"})
        try:
            # A replay of a saved key is answered above without counting; new attempts count.
            await self.chat.limits.hit("contact_per_visitor", visitor.session_id)
            await self.chat.upstream.save_contact({
                "profile_id": profile_id, "name": contact.name, "email": contact.email, "tos_consent": True,
                "phone": contact.phone or None, "notes": contact.note or None,
                "source": contact.source, "campaign": contact.campaign or None,
            })
        except BaseException:
            if scope:
                await self.keys.release(scope)
            raise
        answer = {"saved": True}
        if scope:
            await self.keys.finish(scope, answer)
        self.metrics.leads.labels(contact.source).inc()
        event_id = ""
        if self.webhooks is not None:
            event_id = await self.webhooks.emit("lead.captured", {
                "profileId": profile_id, "conversationId": visitor.session_id, "site": visitor.site,
                "name": contact.name, "email": contact.email, "phone": contact.phone or None,
                "note": contact.note or None, "consent": True, "source": contact.source,
                "campaign": contact.campaign or None, "visitor": signed_in(visitor),
            })
        log.info("lead captured: profile=%s source=%s campaign=%s event=%s",
                 profile_id, contact.source, contact.campaign or "-", event_id or "-")
        return JSONResponse(answer, status_code=201)

    async def feedback(self, request: Request) -> Response:
        visitor = self.chat._visitor(request)
        body = await read_json(request, self.chat.settings.max_body_bytes)
        message_id, rating, comment = body.get("messageId"), body.get("rating"), body.get("comment") or ""
        if not isinstance(message_id, str) or not MESSAGE_ID.match(message_id) or rating not in RATINGS:
            raise ApiError("invalid_feedback")
        if not isinstance(comment, str) or len(comment) > COMMENT_CHARS:
            raise ApiError("invalid_feedback", f"comment must be text of at most {COMMENT_CHARS} characters.")
        profile_id = visitor.profile or self.chat._profile_id(body.get("profile"))
        await self.chat.limits.hit("feedback_per_visitor", visitor.session_id)
        self.metrics.feedback.labels(rating).inc()
        event_id = ""
        if self.webhooks is not None:
            event_id = await self.webhooks.emit("feedback.given", {
                "profileId": profile_id, "conversationId": visitor.session_id,
                "site": visitor.site, "messageId": message_id, "rating": rating, "comment": comment.strip() or None,
                "visitor": signed_in(visitor),
            })
        log.info("feedback: rating=%s message=%s comment_chars=%d event=%s",
                 rating, message_id, len(comment.strip()), event_id or "-")
        return JSONResponse({"recorded": True}, status_code=201)
