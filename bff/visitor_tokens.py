"""Signed, expiring, origin-bound visitor tokens.

A token carries the upstream session id, the site and the exact origin it was
issued to; it holds nothing secret, and it is never stored: any BFF process
with the same secret keys can check it. Keys rotate by appending a new key to
the list (newest last): tokens signed with older keys keep working until they
expire or the old key is dropped.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from .errors import ApiError

SALT = "repchat.visitor-token.v1"


@dataclass(frozen=True)
class Visitor:
    session_id: str
    site: str
    origin: str


class TokenIssuer:
    def __init__(self, secret_keys: tuple[str, ...] | list[str], max_age: int) -> None:
        if not secret_keys:
            raise ValueError("at least one secret key is needed to sign visitor tokens")
        self.max_age = max_age
        self._serializer = URLSafeTimedSerializer(list(secret_keys), salt=SALT)

    def issue(self, visitor: Visitor) -> tuple[str, int]:
        """A new token and its expiry time (Unix seconds)."""
        token = self._serializer.dumps(
            {"sid": visitor.session_id, "site": visitor.site, "origin": visitor.origin}
        )
        return token, int(time.time()) + self.max_age

    def read(self, token: str) -> Visitor:
        """The visitor a token names, or an `ApiError` 401 saying why not."""
        try:
            data = self._serializer.loads(token, max_age=self.max_age)
        except SignatureExpired:
            raise ApiError("token_expired") from None
        except BadSignature:
            raise ApiError("token_invalid") from None
        try:
            return Visitor(str(data["sid"]), str(data["site"]), str(data["origin"]))
        except (KeyError, TypeError):
            raise ApiError("token_invalid") from None
