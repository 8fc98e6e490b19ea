"""Turn one upstream reply into the normalised event stream of DESIGN.md.

`Reply` is the state of one reply (the text so far, whether it ended) and
maps each upstream `Event` to at most one browser event; `relay` drives it
over an upstream stream and writes the frames. Any way the upstream can fail
mid-stream ends as exactly one `error` event.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from typing import Any

from .commands import OriginCheck, split_commands
from .sse import encode
from .sse_reader import FrameTooLarge
from .upstream_errors import UpstreamClosed, UpstreamTimeout, failure_event
from .upstream_events import Event

log = logging.getLogger("repchat.relay")

INTERRUPTED = {
    "code": "interrupted",
    "message": "The reply was interrupted before it finished.",
    "retryable": True,
}


class Reply:
    """One reply being relayed: what was said so far, and how it ended."""

    def __init__(self, origin_ok: OriginCheck, compact: bool = False) -> None:
        self.origin_ok = origin_ok
        self.compact = compact
        self.parts: list[str] = []
        self.commands: list[dict[str, Any]] = []
        self.finished = False
        self.error_code = ""

    def on_event(self, event: Event) -> tuple[str, dict[str, Any]] | None:
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
            self.error_code = event.data.get("code", "upstream_error")
            return "error", event.data
        if event.kind == "done":
            self.finished = True
            return "done", self._done(event.data)
        return None

    def on_end(self) -> tuple[str, dict[str, Any]] | None:
        """The upstream closed the stream: without `done`, that is an interruption."""
        if self.finished:
            return None
        self.finished = True
        self.error_code = "interrupted"
        return "error", INTERRUPTED

    def on_failure(self, exc: BaseException) -> tuple[str, dict[str, Any]] | None:
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


async def relay(batches: AsyncIterator[list[Event]], reply: Reply, stream_id: str) -> AsyncIterator[list[bytes]]:
    """Encoded browser frames, ids `<stream>.<n>`, one list per upstream batch.

    Frames that arrived together leave together, so the browser gets one write
    for what the upstream sent in one packet.
    """
    count = 0
    try:
        async for batch in batches:
            frames = []
            for event in batch:
                item = reply.on_event(event)
                if item is not None:
                    count += 1
                    frames.append(encode(item[0], item[1], f"{stream_id}.{count}"))
                if reply.finished:
                    break
            if frames:
                yield frames
            if reply.finished:
                return
        item = reply.on_end()
    except (UpstreamClosed, UpstreamTimeout, FrameTooLarge, OSError) as exc:
        item = reply.on_failure(exc)
    if item is not None:
        yield [encode(item[0], item[1], f"{stream_id}.{count + 1}")]
