"""One request that says whether the upstream answers and accepts the API key, for `repchat check`.

It asks for a session that cannot exist: a good key gets a 404, a refused
one a 401 or 403. Nothing is created, so a check can run any time.
"""

from __future__ import annotations

from dataclasses import dataclass

import httpx

from ..settings import Settings

API = "/api/v1"


@dataclass(frozen=True)
class Probe:
    status: int | None  # None: no answer at all
    error: str = ""  # why there was no answer


def probe(settings: Settings) -> Probe:
    url = settings.upstream_url.rstrip("/") + API + "/chat/sessions/repchat-check"
    try:
        response = httpx.get(url, headers={"X-API-Key": settings.upstream_api_key},
                             timeout=httpx.Timeout(settings.connect_timeout, read=10))
    except httpx.HTTPError as exc:
        return Probe(None, f"{type(exc).__name__}: {exc or 'no answer'}")
    return Probe(response.status_code)
