"""Verified identity: the host's backend vouches for a signed-in visitor.

The host's server signs `{id, email?, name?, exp}` as a JSON Web Token
(HS256: HMAC-SHA256, as Intercom's Messenger security does) with a secret it
shares with the BFF (`REPCHAT_IDENTITY_SECRETS`, newest last, so a secret can
be rotated without a moment when pages signed with the old one fail). The
widget passes the token on when it opens a session; the BFF checks it here,
binds the identity into the visitor token, and tells the upstream who the
visitor is, marked verified. What a page says about its visitor unsigned
(`RepChat.setContext({user: ...})`) goes upstream too, marked unverified.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import jwt

from .errors import ApiError

ALGORITHM = "HS256"
MAX_CHARS = 4096  # a signed {id, email, name, exp} is a few hundred characters
LEEWAY = 30  # seconds of clock difference between the host's servers and the BFF
LIMITS = {"id": 128, "email": 254, "name": 200}
# uiContext keys in which a page says who its visitor is: the upstream reads them as claims, never as fact.
CLAIMS = re.compile(r"(visitor|user|customer|identity|member|e-?mail|(full_?|display_?)?name|(user|customer)_?id)", re.I)


@dataclass(frozen=True)
class Identity:
    """Who the host's backend says the visitor is."""

    id: str
    email: str = ""
    name: str = ""

    def claims(self) -> list[str]:
        """The compact form kept in the visitor token."""
        return [self.id, self.email, self.name]

    @classmethod
    def from_claims(cls, raw: Any) -> Identity | None:
        if not isinstance(raw, list) or len(raw) != 3 or not all(isinstance(item, str) for item in raw):
            return None
        return cls(*raw)

    def upstream(self) -> dict[str, Any]:
        """The `uiContext.visitor` the upstream reads: only what was signed, marked verified."""
        fields = {"id": self.id, "email": self.email, "name": self.name}
        return {"verified": True, **{key: value for key, value in fields.items() if value}}


class IdentityVerifier:
    """Checks signed identities against the shared secrets."""

    def __init__(self, secrets: tuple[str, ...] | list[str]) -> None:
        self._secrets = list(reversed(secrets))  # newest first: the one most pages use

    def verify(self, signed: object) -> Identity:
        """The identity a signed token vouches for, or an `ApiError` saying why it is refused."""
        if not self._secrets:
            raise ApiError("identity_unconfigured")
        if not isinstance(signed, str) or len(signed) > MAX_CHARS or signed.count(".") != 2:
            raise ApiError("identity_invalid", "The identity is not a signed token (header.payload.signature, "
                           f"at most {MAX_CHARS} characters): sign it on your server as the README shows.")
        for secret in self._secrets:
            try:
                claims = jwt.decode(signed, secret, algorithms=[ALGORITHM], leeway=LEEWAY,
                                    options={"require": ["exp"], "verify_aud": False, "verify_iss": False})
            except jwt.InvalidSignatureError:
                continue
            except jwt.ExpiredSignatureError:
                raise ApiError("identity_expired") from None
            except jwt.PyJWTError as exc:
                raise ApiError("identity_invalid", f"The signed identity is malformed ({exc}).") from None
            return _identity(claims)
        raise ApiError("identity_invalid")


def _identity(claims: dict[str, Any]) -> Identity:
    """The identity in verified claims; an id is required, email and name are optional."""
    values: dict[str, str] = {}
    for key, limit in LIMITS.items():
        value = claims.get(key)
        if value is None or value == "" and key != "id":
            continue
        if isinstance(value, int) and not isinstance(value, bool) and key == "id":
            value = str(value)
        if not isinstance(value, str) or not 0 < len(value) <= limit:
            raise ApiError("identity_invalid", f"The signed identity's {key!r} must be a string of 1 to {limit} "
                           "characters.")
        values[key] = value
    if "id" not in values:
        raise ApiError("identity_invalid", "The signed identity has no 'id': sign {id, email?, name?, exp}.")
    return Identity(**values)


def label_visitor(ui_context: dict[str, Any] | None, identity: Identity | None) -> dict[str, Any] | None:
    """The uiContext with `visitor` saying who the visitor is, and whether that was verified.

    Only the BFF writes `visitor`: a signed identity bound to the visitor token
    is `verified: true`; whatever the page said about its visitor itself
    (identity-like keys of setContext) moves under `visitor.claimed`, and
    without a signed identity the whole is `verified: false`.
    """
    context = dict(ui_context or {})
    claimed = {key: context.pop(key) for key in list(context) if CLAIMS.fullmatch(key)}
    if identity is None and not claimed:
        return ui_context
    visitor: dict[str, Any] = identity.upstream() if identity else {"verified": False}
    if claimed:
        visitor["claimed"] = claimed
    context["visitor"] = visitor
    return context
