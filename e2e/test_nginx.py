"""repchat behind Debian's nginx with the documented configuration (deploy/nginx.conf)."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator

import httpx
import pytest

from tests.sse_client import stream_events
from tests.processes import ORIGIN, bff_process, emulator_process, need, nginx_in_front

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def proxied(tmp_path_factory) -> Iterator[str]:
    with emulator_process(gap=0.05) as emulator, bff_process(
        emulator, rate_sessions_per_ip="2/minute", trusted_proxies="127.0.0.1"
    ) as (bff, _), nginx_in_front(bff, tmp_path_factory.mktemp("nginx")) as url:
        yield url


def client(source: str = "127.0.0.1") -> httpx.Client:
    return httpx.Client(verify=False, timeout=20, transport=httpx.HTTPTransport(local_address=source, verify=False))


def test_tokens_arrive_through_nginx_one_by_one(proxied):
    with client("127.0.0.4") as http:
        token = http.post(f"{proxied}/v1/session", json={}, headers={"Origin": ORIGIN}).json()["token"]
        arrivals = []
        with http.stream("POST", f"{proxied}/v1/messages", json={"content": "Which integrations do you have?"},
                         headers={"Origin": ORIGIN, "Authorization": f"Bearer {token}"}) as response:
            assert response.headers["content-type"].startswith("text/event-stream")
            for event in stream_events(response):
                if event.name == "token":
                    arrivals.append(time.monotonic())
    gaps = [later - earlier for earlier, later in zip(arrivals, arrivals[1:])]
    assert len(arrivals) > 20
    spaced = sum(1 for gap in gaps if gap > 0.025)
    assert spaced >= len(gaps) * 0.8, f"tokens came in bursts, not one by one: {gaps}"


def test_browsers_get_http2(proxied):
    curl = need("curl")
    out = subprocess.run(
        [curl, "-sk", "--http2", "-o", "/dev/null", "-w", "%{http_version}", f"{proxied}/healthz"],
        capture_output=True, text=True, timeout=20,
    )
    assert out.stdout == "2"


def test_rate_limits_see_the_visitors_real_address(proxied):
    """Through nginx every connection comes from 127.0.0.1; limits still count per visitor address."""
    for source in ("127.0.0.2", "127.0.0.3"):
        with client(source) as http:
            codes = [http.post(f"{proxied}/v1/session", json={}, headers={"Origin": ORIGIN}).status_code
                     for _ in range(3)]
        assert codes == [201, 201, 429], source
