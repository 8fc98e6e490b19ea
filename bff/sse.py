"""Server-Sent Events, both ways: the reader for the upstream's stream and the encoder for the browser's.

Reading: chunks -> lines -> frames. Written by hand rather than taken from httpx-sse for two reasons the relay
needs: a cap on frame size (an upstream that never ends a line must not
grow a buffer without bound) and speed (it works on bytes, never decodes
text it only passes on). It follows the WHATWG parsing rules: CR, LF and
CRLF line ends (a CRLF may be split across two chunks), comments, multi-line
data, `id` without NUL, and one leading UTF-8 BOM dropped.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import orjson

BOM = b"\xef\xbb\xbf"
DEFAULT_MAX_FRAME = 256 * 1024


class FrameTooLarge(ValueError):
    """A line or frame exceeded the reader's limit."""


@dataclass(slots=True)
class Frame:
    event: str
    data: bytes
    id: str


class LineSplitter:
    """Turns byte chunks into complete lines, without their line ends."""

    __slots__ = ("buffer", "skip_lf", "max_line")

    def __init__(self, max_line: int = DEFAULT_MAX_FRAME) -> None:
        self.buffer = b""
        self.skip_lf = False
        self.max_line = max_line

    def feed(self, chunk: bytes) -> list[bytes]:
        if self.skip_lf:
            self.skip_lf = False
            if chunk[:1] == b"\n":
                chunk = chunk[1:]
        data = self.buffer + chunk if self.buffer else chunk
        if b"\r" in data:
            # A CR at the very end may be the first half of a CRLF.
            self.skip_lf = data.endswith(b"\r")
            data = data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
        lines = data.split(b"\n")
        self.buffer = lines.pop()
        if len(self.buffer) > self.max_line:
            raise FrameTooLarge(f"an upstream line is longer than {self.max_line} bytes")
        return lines


class FrameParser:
    """Assembles lines into frames; comments and `retry` are dropped."""

    __slots__ = ("data", "size", "event", "last_id", "started", "max_frame")

    def __init__(self, max_frame: int = DEFAULT_MAX_FRAME) -> None:
        self.data: list[bytes] = []
        self.size = 0
        self.event = ""
        self.last_id = ""
        self.started = False
        self.max_frame = max_frame

    def line(self, line: bytes) -> Frame | None:
        if not self.started:
            self.started = True
            if line.startswith(BOM):
                line = line[3:]
        if not line:
            if not self.data:
                self.event = ""
                return None
            frame = Frame(self.event, b"\n".join(self.data), self.last_id)
            self.data, self.size, self.event = [], 0, ""
            return frame
        if line[0] == 0x3A:  # ":" opens a comment
            return None
        name, colon, value = line.partition(b":")
        if colon and value[:1] == b" ":
            value = value[1:]
        if name == b"data":
            self.size += len(value)
            if self.size > self.max_frame:
                raise FrameTooLarge(f"an upstream frame is larger than {self.max_frame} bytes")
            self.data.append(value)
        elif name == b"event":
            self.event = value.decode("utf-8", "replace")
        elif name == b"id" and b"\0" not in value:
            self.last_id = value.decode("utf-8", "replace")
        return None


class SseReader:
    """Bytes in, frames out: `feed(chunk)` returns the frames that chunk completed."""

    __slots__ = ("lines", "frames")

    def __init__(self, max_frame: int = DEFAULT_MAX_FRAME) -> None:
        self.lines = LineSplitter(max_frame)
        self.frames = FrameParser(max_frame)

    def feed(self, chunk: bytes) -> list[Frame]:
        out = []
        parse = self.frames.line
        for line in self.lines.feed(chunk):
            frame = parse(line)
            if frame is not None:
                out.append(frame)
        return out


def read_all(chunks: Iterable[bytes], max_frame: int = DEFAULT_MAX_FRAME) -> list[Frame]:
    """Every frame in a finished stream (for tests and tools)."""
    reader = SseReader(max_frame)
    frames = []
    for chunk in chunks:
        frames.extend(reader.feed(chunk))
    return frames


# -- writing: what the BFF sends to the browser ---------------------------------
#
# Every event has a name, an `id:` (so a reader can say where it stopped) and
# one `data:` line of compact JSON; JSON never contains a raw newline, so one
# line is always enough. Only the reply buffer (bff/stream/buffer.py) calls
# `encode`: it alone numbers events.

PING = b": ping\n\n"
OPEN = b": ok\n\n"


def ends_reply(frame: bytes) -> bool:
    """Whether an encoded frame is a reply's last one (`done` or `error`)."""
    return frame.startswith((b"event: done\n", b"event: error\n"))


def encode(event: str, data: Any, event_id: str) -> bytes:
    return b"".join(
        (b"event: ", event.encode(), b"\nid: ", event_id.encode(), b"\ndata: ", orjson.dumps(data), b"\n\n")
    )
