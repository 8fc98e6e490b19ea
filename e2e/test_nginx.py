"""repchat behind Debian's nginx with the documented configuration (deploy/nginx.conf)."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.sse_client import stream_events
from tests.processes import ORIGIN, bff_process, emulator_process, free_port, need, wait_port

pytestmark = pytest.mark.e2e
CONF = Path(__file__).resolve().parent.parent / "deploy" / "nginx.conf"


@pytest.fixture(scope="module")
def proxied(tmp_path_factory) -> Iterator[str]:
    nginx, openssl = need("nginx"), need("openssl")
    work = tmp_path_factory.mktemp("nginx")
    subprocess.run(
        [openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost",
         "-keyout", str(work / "key.pem"), "-out", str(work / "cert.pem")],
        check=True, capture_output=True,
    )
    with emulator_process(gap=0.05) as emulator, bff_process(
        emulator, rate_sessions_per_ip="2/minute", trusted_proxies="127.0.0.1"
    ) as (bff, _):
        port = free_port()
        site = (
            CONF.read_text()
            .replace("127.0.0.1:8000", bff.removeprefix("http://"))
            .replace("listen 443 ssl http2;", f"listen 127.0.0.1:{port} ssl http2;")
            .replace("/etc/ssl/repchat/fullchain.pem", str(work / "cert.pem"))
            .replace("/etc/ssl/repchat/privkey.pem", str(work / "key.pem"))
        )
        (work / "repchat.conf").write_text(site)
        (work / "nginx.conf").write_text(
            f"daemon off; worker_processes 1; pid {work}/nginx.pid; error_log {work}/error.log;\n"
            f"events {{ worker_connections 1024; }}\n"
            f"http {{ access_log off; client_body_temp_path {work}/body; proxy_temp_path {work}/proxy;\n"
            f"  include {work}/repchat.conf; }}\n"
        )
        process = subprocess.Popen([nginx, "-p", str(work), "-c", str(work / "nginx.conf")],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            wait_port(port)
            yield f"https://127.0.0.1:{port}"
        finally:
            process.terminate()
            process.wait(10)


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
