"""Which browser origins may use the BFF, and what origin a request comes from.

Allowed origins are exact (`https://shop.example`) or allow any port on one
host (`http://localhost:*`, handy for development and the demo).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from starlette.requests import HTTPConnection


def origin_regex(patterns: Iterable[str]) -> str:
    """One regular expression that matches exactly the allowed origins."""
    parts = []
    for pattern in patterns:
        pattern = pattern.strip().rstrip("/")
        if pattern.endswith(":*"):
            parts.append(re.escape(pattern[:-2]) + r"(?::\d{1,5})?")
        else:
            parts.append(re.escape(pattern))
    return "^(?:" + "|".join(parts) + ")$" if parts else r"^(?!)$"


class OriginPolicy:
    """Answers "is this origin allowed?" and "which origin sent this request?"."""

    def __init__(self, patterns: Iterable[str], own_origin: str = "") -> None:
        self.patterns = tuple(patterns)
        self.regex = origin_regex(self.patterns)
        self._match = re.compile(self.regex).match
        self.own_origin = own_origin

    def allows(self, origin: str) -> bool:
        return bool(origin) and self._match(origin) is not None

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
