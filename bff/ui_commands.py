"""The BFF's allowlist for UI commands the Representative asks the page to run.

A command that is not on the list, or whose fields are not what the list
expects, never reaches the browser; it is reported in `blockedCommands` so
the widget can say that something was refused. The widget checks again
against the live page (it alone knows the host page's origin and elements).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from .redaction import is_secret_name

MAX_SELECTOR = 200
MAX_FIELDS = 20
MAX_VALUE = 500
MAX_COMMANDS = 5  # per reply: more is a model probing the page, not helping a visitor
KINDS = ("navigate", "open_modal", "scroll_to", "highlight", "fill_form")
_ID = re.compile(r"[A-Za-z][A-Za-z0-9_-]{0,63}")
# What a page author writes to point at a visible thing: ids, classes and data-*
# attribute names, joined by descendant or child combinators. No attribute values,
# no :has() or other pseudo-classes, no tag names: nothing that can test the value
# of a hidden input, a <meta> or a <link> one guess at a time. The widget uses the
# same pattern (widget/src/commands.js).
_SIMPLE = r"(?:[#.][A-Za-z_][\w-]*|\[data-[a-z0-9_-]+\])+"
SELECTOR = re.compile(rf"{_SIMPLE}(?:(?:\s*>\s*|\s+){_SIMPLE})*", re.ASCII)


class Blocked(ValueError):
    """Why one command was refused."""


def _selector(command: dict[str, Any], key: str = "selector") -> str:
    value = command.get(key)
    if not isinstance(value, str) or len(value) > MAX_SELECTOR or not SELECTOR.fullmatch(value.strip()):
        raise Blocked(f"{key} must use only ids, classes and data-* attribute names")
    if "repchat" in value.lower():
        raise Blocked("selectors may not reach into the widget")
    return value.strip()


OriginCheck = Callable[[str], bool]


def check_navigate_url(url: Any, origin_ok: OriginCheck) -> str:
    """A path, or an http(s) URL on an origin `origin_ok` accepts."""
    if not isinstance(url, str) or not url or len(url) > 2048:
        raise Blocked("url must be a string")
    if any(ord(char) < 0x21 for char in url) or "\\" in url:
        raise Blocked("url contains control characters, spaces or backslashes")
    if url.startswith("/") and not url.startswith("//"):
        return url
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise Blocked(f"scheme {parts.scheme or '(none)'!r} is not allowed")
    origin = f"{parts.scheme}://{parts.netloc}"
    if not origin_ok(origin):
        raise Blocked(f"origin {origin} is not an allowed site")
    return url


def _fields(command: dict[str, Any]) -> dict[str, str]:
    fields = command.get("fields")
    if not isinstance(fields, dict) or not fields or len(fields) > MAX_FIELDS:
        raise Blocked(f"fields must be an object of 1 to {MAX_FIELDS} entries")
    cleaned = {}
    for name, value in fields.items():
        if is_secret_name(str(name)):
            raise Blocked(f"field {name!r} looks secret and cannot be filled")
        if not isinstance(value, (str, int, float)) or isinstance(value, bool):
            raise Blocked(f"field {name!r} must be text")
        cleaned[str(name)[:100]] = str(value)[:MAX_VALUE]
    return cleaned


PREFILL_LIMITS = {"name": 100, "email": 254, "phone": 32, "note": 1000}


def _prefill(command: dict[str, Any]) -> dict[str, str]:
    """collect_contact's optional prefill: only the card's own fields, as short text."""
    prefill = command.get("prefill", {})
    if not isinstance(prefill, dict):
        raise Blocked("prefill must be an object")
    cleaned = {}
    for name, value in prefill.items():
        if name not in PREFILL_LIMITS:
            raise Blocked(f"prefill may only hold {', '.join(PREFILL_LIMITS)}")
        if not isinstance(value, str):
            raise Blocked(f"prefill {name!r} must be text")
        cleaned[name] = value[: PREFILL_LIMITS[name]]
    return cleaned


def check_command(command: Any, origin_ok: OriginCheck) -> dict[str, Any]:
    """The command as it may go to the browser, or `Blocked` with the reason."""
    if not isinstance(command, dict):
        raise Blocked("a command must be an object")
    kind = command.get("type")
    checked: dict[str, Any]
    if kind == "navigate":
        checked = {"url": check_navigate_url(command.get("url"), origin_ok)}
    elif kind == "open_modal":
        modal_id = command.get("id")
        if not isinstance(modal_id, str) or not _ID.fullmatch(modal_id):
            raise Blocked("id must be a simple identifier")
        checked = {"id": modal_id}
    elif kind in ("scroll_to", "highlight"):
        checked = {"selector": _selector(command)}
    elif kind == "fill_form":
        checked = {"form": _selector(command, "form"), "fields": _fields(command)}
    elif kind == "collect_contact":
        checked = {"prefill": _prefill(command)}
    else:
        raise Blocked("unknown command type")
    checked = {"type": kind, **checked}
    if command.get("server") is True:
        checked["server"] = True
    # Nothing else passes (no model-written "label"): the widget says what it did from what it did.
    return checked


def split_commands(commands: Any, origin_ok: OriginCheck) -> tuple[list[dict[str, Any]], list[dict[str, str]]]:
    """Commands that pass (at most MAX_COMMANDS), and a `{type, reason}` note for each that does not.

    A note's type is one of KINDS or "unknown": the visitor never reads a name the model made up.
    """
    allowed: list[dict[str, Any]] = []
    blocked: list[dict[str, str]] = []
    for command in commands if isinstance(commands, list) else []:
        kind = command.get("type") if isinstance(command, dict) else None
        try:
            if len(allowed) >= MAX_COMMANDS:
                raise Blocked(f"more than {MAX_COMMANDS} commands in one reply")
            allowed.append(check_command(command, origin_ok))
        except Blocked as reason:
            blocked.append({"type": kind if kind in KINDS else "unknown", "reason": str(reason)[:120]})
    return allowed[:MAX_COMMANDS], blocked[:MAX_COMMANDS]
