"""The relay: every upstream variant and fault, seen from the browser's side."""

from __future__ import annotations

import json
import time

import httpx
import pytest

from .servers import Chat
from .sse_client import parse, stream_events

QUESTION = "What does it cost?"


def reply(chat: Chat, spec: str = "", content: str = QUESTION) -> list[tuple[str, dict]]:
    text = f"{content} [[fault: {spec}]]" if spec else content
    return [(event.event, json.loads(event.data)) for event in chat.events(text)]


def text_of(events):
    return "".join(data["content"] for name, data in events if name == "token")


@pytest.fixture
def baseline(chat):
    events = reply(chat)
    assert events[-1][0] == "done"
    return events[-1][1]


@pytest.mark.parametrize(
    "spec",
    [
        "event-lines", "event-only", "text-events", "token-key=token", "token-key=text", "token-key=delta",
        "crlf", "cr", "split=1", "split=7", "bom", "bom,split=1", "comments", "unknown-events", "ids",
        "multiline-data", "done=string", "done=commands-top", "command-event",
        "event-only,text-events,token-key=delta,cr,split=3,bom,comments,unknown-events,ids,done=string",
        "malformed=2",
    ],
)
def test_every_tolerated_variant_reads_the_same(chat, baseline, spec):
    events = reply(chat, spec)
    names = [name for name, _ in events]
    assert names[-1] == "done" and set(names[:-1]) == {"token"} and len(names) > 10
    done = events[-1][1]
    assert text_of(events) == baseline["message"]["content"] == done["message"]["content"]
    assert done["commands"] == [{"type": "navigate", "url": "/pricing"}]


def test_an_empty_done_is_the_concatenated_tokens(chat, baseline):
    events = reply(chat, "done=empty")
    assert events[-1][1]["message"]["content"] == baseline["message"]["content"]
    assert events[-1][1]["commands"] == []


def test_every_event_has_a_rising_id(chat):
    with chat.client.stream("POST", f"{chat.url}/v1/messages", json={"content": "hi"}, headers=chat.headers()) as response:
        raw = response.read().decode()
    assert raw.startswith(": ok\n\n")
    assert response.headers["content-type"].startswith("text/event-stream")
    assert response.headers["cache-control"].startswith("no-cache")
    assert response.headers["x-accel-buffering"] == "no"
    ids = [event.id for event in parse(raw)]
    stream_ids = {i.split(".")[0] for i in ids}
    assert len(stream_ids) == 1 and [int(i.split(".")[1]) for i in ids] == list(range(1, len(ids) + 1))


@pytest.mark.parametrize(
    "status, expected, code",
    [(401, 502, "upstream_auth"), (403, 502, "upstream_auth"), (429, 429, "rate_limited"),
     (500, 502, "upstream_error"), (502, 502, "upstream_error"), (503, 503, "upstream_unavailable"),
     (504, 504, "upstream_timeout"), (404, 404, "session_not_found")],
)
def test_upstream_http_errors_become_json_errors(chat, status, expected, code):
    response = chat.post("/v1/messages", {"content": f"hi [[fault: status={status}]]"})
    assert response.status_code == expected
    assert response.json()["error"]["code"] == code
    if status == 429:
        assert 0 < int(response.headers["retry-after"]) <= 31


@pytest.mark.parametrize(
    "spec, code, tokens",
    [("error-after=3", "generation_failed", 3), ("drop-after=3", "interrupted", 3),
     ("no-done", "interrupted", None), ("drop-after=0", "interrupted", 0)],
)
def test_mid_stream_failures_end_with_one_error_event(chat, spec, code, tokens):
    events = reply(chat, spec)
    *body, (last_name, last) = events
    assert last_name == "error" and last["code"] == code and last["retryable"] is True
    assert {name for name, _ in body} <= {"token"}
    if tokens is not None:
        assert len(body) == tokens


def test_a_stall_past_the_read_timeout_is_an_error_event(make_bff):
    chat = Chat(make_bff(read_timeout=0.4))
    chat.start()
    events = reply(chat, "stall=3@2")
    assert [name for name, _ in events] == ["token", "token", "error"]
    assert events[-1][1]["code"] == "upstream_timeout"


def test_heartbeats_flow_while_the_upstream_is_silent(make_bff):
    chat = Chat(make_bff(heartbeat=0.1))
    chat.start()
    with chat.client.stream(
        "POST", f"{chat.url}/v1/messages", json={"content": "hi [[fault: stall=0.6@1]]"}, headers=chat.headers()
    ) as response:
        raw = response.read().decode()
    assert raw.count(": ping\n\n") >= 3
    assert raw.rstrip().split("\n")[0] == ": ok"
    assert parse(raw)[-1].name == "done"


def test_a_browser_disconnect_cancels_the_upstream_request(make_bff, emulator):
    """With no grace period for reconnects, leaving cancels the upstream reply at once."""
    chat = Chat(make_bff(resume_grace=0))
    chat.start()
    before = len(emulator.journal("message"))
    with chat.client.stream(
        "POST", f"{chat.url}/v1/messages",
        json={"content": f"{QUESTION} [[fault: gap=0.05]]"}, headers=chat.headers(),
    ) as response:
        seen = 0
        for event in stream_events(response):
            seen += event.name == "token"
            if seen == 3:
                break
    entry = emulator.journal("message")[before]
    deadline = time.monotonic() + 5
    while entry["outcome"] == "streaming" and time.monotonic() < deadline:
        time.sleep(0.02)
    assert entry["outcome"] == "cancelled"
    assert 3 <= entry["tokensSent"] < 20


def test_a_stream_read_by_a_plain_sse_client(chat):
    """httpx-sse, a third-party reader, sees standard framing."""
    events = chat.events("Which integrations do you support?")
    assert {event.event for event in events} == {"token", "done"}
    assert all(event.id for event in events)
    assert "Segment" in json.loads(events[-1].data)["message"]["content"]


@pytest.mark.parametrize("spec", ["hostile-commands", "hostile-commands,command-event"])
def test_blocked_commands_are_reported_not_sent(chat, spec):
    """A command the allowlist refuses arrives as a note, never as a command."""
    done = reply(chat, spec, "I want to talk to sales")[-1][1]
    assert done["commands"] == [{"type": "open_modal", "id": "contact"}]
    assert [note["type"] for note in done["blockedCommands"]] == ["navigate", "navigate", "unknown", "fill_form"]
    assert "javascript" not in json.dumps(done["commands"])


def test_the_bff_survives_an_unreachable_upstream_mid_conversation(make_bff, emulator):
    url = make_bff(upstream_url="http://127.0.0.1:9", connect_timeout=0.5)
    response = httpx.post(f"{url}/v1/session", json={}, headers={"Origin": "http://site.test"})
    assert response.status_code == 502
    assert httpx.get(f"{url}/healthz").status_code == 200
