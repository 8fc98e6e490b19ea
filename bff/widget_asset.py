"""The widget as the BFF serves it: `/widget.js`, its conversation UI (`/widget/chunk.<hash>.js`),
its embed doctor (`/widget/doctor.<hash>.js`), `/static/`.

The widget is served by the same process that speaks its API, so the two
never drift apart: widget.js (what runs at page load; its ETag is its
content hash), and the scripts it loads when needed (the conversation UI on
intent, the doctor when asked), each at a URL named by its content hash and
cached for a year.
"""

from __future__ import annotations

import functools
import hashlib
import re
from pathlib import Path

import brotli
import zopfli.gzip

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from . import __version__
from .errors import ApiError
from .page_templates import STATIC_DIR


@functools.cache
def compressed(body: bytes) -> tuple[bytes, bytes]:
    """`body` gzipped and in brotli, each as small as its format allows: once per process.

    zopfli writes plain gzip, which every browser reads, 3 to 4 % smaller than
    zlib's best (about 1 KB over the widget's two scripts); brotli is smaller still.
    """
    return bytes(zopfli.gzip.compress(body)), bytes(brotli.compress(body, quality=11))


def accepts(header: str, coding: str) -> bool:
    """Whether an Accept-Encoding header allows `coding` (not refused with q=0)."""
    for item in header.lower().split(","):
        name, _, params = item.strip().partition(";")
        if name.strip() == coding:
            quality = params.strip().removeprefix("q=").strip()
            return not re.fullmatch(r"0(\.0*)?", quality)
    return False


class WidgetAsset:
    """A built widget script, read once, with a content ETag and compressed copies.

    `immutable` is for a script whose URL names its content (the chunk).
    """

    def __init__(self, path: Path = STATIC_DIR / "widget.js", immutable: bool = False) -> None:
        self.body = path.read_bytes()
        self.gzipped, self.brotli = compressed(self.body)
        self.digest = hashlib.sha256(self.body).hexdigest()
        self.etag = '"' + self.digest[:20] + '"'
        self.immutable = immutable

    async def endpoint(self, request: Request) -> Response:
        # A versioned URL (?v=...) never changes; the bare URL revalidates
        # often so a deploy reaches every visitor within minutes.
        immutable = self.immutable or request.query_params.get("v") == __version__
        headers = {
            "ETag": self.etag,
            "Cache-Control": "public, max-age=31536000, immutable" if immutable else "public, max-age=300",
            "X-Content-Type-Options": "nosniff",
            "X-Repchat-Version": __version__,
            "Cross-Origin-Resource-Policy": "cross-origin",
            "Vary": "Accept-Encoding",
        }
        if request.headers.get("if-none-match") == self.etag:
            return Response(status_code=304, headers=headers)
        body, accepted = self.body, request.headers.get("accept-encoding", "")
        if accepts(accepted, "br"):
            body = self.brotli
            headers["Content-Encoding"] = "br"
        elif accepts(accepted, "gzip"):
            body = self.gzipped
            headers["Content-Encoding"] = "gzip"
        return Response(body, media_type="text/javascript; charset=utf-8", headers=headers)


def chunk_routes(name: str = "chunk", file: str = "widget-chunk.js") -> list[BaseRoute]:
    """A script widget.js loads, at /widget/<name>.<hash>.js, named as widget/build.mjs names it.

    A widget.js from an earlier deploy (cached for minutes, or for a year at a
    ?v= URL) names an earlier one: it is sent to this one, which runs only
    if its contract with widget.js is unchanged (widget/src/loader.js), so an
    old page gets either a working chat or its visible "could not load".
    """
    chunk = WidgetAsset(STATIC_DIR / file, immutable=True)
    current = f"/widget/{name}.{chunk.digest[:16]}.js"

    async def earlier(request: Request) -> Response:
        if not re.fullmatch(r"[0-9a-f]{16}", request.path_params["digest"]):
            raise ApiError("not_found", "There is no such widget file.")
        return RedirectResponse(current, status_code=307, headers={"Cache-Control": "no-cache"})

    return [Route(current, chunk.endpoint), Route(f"/widget/{name}.{{digest}}.js", earlier)]


def widget_routes() -> list[BaseRoute]:
    return [
        Route("/widget.js", WidgetAsset().endpoint),
        *chunk_routes(),
        *chunk_routes("doctor", "widget-doctor.js"),
        Mount("/static", StaticFiles(directory=STATIC_DIR), name="static"),
    ]
