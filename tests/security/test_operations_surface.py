"""The operations surface of `repchat serve` without nginx in front.

/metrics answers only a bearer token (REPCHAT_METRICS_TOKEN) or a scrape from
this host; a connection must send its headers in time (slowloris), idle
keep-alive connections close, and past REPCHAT_MAX_CONNECTIONS a worker
answers 503 instead of falling over.
"""

from __future__ import annotations

import socket
import time
from contextlib import closing

import httpx
import pytest

from bff.app import create_app
from bff.dev.server import BackgroundServer
from tests.servers import bff_settings

from ..processes import bff_process, emulator_process


def test_metrics_need_the_bearer_token_when_one_is_set(make_bff):
    url = make_bff(metrics_token="scrape-s3cret")
    assert httpx.get(f"{url}/metrics").status_code == 401
    assert httpx.get(f"{url}/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert httpx.get(f"{url}/metrics", headers={"Authorization": "Basic scrape-s3cret"}).status_code == 401
    scraped = httpx.get(f"{url}/metrics", headers={"Authorization": "Bearer scrape-s3cret"})
    assert scraped.status_code == 200 and "repchat_active_streams" in scraped.text


def test_without_a_token_only_this_host_may_scrape(emulator, make_bff):
    url = make_bff()
    assert httpx.get(f"{url}/metrics").status_code == 200  # Prometheus on this host
    assert httpx.get(f"{url}/metrics", headers={"X-Forwarded-For": "203.0.113.9"}).status_code == 403
    proxied = BackgroundServer(create_app(bff_settings(emulator.url)), proxy_headers=True,
                               forwarded_allow_ips="127.0.0.1")
    try:
        refused = httpx.get(f"{proxied.start()}/metrics", headers={"X-Forwarded-For": "203.0.113.9"})
        assert refused.status_code == 403 and refused.json()["error"]["code"] == "metrics_forbidden"
    finally:
        proxied.stop()


def closed_by_server(sock: socket.socket, within: float) -> float | None:
    """Seconds until the server closed this connection, or None if it stayed open `within` seconds."""
    started = time.monotonic()
    sock.settimeout(within)
    try:
        while sock.recv(1024):
            pass
    except TimeoutError:
        return None
    except ConnectionResetError:
        pass
    return time.monotonic() - started


@pytest.fixture(scope="module")
def served():
    with emulator_process() as upstream, bff_process(
        upstream, header_timeout="1", keep_alive_timeout="1", max_connections="8"
    ) as (url, _):
        yield url


def connect(url: str) -> socket.socket:
    host, port = url.removeprefix("http://").split(":")
    return socket.create_connection((host, int(port)))


def test_headers_sent_a_byte_at_a_time_or_never_are_cut_off(served):
    with closing(connect(served)) as silent, closing(connect(served)) as slow:
        slow.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")  # and then nothing more
        assert closed_by_server(silent, 5) is not None
        assert closed_by_server(slow, 5) is not None


def test_an_idle_keep_alive_connection_is_closed(served):
    with closing(connect(served)) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        assert sock.recv(4096).startswith(b"HTTP/1.1 200")
        assert closed_by_server(sock, 5) is not None


def test_past_the_connection_limit_a_worker_answers_503(served):
    held = [connect(served) for _ in range(10)]
    try:
        held[-1].sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        assert held[-1].recv(4096).startswith(b"HTTP/1.1 503")
    finally:
        for sock in held:
            sock.close()
    with httpx.Client() as client:  # and serves again once they are gone
        deadline = time.monotonic() + 5
        while client.get(f"{served}/healthz").status_code != 200 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert client.get(f"{served}/healthz").status_code == 200
