"""Fault injection and wire variants, described as a short spec string.

A scenario is a comma-separated list of `name` or `name=value` items, e.g.
`drop-after=3`, `status=502`, `event-only,crlf,split=1`. It comes from the
emulator's configuration, the `X-Emulator-Fault` request header, or (when
enabled) a `[[fault: ...]]` directive inside a message; later items win.

Faults: status=CODE (HTTP error before the stream), error-after=N (error
event after N tokens), drop-after=N (connection dropped after N tokens),
stall=S or stall=S@N (silence of S seconds after N tokens), malformed=N (a
broken JSON frame after N tokens), no-done (stream ends without done),
oversized=BYTES (one huge token frame), hang=SECONDS (silence before the
response headers), delay=SECONDS, gap=SECONDS, words=N (a long markdown
reply of about N tokens, for benchmarks), and echo (the reply is the
message itself: model output chosen by a test).

Wire variants (the tolerated list in docs/upstream-contract.md): event-lines (an
`event:` line as well as the type key), event-only (an `event:` line and no
type key), text-events (tokens named `text`), token-key=content|token|text|
delta, crlf, cr, split=N (N-byte network chunks), bom, comments, unknown-events,
ids (id: and retry: fields), multiline-data, done=full|string|empty|bare|
commands-top, command-event, error=full|message|detail|string, and
hostile-commands (commands no page should run, for the allowlists), and
server-commands (every command marked "server": true), scan-status=CODE
(an HTTP error for scan records only), contact-status=CODE (an HTTP error
for saved contacts only) and contact-unsaved (save-contact answers
`{"contactSaved": false}`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields, replace
from typing import Any

DIRECTIVE = re.compile(r"\[\[fault:\s*([^\]]*)\]\]")
STATUSES = {400, 401, 403, 404, 409, 410, 422, 429, 500, 502, 503, 504}
DONE_SHAPES = ("full", "string", "empty", "bare", "commands-top")
ERROR_SHAPES = ("full", "message", "detail", "string")
TOKEN_KEYS = ("content", "token", "text", "delta")


class ScenarioError(ValueError):
    """A spec item the emulator does not understand."""


@dataclass(frozen=True)
class Scenario:
    status: int | None = None
    error_after: int | None = None
    drop_after: int | None = None
    stall: float = 0.0
    stall_after: int = 0
    malformed: int | None = None
    no_done: bool = False
    oversized: int | None = None
    delay: float | None = None
    gap: float | None = None
    event_lines: bool = False
    event_only: bool = False
    text_events: bool = False
    token_key: str = "content"
    line_end: str = "\n"
    split: int | None = None
    bom: bool = False
    comments: bool = False
    unknown_events: bool = False
    ids: bool = False
    multiline_data: bool = False
    done: str = "full"
    command_event: bool = False
    error: str = "full"
    hostile_commands: bool = False
    server_commands: bool = False
    scan_status: int | None = None
    contact_status: int | None = None
    contact_unsaved: bool = False
    hang: float = 0.0
    echo: bool = False
    words: int | None = None

    def updated(self, spec: str | None) -> Scenario:
        """This scenario with the items of `spec` applied on top."""
        changes: dict[str, Any] = {}
        for item in (spec or "").replace(";", ",").split(","):
            item = item.strip()
            if item:
                changes.update(_parse_item(item))
        return replace(self, **changes)


def _number(name: str, value: str, kind: type = int) -> Any:
    try:
        number = kind(value)
    except ValueError:
        raise ScenarioError(f"{name} needs a number, got {value!r}") from None
    if number < 0:
        raise ScenarioError(f"{name} must not be negative")
    return number


def _choice(name: str, value: str, choices: tuple[str, ...]) -> str:
    if value not in choices:
        raise ScenarioError(f"{name} must be one of {', '.join(choices)}")
    return value


def _parse_item(item: str) -> dict[str, Any]:
    name, _, value = item.partition("=")
    name, value = name.strip().lower(), value.strip()
    flags = {
        "no-done": "no_done", "event-lines": "event_lines", "event-only": "event_only",
        "text-events": "text_events", "bom": "bom", "comments": "comments",
        "unknown-events": "unknown_events", "ids": "ids", "multiline-data": "multiline_data",
        "command-event": "command_event", "hostile-commands": "hostile_commands",
        "server-commands": "server_commands", "echo": "echo", "contact-unsaved": "contact_unsaved",
    }
    if name in flags and not value:
        return {flags[name]: True}
    if name in ("status", "scan-status", "contact-status"):
        status = _number(name, value)
        if status not in STATUSES:
            raise ScenarioError(f"{name} must be one of {sorted(STATUSES)}")
        return {name.replace("-", "_"): status}
    if name in ("error-after", "drop-after", "malformed", "oversized", "words"):
        return {name.replace("-", "_"): _number(name, value)}
    if name == "stall":
        seconds, _, after = value.partition("@")
        return {"stall": _number(name, seconds, float), "stall_after": _number(name, after or "0")}
    if name in ("delay", "gap", "hang"):
        return {name: _number(name, value, float)}
    if name == "split":
        size = _number(name, value)
        if size < 1:
            raise ScenarioError("split needs at least 1 byte")
        return {"split": size}
    if name in ("crlf", "cr", "lf") and not value:
        return {"line_end": {"crlf": "\r\n", "cr": "\r", "lf": "\n"}[name]}
    if name == "token-key":
        return {"token_key": _choice(name, value, TOKEN_KEYS)}
    if name == "done":
        return {"done": _choice(name, value, DONE_SHAPES)}
    if name == "error":
        return {"error": _choice(name, value, ERROR_SHAPES)}
    known = sorted({*flags, *(f.name.replace("_", "-") for f in fields(Scenario))})
    raise ScenarioError(f"unknown scenario item {item!r}; known: {', '.join(known)}")


def take_directive(content: str) -> tuple[str, str | None]:
    """Split a `[[fault: ...]]` directive out of a message: (clean text, spec)."""
    match = DIRECTIVE.search(content)
    if not match:
        return content, None
    return (content[: match.start()] + content[match.end() :]).strip(), match.group(1)
