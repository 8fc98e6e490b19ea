"""Resumable replies: a dropped connection comes back with Last-Event-ID and loses nothing."""

from __future__ import annotations

import time

import httpx

from .servers import Chat
from .sse_client import Event, parse, stream_events

QUESTION = "What does it cost? [[fault: gap=0.03]]"


def read_some(chat: Chat, count: int, headers: dict[str, str] | None = None) -> tuple[list[Event], str]:
    """Open a reply, read `count` events, then drop the connection; returns (events, last id)."""
    seen: list[Event] = []
    with chat.client.stream(
        "POST", f"{chat.url}/v1/messages", json={"content": QUESTION}, headers={**chat.headers(), **(headers or {})}
    ) as response:
        assert response.status_code == 200
        for event in stream_events(response):
            seen.append(event)
            if len(seen) == count:
                break
    return seen, seen[-1].id if seen else ""


def resume(chat: Chat, last_event_id: str) -> httpx.Response:
    return chat.client.post(
        f"{chat.url}/v1/messages", headers={**chat.headers(), "Last-Event-ID": last_event_id}, timeout=20
    )


def outcome(emulator, index: int, timeout: float = 5.0) -> str:
    entry = emulator.journal("message")[index]
    deadline = time.monotonic() + timeout
    while entry["outcome"] == "streaming" and time.monotonic() < deadline:
        time.sleep(0.02)
    return entry["outcome"]


def test_a_reconnect_replays_what_was_missed_and_continues(chat, emulator):
    before = len(emulator.journal("message"))
    first, last_id = read_some(chat, 5)
    time.sleep(0.3)  # the reply goes on while nobody listens
    rest = parse(resume(chat, last_id).text)
    events = first + rest
    seqs = [int(event_id.split(".")[1]) for _, event_id, _ in events]
    assert seqs == list(range(1, len(events) + 1)), "no frame repeated or lost"
    assert events[-1][0] == "done"
    text = "".join(data["content"] for name, _, data in events if name == "token")
    assert text == events[-1][2]["message"]["content"]
    assert len(emulator.journal("message")) == before + 1, "the reply was generated once"
    assert outcome(emulator, before) == "completed"


def test_a_reconnect_after_the_end_gets_the_tail(chat, emulator):
    first, last_id = read_some(chat, 3)
    time.sleep(2.5)  # the reply finishes meanwhile
    rest = parse(resume(chat, last_id).text)
    assert rest[0][1].endswith(".4") and rest[-1][0] == "done"


def test_without_a_reconnect_the_upstream_is_cancelled_after_the_grace_period(make_bff, emulator):
    chat = Chat(make_bff(resume_grace=0.5))
    chat.start()
    before = len(emulator.journal("message"))
    read_some(chat, 3)
    time.sleep(0.2)
    assert emulator.journal("message")[before]["outcome"] == "streaming", "kept alive during the grace period"
    assert outcome(emulator, before) == "cancelled"


def test_an_explicit_stop_cancels_at_once(make_bff, emulator):
    chat = Chat(make_bff(resume_grace=60))
    chat.start()
    before = len(emulator.journal("message"))
    read_some(chat, 3)
    stopped = chat.post("/v1/stop", {})
    assert stopped.status_code == 200 and stopped.json() == {"stopped": 1}
    assert outcome(emulator, before, timeout=2) == "cancelled"


def test_only_the_owner_can_resume(chat, bff):
    _, last_id = read_some(chat, 2)
    stranger = Chat(bff)
    stranger.start()
    refused = resume(stranger, last_id)
    assert refused.status_code == 410 and refused.json()["error"]["code"] == "stream_gone"
    for bogus in ("nope", f"{last_id.split('.')[0]}.x", "abc.1"):
        assert resume(chat, bogus).status_code == 410
    chat.post("/v1/stop", {})


def test_a_visitor_cannot_hold_more_than_two_streams(chat):
    read_some(chat, 1)
    read_some(chat, 1)  # both replies continue in the grace period
    third = chat.post("/v1/messages", {"content": "hi"})
    assert third.status_code == 429 and third.json()["error"]["code"] == "too_many_streams"
    assert third.headers["retry-after"]
    assert chat.post("/v1/stop", {}).json() == {"stopped": 2}
    time.sleep(0.1)
    assert [e.event for e in chat.events("hi")][-1] == "done"
