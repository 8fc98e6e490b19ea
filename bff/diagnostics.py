"""`GET /v1/diagnostics/stream`: a short stream of timed events for the embed doctor.

The widget's doctor (`RepChat.diagnose()`) reads it from the owner's real
page, through whatever proxies, CDNs and compression sit in between, and
compares when each event was sent with when it arrived: events sent 250 ms
apart that arrive together were held back on the way, which is what makes
a reply appear all at once. `Timing-Allow-Origin` lets the page's Resource
Timing compare the bytes on the wire with the bytes decoded, so the doctor
can tell a compressed stream too. Origin-checked and rate limited like the
rest of `/v1`; it reaches no upstream and holds a connection for about 1.5 s.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import orjson
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from . import __version__
from .api import ChatApi
from .errors import ApiError
from .parsing import ascii_int
from .sse import OPEN

COUNT = (6, 2, 20)  # default, least, most
GAP_MS = (250, 50, 1000)


def _bounded(request: Request, name: str, bounds: tuple[int, int, int]) -> int:
    """The query parameter `name` as an int within bounds, its default when absent, else a 400."""
    default, least, most = bounds
    raw = request.query_params.get(name)
    if raw is None:
        return default
    value = ascii_int(raw)
    if value is None or not least <= value <= most:
        raise ApiError("invalid_parameter", f"{name} must be a whole number from {least} to {most}.")
    return value


class Diagnostics:
    """The doctor's endpoint, sharing the chat API's origin policy and rate limits."""

    def __init__(self, api: ChatApi) -> None:
        self.api = api

    def routes(self) -> list[Route]:
        return [Route("/v1/diagnostics/stream", self.stream, methods=["GET"])]

    async def stream(self, request: Request) -> Response:
        """`count` events (`tick`, `{"n", "of", "sentAt"}` with the server's clock in ms), `gap` ms apart."""
        origin = self.api._allowed_origin(request)
        await self.api.limits.hit("diagnostics_per_ip", self.api._ip(request))
        count = _bounded(request, "count", COUNT)
        gap = _bounded(request, "gap", GAP_MS) / 1000

        async def ticks() -> AsyncIterator[bytes]:
            yield OPEN
            for n in range(1, count + 1):
                if n > 1:
                    await asyncio.sleep(gap)
                # No `id:`: these ticks are not a reply, nothing resumes them (reply frames are bff.sse.encode's).
                yield b"event: tick\ndata: " + orjson.dumps({"n": n, "of": count, "sentAt": round(time.time() * 1000)}) + b"\n\n"

        headers = {
            "Cache-Control": "no-cache, no-transform",
            "X-Accel-Buffering": "no",
            "Timing-Allow-Origin": origin,
            "X-Repchat-Version": __version__,
        }
        return StreamingResponse(ticks(), media_type="text/event-stream; charset=utf-8", headers=headers)
