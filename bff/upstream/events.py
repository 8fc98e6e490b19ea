"""Read whatever the upstream sends as one small set of events.

The upstream documents its stream loosely (docs/upstream-contract.md lists every variant), so each
frame is read through every tolerated variant here, once, and the rest of the
BFF sees only `Event(kind, data)` with kind in token, done, error, command.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson

from ..sse import Frame

TOKEN_KEYS = ("content", "token", "text", "delta")
KIND_ALIASES = {"text": "token", "delta": "token"}


@dataclass(slots=True)
class Event:
    kind: str
    data: dict[str, Any]


class Malformed(ValueError):
    """A frame that is neither JSON nor text under a known event name."""


def _first_text(payload: dict[str, Any], keys: tuple[str, ...]) -> str | None:
    for key in keys:
        value = payload.get(key)
        if isinstance(value, str):
            return value
    return None


def _error_fields(payload: dict[str, Any]) -> dict[str, Any]:
    inner = payload.get("error")
    if isinstance(inner, dict):
        payload = inner
    elif isinstance(inner, str):
        payload = {"message": inner}
    message = _first_text(payload, ("message", "detail")) or "The Representative could not answer."
    raw_code = payload.get("code")
    code = raw_code if isinstance(raw_code, str) else "upstream_error"
    retryable = payload.get("retryable")
    return {
        "code": code[:64],
        "message": message[:500],
        "retryable": True if retryable is None else bool(retryable),
    }


def normalise_usage(raw: Any) -> dict[str, Any] | None:
    """`{usedTokens, maxTokens, percentUsed, ...}` from camelCase, snake_case or a ratio."""
    if not isinstance(raw, dict):
        return None

    def pick(*names: str) -> Any:
        for name in names:
            if raw.get(name) is not None:
                return raw[name]
        return None

    used, limit = pick("usedTokens", "used_tokens"), pick("maxTokens", "max_tokens")
    percent = pick("percentUsed", "percent_used")
    ratio = pick("ratio", "usageRatio", "usage_ratio", "ratioUsed", "ratio_used")
    if percent is None and ratio is not None:
        percent = float(ratio) * 100
    if percent is None and isinstance(used, (int, float)) and limit:
        percent = used / limit * 100
    usage: dict[str, Any] = {"usedTokens": used, "maxTokens": limit}
    usage["percentUsed"] = None if percent is None else round(float(percent), 1)
    count = pick("messageCount", "message_count")
    if count is not None:
        usage["messageCount"] = count
    recommended = pick("compactRecommended", "compact_recommended")
    if recommended is not None:
        usage["compactRecommended"] = bool(recommended)
    return usage


def _done_fields(payload: dict[str, Any]) -> dict[str, Any]:
    raw_metadata = payload.get("metadata")
    metadata: dict[str, Any] = raw_metadata if isinstance(raw_metadata, dict) else {}
    message = payload.get("message")
    if isinstance(message, dict):
        content, message_id = message.get("content"), message.get("id")
    else:
        content, message_id = message, None
    commands = metadata.get("commands", payload.get("commands", []))
    return {
        "content": content if isinstance(content, str) else None,
        "id": message_id if isinstance(message_id, str) else None,
        "commands": commands if isinstance(commands, list) else [],
        "usage": normalise_usage(metadata.get("usage", payload.get("usage"))),
        "summary": payload.get("summary") if isinstance(payload.get("summary"), str) else None,
        "compactedMessages": payload.get("compactedMessages", payload.get("compacted_messages")),
    }


def read_event(frame: Frame) -> Event | None:
    """The event one upstream frame stands for; None for frames to skip.

    Raises `Malformed` for a frame that cannot be read at all, so the caller
    decides whether to skip it or end the stream.
    """
    named = frame.event if frame.event != "message" else ""
    if not frame.data:
        return None
    try:
        payload = orjson.loads(frame.data)
    except orjson.JSONDecodeError:
        if KIND_ALIASES.get(named, named) == "token":
            return Event("token", {"content": frame.data.decode("utf-8", "replace")})
        raise Malformed(frame.data[:80].decode("utf-8", "replace")) from None
    if not isinstance(payload, dict):
        raise Malformed(frame.data[:80].decode("utf-8", "replace"))
    if named == "command":
        # The payload is the command itself, whose own `type` is its action.
        command = payload.get("command", payload)
        return Event("command", {"command": command}) if isinstance(command, dict) else None
    raw_kind = payload.get("type")
    kind: str = raw_kind if isinstance(raw_kind, str) else named
    kind = KIND_ALIASES.get(kind, kind)
    if kind == "token":
        text = _first_text(payload, TOKEN_KEYS)
        return Event("token", {"content": text}) if text else None
    if kind == "done":
        return Event("done", _done_fields(payload))
    if kind == "error":
        return Event("error", _error_fields(payload))
    if kind == "command":
        command = payload.get("command", payload)
        return Event("command", {"command": command}) if isinstance(command, dict) else None
    return None
