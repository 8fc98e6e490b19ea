"""Signed, expiring, origin-bound visitor tokens.

A token carries the upstream session id, the site and the exact origin it was
issued to; it holds nothing secret, and it is never stored: any BFF process
with the same secret keys can check it. Keys rotate by appending a new key to
the list (newest last): tokens signed with older keys keep working until they
expire or the old key is dropped.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass

from itsdangerous import BadSignature, SignatureExpired, Signer, URLSafeTimedSerializer

from .errors import ApiError
from .identity import Identity

SALT = "repchat.visitor-token.v1"
LANDING_SALT = "repchat.landing-ticket.v1"
COMMAND_SALT = "repchat.command.v1"
LANDING_MAX_AGE = 3600


@dataclass(frozen=True)
class Visitor:
    session_id: str
    site: str
    origin: str
    arrival: str = ""  # "qr_scan" when the session started on a landing page opened from a QR code
    campaign: str = ""  # that QR code's campaign
    profile: str = ""  # the upstream profile the session talks to
    identity: Identity | None = None  # who the host's backend vouched for (bff/identity.py), checked when issued


@dataclass(frozen=True)
class LandingVisit:
    """What a landing page says about a visit: the profile, and whether it came from a printed code."""

    slug: str
    source: str
    campaign: str


class TokenIssuer:
    def __init__(self, secret_keys: tuple[str, ...] | list[str], max_age: int) -> None:
        if not secret_keys:
            raise ValueError("at least one secret key is needed to sign visitor tokens")
        self.max_age = max_age
        self._serializer = URLSafeTimedSerializer(list(secret_keys), salt=SALT)
        self._landing = URLSafeTimedSerializer(list(secret_keys), salt=LANDING_SALT)
        self._commands = Signer(list(secret_keys), salt=COMMAND_SALT)

    def issue(self, visitor: Visitor) -> tuple[str, int]:
        """A new token and its expiry time (Unix seconds)."""
        claims: dict[str, object] = {"sid": visitor.session_id, "site": visitor.site, "origin": visitor.origin}
        for name in ("arrival", "campaign", "profile"):
            if getattr(visitor, name):
                claims[name] = getattr(visitor, name)
        if visitor.identity:
            claims["idn"] = visitor.identity.claims()
        return self._serializer.dumps(claims), int(time.time()) + self.max_age

    def read(self, token: str) -> Visitor:
        """The visitor a token names, or an `ApiError` 401 saying why not."""
        try:
            data = self._serializer.loads(token, max_age=self.max_age)
        except SignatureExpired:
            raise ApiError("token_expired") from None
        except BadSignature:
            raise ApiError("token_invalid") from None
        try:
            return Visitor(
                str(data["sid"]), str(data["site"]), str(data["origin"]),
                str(data.get("arrival", "")), str(data.get("campaign", "")), str(data.get("profile", "")),
                Identity.from_claims(data.get("idn")),
            )
        except (KeyError, TypeError, AttributeError):
            raise ApiError("token_invalid") from None

    def landing_ticket(self, landing: LandingVisit) -> str:
        """A ticket the landing page hands its widget: only the BFF can say a visit began there."""
        return self._landing.dumps([landing.slug, landing.source, landing.campaign])

    def read_landing(self, ticket: object) -> LandingVisit | None:
        """The landing a ticket names, if it is genuine and under an hour old."""
        if not isinstance(ticket, str) or len(ticket) > 500:
            return None
        try:
            slug, source, campaign = self._landing.loads(ticket, max_age=LANDING_MAX_AGE)
            return LandingVisit(str(slug), str(source), str(campaign))
        except (BadSignature, ValueError, TypeError):
            return None

    def command_id(self, session_id: str, command: dict[str, object]) -> str:
        """A signature of a command sent to this session, which its report must carry back."""
        return self._commands.get_signature(_canonical(session_id, command)).decode()

    def command_was_sent(self, session_id: str, command: dict[str, object]) -> bool:
        """Whether a reported command is one the BFF sent to this session, unchanged."""
        claimed = command.get("receipt")
        if not isinstance(claimed, str):
            return False
        body = {key: value for key, value in command.items() if key != "receipt"}
        return self._commands.verify_signature(_canonical(session_id, body), claimed.encode())


def _canonical(session_id: str, command: dict[str, object]) -> bytes:
    return json.dumps([session_id, command], sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
