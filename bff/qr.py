"""QR codes for landing pages (segno), with validated options.

The encoded URL is built from the configured public URL, never from a
request's Host header, so a printed code always points where it should.
"""

from __future__ import annotations

import asyncio
import io
import multiprocessing
import os
import re
from collections import OrderedDict
from collections.abc import Mapping
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from urllib.parse import urlencode

import segno

from .errors import ApiError
from .parsing import ascii_int

# Patterns are matched whole (fullmatch): `$` would let a trailing newline through.
CAMPAIGN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
COLOR = re.compile(r"#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})")
LEVELS = ("L", "M", "Q", "H")


@dataclass(frozen=True)
class QrOptions:
    scale: int = 8
    border: int = 4
    level: str = "M"
    dark: str = "#000000"
    light: str = "#ffffff"
    campaign: str = ""


def _int(params: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = params.get(name)
    if raw is None or raw == "":
        return default
    value = ascii_int(raw)
    if value is None or not low <= value <= high:
        raise ApiError("invalid_parameter", f"{name} must be a whole number from {low} to {high}.")
    return value


def _color(params: Mapping[str, str], name: str, default: str, allow_transparent: bool = False) -> str:
    """A colour in one spelling (`#abc` and `#AABBCC` are `#aabbcc`), so equal codes share a cache entry."""
    raw = params.get(name) or default
    if allow_transparent and raw == "transparent":
        return raw
    if not COLOR.fullmatch(raw):
        extra = " or transparent" if allow_transparent else ""
        raise ApiError("invalid_parameter", f"{name} must be a hex color like #1a2b3c{extra}.")
    digits = raw[1:].lower()
    return "#" + (digits if len(digits) == 6 else "".join(char * 2 for char in digits))


def campaign_from(raw: str | None) -> str:
    if not raw:
        return ""
    if not CAMPAIGN.fullmatch(raw):
        raise ApiError("invalid_parameter", "c (campaign) must be 1 to 64 letters, digits, '.', '-' or '_'.")
    return raw


def options_from(params: Mapping[str, str]) -> QrOptions:
    """QR options from query parameters; a clear 400 for anything out of range."""
    level = (params.get("ecl") or "M").upper()
    if level not in LEVELS:
        raise ApiError("invalid_parameter", "ecl must be one of L, M, Q, H.")
    dark = _color(params, "dark", "#000000")
    light = _color(params, "light", "#ffffff", allow_transparent=True)
    if dark.lower() == light.lower():
        raise ApiError("invalid_parameter", "dark and light must differ, or the code cannot be scanned.")
    return QrOptions(
        scale=_int(params, "scale", 8, 1, 40),
        border=_int(params, "border", 4, 0, 16),
        level=level,
        dark=dark,
        light=light,
        campaign=campaign_from(params.get("c")),
    )


def landing_url(public_url: str, slug: str, campaign: str = "") -> str:
    """The URL a printed code encodes: the landing page, marked as a QR visit."""
    query = {"src": "qr", **({"c": campaign} if campaign else {})}
    return f"{public_url.rstrip('/')}/r/{slug}?{urlencode(query)}"


class Renderer:
    """Renders codes off the event loop, in a process of its own, and remembers recent ones.

    A large PNG costs up to a tenth of a second of CPU in pure Python. In the
    async handler it stalled every reply the worker relayed; in a thread it
    still took the GIL from the loop in slices, so tokens bunched up. A
    separate process (started on the first code, one per worker) leaves the
    loop alone; the last `size` codes are kept by URL, normalised options and
    kind, and at most `max_pending` renders wait at once (503 beyond).
    """

    def __init__(self, size: int = 256, max_pending: int = 16) -> None:
        self.size = size
        self.max_pending = max_pending
        self.pending = 0
        self.cache: OrderedDict[tuple[str, QrOptions, str, bool], bytes] = OrderedDict()
        self._pool: ProcessPoolExecutor | None = None

    async def render(self, url: str, options: QrOptions, kind: str, scalable: bool = False) -> bytes:
        key = (url, options, kind, scalable)
        body = self.cache.get(key)
        if body is not None:
            self.cache.move_to_end(key)
            return body
        if self.pending >= self.max_pending:
            raise ApiError("busy", "Too many codes are being drawn; please retry in a moment.",
                           headers={"Retry-After": "2"})
        if self._pool is None:
            # Drawing is background work: at a lower priority, the relay wins the CPU when both want it.
            self._pool = ProcessPoolExecutor(
                max_workers=1, mp_context=multiprocessing.get_context("spawn"), initializer=os.nice, initargs=(10,)
            )
        self.pending += 1
        try:
            body = await asyncio.get_running_loop().run_in_executor(self._pool, render, url, options, kind, scalable)
        except BrokenProcessPool:
            self._pool = None  # the next code starts a fresh process
            raise ApiError("busy", "The code could not be drawn; please retry.") from None
        finally:
            self.pending -= 1
        self.cache[key] = body
        if len(self.cache) > self.size:
            self.cache.popitem(last=False)
        return body

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None


def render(url: str, options: QrOptions, kind: str, scalable: bool = False) -> bytes:
    """The code as `svg` or `png` bytes; a `scalable` SVG has a viewBox and no size, so CSS sizes it (the poster)."""
    code = segno.make(url, error=options.level.lower(), micro=False, boost_error=False)
    out = io.BytesIO()
    light = None if options.light == "transparent" else options.light
    extra = {"xmldecl": False, "svgns": True, "title": "QR code", "nl": False, "omitsize": scalable} if kind == "svg" else {}
    code.save(out, kind=kind, scale=options.scale, border=options.border, dark=options.dark, light=light, **extra)
    return out.getvalue()
