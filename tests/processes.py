"""Real processes for the scale-out tests: redis-server, the emulator and BFFs, on loopback."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest

KEY = "scale-test-key"
SECRET = "scale-test-secret"
ORIGIN = "http://site.test"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def need(program: str) -> str:
    """The path of a system program the test needs; CI must have it, elsewhere the test is skipped."""
    path = shutil.which(program) or (f"/usr/sbin/{program}" if os.path.exists(f"/usr/sbin/{program}") else None)
    if path:
        return path
    if os.environ.get("CI"):
        raise AssertionError(f"{program} is missing: scripts/test installs it on Debian")
    pytest.skip(f"{program} is not installed")


def wait_until(url: str, process: subprocess.Popen, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"{url}: process exited with {process.returncode}")
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.TransportError:
            time.sleep(0.1)
    raise AssertionError(f"{url} did not answer")


def wait_port(port: int, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.05)
    raise AssertionError(f"nothing listens on {port}")


def python_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("REPCHAT_")}


@contextmanager
def redis_server() -> Iterator[tuple[str, subprocess.Popen]]:
    port = free_port()
    process = subprocess.Popen(
        [need("redis-server"), "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        wait_port(port)
        yield f"redis://127.0.0.1:{port}/0", process
    finally:
        process.terminate()
        process.wait(10)


@contextmanager
def emulator_process(gap: float = 0.02) -> Iterator[str]:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "bff.cli", "emulator", "--port", str(port), "--api-key", KEY, "--delay", "0",
         "--gap", str(gap), "--fault-directives"],
        env=python_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until(f"{url}/health", process)
        yield url
    finally:
        process.terminate()
        process.wait(10)


@contextmanager
def bff_process(upstream: str, log_path: str | None = None, **settings: str) -> Iterator[tuple[str, subprocess.Popen]]:
    port = free_port()
    env = {
        **python_env(),
        "REPCHAT_UPSTREAM_URL": upstream,
        "REPCHAT_UPSTREAM_API_KEY": KEY,
        "REPCHAT_SECRET_KEYS": SECRET,
        "REPCHAT_ALLOWED_ORIGINS": ORIGIN,
        "REPCHAT_RATE_SESSIONS_PER_IP": "",
        "REPCHAT_RATE_MESSAGES_PER_IP": "",
        **{f"REPCHAT_{name.upper()}": value for name, value in settings.items()},
    }
    log = open(log_path, "w") if log_path else subprocess.DEVNULL
    process = subprocess.Popen(
        [sys.executable, "-m", "bff.cli", "serve", "--port", str(port)], env=env, stdout=log, stderr=log
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until(f"{url}/healthz", process)
        yield url, process
    finally:
        if process.poll() is None:
            process.terminate()
            process.wait(15)
        if log_path:
            log.close()  # type: ignore[union-attr]


def journal(emulator: str) -> list[dict]:
    return httpx.get(f"{emulator}/api/v1/_emulator/journal", headers={"X-API-Key": KEY}).json()
