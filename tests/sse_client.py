"""The tests' one way to read the BFF's event streams.

It uses httpx-sse's parser, not the BFF's own (bff/sse.py), so a bug in the
BFF's codec cannot hide itself. `stream_events(response)` yields events as they
arrive (stop early to drop the connection, or keep the iterator to read on);
`parse(raw)` reads a finished stream.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any, NamedTuple

import httpx
from httpx_sse import EventSource


class Event(NamedTuple):
    name: str
    id: str
    data: Any  # the decoded JSON


def _event(name: str, event_id: str, data: str) -> Event:
    return Event(name, event_id, json.loads(data))


def stream_events(response: httpx.Response) -> Iterator[Event]:
    """Events of a streaming response as they arrive."""
    for sse in EventSource(response).iter_sse():
        # httpx-sse dispatches a data-less block (a ping after an event with an id);
        # the spec and browsers do not: neither do we.
        if sse.data:
            yield _event(sse.event, sse.id, sse.data)


def parse(raw: bytes | str) -> list[Event]:
    """Every event in a finished stream (comments such as pings are not events)."""
    finished = httpx.Response(200, headers={"content-type": "text/event-stream"}, content=raw)
    return list(stream_events(finished))


def text_of(found: list[Event]) -> str:
    """The reply's text, from its token events."""
    return "".join(event.data["content"] for event in found if event.name == "token")
