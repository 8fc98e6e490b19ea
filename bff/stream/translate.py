"""Step 1 of a reply: upstream events in, browser events out (pure: no bytes, no ids).

`Reply` is the state of one reply (the text so far, whether it ended) and
maps each upstream `Event` to at most one browser event; `translate` maps
one upstream batch. Any way the upstream can fail mid-stream (`FAILURES`)
ends as exactly one `error` event (`Reply.on_failure`). The reply buffer
(buffer.py) numbers and encodes what comes out. The browser's events are described in the README.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from ..errors import error_event
from ..ui_commands import OriginCheck, split_commands
from ..sse import FrameTooLarge
from ..upstream.errors import ReplyTooLong, UpstreamClosed, UpstreamTimeout, failure_event, stream_error
from ..upstream.events import Event

log = logging.getLogger("repchat.relay")

BrowserEvent = tuple[str, dict[str, Any]]

INTERRUPTED = error_event("interrupted")
# How reading an upstream reply can fail once it has started.
FAILURES = (UpstreamClosed, UpstreamTimeout, ReplyTooLong, FrameTooLarge, OSError)


class Reply:
    """One reply being relayed: what was said so far, and how it ended."""

    __slots__ = ("origin_ok", "compact", "sign", "parts", "commands", "finished", "error_code")

    def __init__(
        self, origin_ok: OriginCheck, compact: bool = False, sign: Callable[[dict[str, Any]], str] | None = None
    ) -> None:
        self.origin_ok = origin_ok
        self.compact = compact
        self.sign = sign  # signs each server:true command, so its report can be checked against it
        self.parts: list[str] = []
        self.commands: list[dict[str, Any]] = []
        self.finished = False
        self.error_code = ""

    def on_event(self, event: Event) -> BrowserEvent | None:
        """The browser event for one upstream event, if any."""
        if self.finished:
            return None
        if event.kind == "token":
            self.parts.append(event.data["content"])
            return "token", event.data
        if event.kind == "command":
            self.commands.append(event.data["command"])
            return None
        if event.kind == "error":
            self.finished = True
            error = stream_error(event.data)
            self.error_code = error["code"]
            return "error", error
        if event.kind == "done":
            self.finished = True
            return "done", self._done(event.data)
        return None

    def on_end(self) -> BrowserEvent | None:
        """The upstream closed the stream: without `done`, that is an interruption."""
        if self.finished:
            return None
        self.finished = True
        self.error_code = "interrupted"
        return "error", INTERRUPTED

    def on_failure(self, exc: BaseException) -> BrowserEvent | None:
        if self.finished:
            return None
        self.finished = True
        event = failure_event(exc)
        self.error_code = event["code"]
        return "error", event

    def _done(self, data: dict[str, Any]) -> dict[str, Any]:
        text = "".join(self.parts)
        if self.compact:
            return {
                "summary": data["summary"] or data["content"] or text,
                "compactedMessages": data["compactedMessages"],
                "usage": data["usage"],
            }
        commands, blocked = split_commands(self.commands + data["commands"], self.origin_ok)
        if self.sign is not None:
            commands = [{**command, "receipt": self.sign(command)} if command.get("server") else command
                        for command in commands]
        for note in blocked:
            log.info("blocked a %s command: %s", note["type"], note["reason"])
        done: dict[str, Any] = {
            "message": {"id": data["id"], "content": data["content"] if data["content"] is not None else text},
            "commands": commands,
            "usage": data["usage"],
        }
        if blocked:
            done["blockedCommands"] = blocked
        return done


def translate(batch: list[Event], reply: Reply) -> list[BrowserEvent]:
    """Browser events `(name, data)` for one upstream batch; no bytes, no ids.

    Events that arrived together leave together, so the browser gets one write
    for what the upstream sent in one packet. Nothing after the reply's end.
    """
    out = []
    for event in batch:
        item = reply.on_event(event)
        if item is not None:
            out.append(item)
        if reply.finished:
            break
    return out
