"""`GET /v1/diagnostics/stream`, the embed doctor's timed events, on a real uvicorn server."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bff.app import create_app
from bff.dev.server import BackgroundServer

from .servers import ORIGIN, RunningEmulator, bff_settings
from .sse_client import stream_events

PATH = "/v1/diagnostics/stream"


def test_ticks_arrive_as_sent_with_the_servers_clock(bff: str):
    arrivals, ticks = [], []
    with httpx.stream("GET", bff + PATH, headers={"Origin": ORIGIN}, timeout=10) as response:
        assert response.status_code == 200
        assert response.headers["content-type"] == "text/event-stream; charset=utf-8"
        # What keeps proxies from holding or compressing it, and lets the page's Resource Timing read its sizes.
        assert response.headers["cache-control"] == "no-cache, no-transform"
        assert response.headers["x-accel-buffering"] == "no"
        assert response.headers["timing-allow-origin"] == ORIGIN
        assert response.headers["access-control-allow-origin"] == ORIGIN
        assert "content-encoding" in response.headers["access-control-expose-headers"]
        assert "content-encoding" not in response.headers
        for event in stream_events(response):
            arrivals.append(time.monotonic())
            ticks.append(event)
    assert [(event.name, event.data["n"], event.data["of"]) for event in ticks] == [("tick", n, 6) for n in range(1, 7)]
    sent = [event.data["sentAt"] for event in ticks]
    assert all(240 <= later - earlier for earlier, later in zip(sent, sent[1:])), sent
    # Read straight from the server, they are not bunched: 1.25 s of sending is 1.25 s of arriving (give or take).
    assert arrivals[-1] - arrivals[0] >= 1.0


def test_count_and_gap_are_bounded_and_bad_values_are_a_clear_400(bff: str):
    with httpx.stream("GET", bff + PATH + "?count=2&gap=50", headers={"Origin": ORIGIN}) as response:
        assert [event.data["n"] for event in stream_events(response)] == [1, 2]
    for query in ("count=1", "count=21", "count=six", "gap=49", "gap=1001", "gap=-5", "count=%00", "gap=1e3"):
        refused = httpx.get(f"{bff}{PATH}?{query}", headers={"Origin": ORIGIN})
        assert refused.status_code == 400, query
        assert refused.json()["error"]["code"] == "invalid_parameter"
        assert "must be a whole number from" in refused.json()["error"]["message"]


def test_only_allowed_origins_and_readably_refused(bff: str):
    refused = httpx.get(bff + PATH, headers={"Origin": "https://elsewhere.example"})
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "origin_not_allowed"
    # Readable by the refused page, so the doctor can say which setting to change.
    assert refused.headers["access-control-allow-origin"] == "https://elsewhere.example"
    assert "REPCHAT_ALLOWED_ORIGINS" in refused.json()["error"]["message"]
    missing = httpx.get(bff + PATH)
    assert missing.status_code == 403 and missing.json()["error"]["code"] == "origin_missing"
    assert httpx.post(bff + PATH, headers={"Origin": ORIGIN}).status_code == 405


def test_it_is_rate_limited_per_address(make_bff: Callable[..., str]):
    url = make_bff(rate_diagnostics_per_ip="2/minute")
    for _ in range(2):
        assert httpx.get(url + PATH + "?count=2&gap=50", headers={"Origin": ORIGIN}).status_code == 200
    refused = httpx.get(url + PATH, headers={"Origin": ORIGIN})
    assert refused.status_code == 429 and refused.json()["error"]["code"] == "rate_limited"
    assert 0 < int(refused.headers["retry-after"]) <= 60


@pytest.mark.parametrize("origin", ["null", ""])
def test_an_opaque_origin_is_refused_not_failed(bff: str, origin: str):
    answer = httpx.get(bff + PATH, headers={"Origin": origin})
    assert answer.status_code == 403 and answer.json()["error"]["code"] == "origin_missing"


@pytest.fixture(scope="module")
def unlimited(emulator: RunningEmulator) -> Iterator[httpx.Client]:
    """A client of a BFF without the doctor's rate limit, which would answer most fuzz examples 429."""
    server = BackgroundServer(create_app(bff_settings(emulator.url, rate_diagnostics_per_ip="")))
    with httpx.Client(base_url=server.start(), timeout=10) as client:
        yield client
    server.stop()


@settings(max_examples=150, deadline=None)
@given(
    query=st.dictionaries(st.sampled_from(["count", "gap"]) | st.text(max_size=8),
                          st.text(max_size=12) | st.integers(-10**6, 10**6).map(str), max_size=3),
    origin=st.sampled_from([ORIGIN, "null", "", "https://elsewhere.example"]) | st.text(max_size=30).filter(str.isprintable),
)
def test_no_query_or_origin_makes_it_fail(unlimited: httpx.Client, query: dict[str, str], origin: str):
    # Its own fuzz rather than tests/security/test_no_500.py's, which reads every answer whole (1.25 s here).
    with unlimited.stream("GET", PATH, params=query, headers={"Origin": origin.encode()}) as response:
        assert response.status_code in (200, 400, 403), (query, origin, response.status_code)
        if response.status_code != 200:
            response.read()
            assert set(response.json()["error"]) == {"code", "message"}
