"""Abuse limits: rates per visitor and per address, stream caps, sizes, durations, slow readers."""

from __future__ import annotations

import json
import socket
import time


from bff.settings import SettingsError, load_settings

from .servers import Chat


def test_sessions_per_address_are_limited(make_bff):
    url = make_bff(rate_sessions_per_ip="3/minute")
    codes = [Chat(url).start().status_code for _ in range(4)]
    assert codes == [201, 201, 201, 429]
    refused = Chat(url).start()
    assert refused.json()["error"]["code"] == "rate_limited"
    assert 0 < int(refused.headers["retry-after"]) <= 60


def test_messages_per_visitor_are_limited(make_bff):
    url = make_bff(rate_messages_per_visitor="2/minute")
    chat = Chat(url)
    chat.start()
    chat.events("hi")
    chat.events("hi")
    refused = chat.post("/v1/messages", {"content": "hi"})
    assert refused.status_code == 429 and int(refused.headers["retry-after"]) > 0
    other = Chat(url)
    other.start()
    assert [e.event for e in other.events("hi")][-1] == "done", "another visitor is not affected"


def test_messages_per_address_are_limited(make_bff):
    url = make_bff(rate_messages_per_ip="2/minute")
    visitors = [Chat(url) for _ in range(3)]
    for visitor in visitors:
        visitor.start()
    visitors[0].events("hi")
    visitors[1].events("hi")
    assert visitors[2].post("/v1/messages", {"content": "hi"}).status_code == 429


def test_a_bad_rate_setting_is_named():
    try:
        from bff.ratelimit import RateLimits

        RateLimits(load_settings({"REPCHAT_RATE_MESSAGES_PER_IP": "lots"}))
    except SettingsError as exc:
        assert "REPCHAT_RATE_MESSAGES_PER_IP" in str(exc)
    else:
        raise AssertionError("a malformed rate was accepted")


def test_the_worker_stream_cap_answers_503(make_bff):
    url = make_bff(max_streams=1, resume_grace=0)
    first, second = Chat(url), Chat(url)
    first.start()
    second.start()
    with first.client.stream("POST", f"{url}/v1/messages", json={"content": "hi [[fault: gap=0.1]]"},
                             headers=first.headers()) as response:
        # Keep the line iterator alive: a discarded one closes the connection when it is collected,
        # and the BFF, seeing the visitor leave, rightly frees the slot.
        lines = response.iter_lines()
        next(lines)
        busy = second.post("/v1/messages", {"content": "hi"})
        assert busy.status_code == 503 and busy.json()["error"]["code"] == "busy"
        assert busy.headers["retry-after"]


def test_a_reply_longer_than_the_maximum_duration_ends_with_an_error(make_bff):
    chat = Chat(make_bff(max_stream_seconds=0.5))
    chat.start()
    events = chat.events("What does it cost? [[fault: gap=0.1]]")
    assert events[-1].event == "error" and json.loads(events[-1].data)["code"] == "stream_timeout"


def test_a_reply_larger_than_the_buffer_is_cut(make_bff):
    chat = Chat(make_bff(max_reply_bytes=2000))
    chat.start()
    events = chat.events("Tell me everything [[fault: words=400]]")
    assert events[-1].event == "error" and json.loads(events[-1].data)["code"] == "reply_too_large"


def test_a_reader_that_stops_reading_is_let_go(make_bff):
    """A client that never reads cannot pin a connection: the send timeout closes it."""
    url = make_bff(send_timeout=0.5)
    chat = Chat(url)
    chat.start()
    host, port = url.removeprefix("http://").split(":")
    body = json.dumps({"content": "Tell me everything [[fault: words=30000]]"}).encode()
    request = (
        f"POST /v1/messages HTTP/1.1\r\nHost: {host}\r\nOrigin: {chat.origin}\r\n"
        f"Authorization: Bearer {chat.token}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode() + body
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # before connecting, so the window stays small
    sock.connect((host, int(port)))
    sock.sendall(request)
    time.sleep(3)  # never read: the server's buffers fill and its sends stall
    sock.settimeout(10)
    received = b""
    while chunk := sock.recv(65536):
        received += chunk
    sock.close()
    assert received.startswith(b"HTTP/1.1 200"), "the stream had started"
    assert b"event: done" not in received, "the server let the stalled reader go instead of finishing"
    assert [e.event for e in chat.events("hi")][-1] == "done"
