"""QR codes for landing pages (segno), with validated options.

The encoded URL is built from the configured public URL, never from a
request's Host header, so a printed code always points where it should.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from collections.abc import Mapping
from urllib.parse import urlencode

import segno

from .errors import ApiError

CAMPAIGN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
COLOR = re.compile(r"^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$")
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
    if not raw.isdigit() or not low <= int(raw) <= high:
        raise ApiError("invalid_parameter", f"{name} must be a whole number from {low} to {high}.")
    return int(raw)


def _color(params: Mapping[str, str], name: str, default: str, allow_transparent: bool = False) -> str:
    raw = params.get(name) or default
    if allow_transparent and raw == "transparent":
        return raw
    if not COLOR.match(raw):
        extra = " or transparent" if allow_transparent else ""
        raise ApiError("invalid_parameter", f"{name} must be a hex color like #1a2b3c{extra}.")
    return raw


def campaign_from(raw: str | None) -> str:
    if not raw:
        return ""
    if not CAMPAIGN.match(raw):
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


def render(url: str, options: QrOptions, kind: str, scalable: bool = False) -> bytes:
    """The code as `svg` or `png` bytes; a `scalable` SVG has a viewBox and no size, so CSS sizes it (the poster)."""
    code = segno.make(url, error=options.level.lower(), micro=False, boost_error=False)
    out = io.BytesIO()
    light = None if options.light == "transparent" else options.light
    extra = {"xmldecl": False, "svgns": True, "title": "QR code", "nl": False, "omitsize": scalable} if kind == "svg" else {}
    code.save(out, kind=kind, scale=options.scale, border=options.border, dark=options.dark, light=light, **extra)
    return out.getvalue()
