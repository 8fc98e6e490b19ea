"""Every tolerated upstream frame shape reads as the same small event."""

import pytest
from bff.sse import Frame
from bff.upstream.events import Event, Malformed, normalise_usage, read_event


def frame(data: str, event: str = "") -> Frame:
    return Frame(event, data.encode(), "")


@pytest.mark.parametrize(
    "sse",
    [
        frame('{"type": "token", "content": "Hi"}'),
        frame('{"type": "token", "token": "Hi"}'),
        frame('{"type": "text", "text": "Hi"}'),
        frame('{"type": "token", "delta": "Hi"}'),
        frame('{"content": "Hi"}', event="token"),
        frame('{"text": "Hi"}', event="text"),
        frame("Hi", event="token"),
    ],
)
def test_token_variants(sse):
    assert read_event(sse) == Event("token", {"content": "Hi"})


def test_done_variants():
    full = read_event(frame(
        '{"type": "done", "message": {"id": "m1", "role": "assistant", "content": "Hello"},'
        ' "metadata": {"usage": {"usedTokens": 800, "maxTokens": 8000}, "commands": [{"type": "navigate", "url": "/p"}]}}'
    ))
    assert full.data["content"] == "Hello" and full.data["id"] == "m1"
    assert full.data["commands"] == [{"type": "navigate", "url": "/p"}]
    assert full.data["usage"] == {"usedTokens": 800, "maxTokens": 8000, "percentUsed": 10.0}
    string = read_event(frame('{"message": "Hello"}', event="done")).data
    assert string["content"] == "Hello" and string["commands"] == []
    top = read_event(frame('{"type": "done", "message": "Hello", "commands": [{"type": "x"}]}')).data
    assert top["commands"] == [{"type": "x"}]
    empty = read_event(frame("{}", event="done")).data
    assert empty["content"] is None and empty["usage"] is None


@pytest.mark.parametrize(
    "data, message",
    [
        ('{"type": "error", "error": {"code": "generation_failed", "message": "boom", "retryable": false}}', "boom"),
        ('{"type": "error", "message": "boom"}', "boom"),
        ('{"type": "error", "detail": "boom"}', "boom"),
        ('{"type": "error", "error": "boom"}', "boom"),
    ],
)
def test_error_variants(data, message):
    event = read_event(frame(data))
    assert event.kind == "error" and event.data["message"] == message


def test_command_event_and_unknown_events():
    assert read_event(frame('{"type": "navigate", "url": "/p"}', event="command")) == Event(
        "command", {"command": {"type": "navigate", "url": "/p"}}
    )
    assert read_event(frame('{"type": "connected"}')) is None
    assert read_event(frame('{"x": 1}', event="meta")) is None
    assert read_event(frame("", event="token")) is None


def test_garbage_is_malformed():
    for data in ('{"type": "token", "content": "bro', "[1, 2]", "plain"):
        with pytest.raises(Malformed):
            read_event(frame(data))


def test_usage_tolerates_snake_case_and_ratios():
    assert normalise_usage({"used_tokens": 10, "max_tokens": 100, "compact_recommended": True}) == {
        "usedTokens": 10, "maxTokens": 100, "percentUsed": 10.0, "compactRecommended": True,
    }
    assert normalise_usage({"usedTokens": 1, "maxTokens": 4, "ratio": 0.25})["percentUsed"] == 25.0
    assert normalise_usage("nope") is None
