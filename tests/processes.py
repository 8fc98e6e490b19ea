"""Real processes for the scale-out tests: redis-server, the emulator and BFFs, on loopback."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, nullcontext
from pathlib import Path

import httpx
import pytest

from bff.dev.processes import Server, free_port, start_bff, start_emulator, stop, wait_ready

KEY = "scale-test-key"
SECRET = "scale-test-secret-of-32-characters-or-more"
ORIGIN = "http://site.test"
NGINX_CONF = Path(__file__).resolve().parent.parent / "deploy" / "nginx.conf"


def need(program: str) -> str:
    """The path of a system program the test needs; CI must have it, elsewhere the test is skipped."""
    path = shutil.which(program) or (f"/usr/sbin/{program}" if os.path.exists(f"/usr/sbin/{program}") else None)
    if path:
        return path
    if os.environ.get("CI"):
        raise AssertionError(f"{program} is missing: scripts/test installs it on Debian")
    pytest.skip(f"{program} is not installed")


def wait_port(port: int, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.05)
    raise AssertionError(f"nothing listens on {port}")


class RedisServer:
    """A redis-server without persistence that a test can kill and start again on the same port."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> subprocess.Popen[bytes]:
        self.process = subprocess.Popen(
            [need("redis-server"), "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        wait_port(self.port)
        return self.process

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)


@contextmanager
def redis_server() -> Iterator[tuple[str, subprocess.Popen]]:
    server = RedisServer()
    process = server.start()
    try:
        yield server.url, process
    finally:
        process.terminate()
        process.wait(10)


@contextmanager
def emulator_process(gap: float = 0.02, profiles_dir: str = "") -> Iterator[str]:
    """`repchat emulator`, answering for the bundled profile or those in `profiles_dir`."""
    emulator = start_emulator(KEY, gap=gap, profiles_dir=profiles_dir)
    try:
        wait_ready([emulator])
        yield emulator.url
    finally:
        stop([emulator])


@contextmanager
def bff_process(
    upstream: str, log_path: str | None = None, workers: int = 1, **settings: str
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """`repchat serve` against `upstream`, once ready (its upstream, and Redis if set, answer)."""
    settings = {"secret_keys": SECRET, "allowed_origins": ORIGIN, "profile_id": "demo", "public_url": "http://bff.test",
                "rate_sessions_per_ip": "", "rate_messages_per_ip": "", "rate_calls_per_ip": "",
                "max_streams_per_address": "0", **settings}
    api_key = settings.pop("upstream_api_key", KEY)
    with open(log_path, "wb") if log_path else nullcontext(subprocess.DEVNULL) as log:
        bff = start_bff(upstream, api_key, workers=workers, log=log, **settings)
        try:
            wait_ready([bff])
            yield bff.url, bff.process
        finally:
            stop([bff])


@contextmanager
def bff_pair(upstream: str, redis_url: str, **settings: str) -> Iterator[tuple[Server, Server]]:
    """Two `repchat serve` processes on one Redis, started side by side; a frozen one is thawed to stop."""
    settings = {"secret_keys": SECRET, "allowed_origins": ORIGIN, "profile_id": "demo", "redis_url": redis_url, "rate_sessions_per_ip": "",
                "rate_messages_per_ip": "", "rate_messages_per_visitor": "", **settings}
    servers = [start_bff(upstream, KEY, **settings) for _ in range(2)]
    try:
        wait_ready(servers)
        yield servers[0], servers[1]
    finally:
        for server in servers:
            if server.process.poll() is None:
                os.kill(server.pid, signal.SIGCONT)
        stop(servers)


def journal(emulator: str) -> list[dict]:
    return httpx.get(f"{emulator}/api/v1/_emulator/journal", headers={"X-API-Key": KEY}).json()




@contextmanager
def nginx_proxy(upstreams: Sequence[str], work: Path) -> Iterator[str]:
    """Debian's nginx with deploy/nginx.conf in front of `upstreams` (BFF URLs), on TLS; yields its URL."""
    openssl = need("openssl")
    subprocess.run(
        [openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost",
         "-keyout", str(work / "key.pem"), "-out", str(work / "cert.pem")],
        check=True, capture_output=True,
    )
    port = free_port()
    servers = "\n    ".join(f"server {url.removeprefix('http://')};" for url in upstreams)
    site = (
        NGINX_CONF.read_text()
        .replace("server 127.0.0.1:8000;", servers)
        .replace("listen 443 ssl http2;", f"listen 127.0.0.1:{port} ssl http2;")
        .replace("/etc/ssl/repchat/fullchain.pem", str(work / "cert.pem"))
        .replace("/etc/ssl/repchat/privkey.pem", str(work / "key.pem"))
    )
    (work / "repchat.conf").write_text(site)
    with nginx_server(work, port, f"include {work}/repchat.conf;", "https") as url:
        yield url


@contextmanager
def nginx_server(work: Path, port: int, http: str, scheme: str = "http") -> Iterator[str]:
    """Debian's nginx in the foreground, `http` inside its http block, listening on `port`; yields its URL."""
    nginx = need("nginx")
    (work / "nginx.conf").write_text(
        f"daemon off; worker_processes 1; pid {work}/nginx.pid; error_log {work}/error.log;\n"
        f"events {{ worker_connections 1024; }}\n"
        f"http {{ access_log off; client_body_temp_path {work}/body; proxy_temp_path {work}/proxy;\n"
        f"  {http} }}\n"
    )
    process = subprocess.Popen([nginx, "-p", str(work), "-c", str(work / "nginx.conf")],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        wait_port(port)
        yield f"{scheme}://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(10)
