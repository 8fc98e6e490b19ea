"""`repchat soak`: many visitors for a while, with faults, and nothing may be lost.

Starts the emulator (with fault directives) and the BFF as separate processes
on loopback, unless `--url` points at a running BFF. Each visitor keeps a
session, sends a message, reads the reply, and repeats; a share of the
messages carries an injected upstream fault. A message is lost when it gets
neither a reply nor a clear error (a hang, a stream that just stops, a broken
connection to the BFF). Prints requests, outcomes by kind, lost messages, and
the BFF's memory at the start and the end.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import json
import os
import random
import secrets
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from typing import Any

import httpx

FAULTS = ["status=502", "status=429", "status=500", "drop-after=3", "error-after=2", "malformed=1", "no-done"]
QUESTIONS = ["What does it cost?", "Which integrations do you have?", "Is my data secure?", "Do you have an API?"]
ORIGIN = "http://soak.localhost"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def rss_kib(pid: int) -> int:
    """Resident memory of a process on this machine, from /proc (0 where unknown)."""
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


@dataclass
class Tally:
    requests: int = 0
    outcomes: collections.Counter[str] = field(default_factory=collections.Counter)
    lost: int = 0


async def wait_healthy(url: str, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    async with httpx.AsyncClient() as client:
        while time.monotonic() < deadline:
            try:
                if (await client.get(url, timeout=1)).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.1)
    raise RuntimeError(f"{url} did not become healthy")


async def one_message(client: httpx.AsyncClient, url: str, token: str, content: str, tally: Tally) -> str:
    """Send one message and classify what came back; returns the outcome."""
    headers = {"Origin": ORIGIN, "Authorization": f"Bearer {token}"}
    tally.requests += 1
    try:
        async with client.stream("POST", f"{url}/v1/messages", json={"content": content}, headers=headers) as response:
            if response.status_code != 200:
                body = json.loads(await response.aread())
                return f"http {response.status_code} {body['error']['code']}"
            last = ""
            async for line in response.aiter_lines():
                if line.startswith("event: "):
                    last = line[7:]
                elif line.startswith("data: ") and last == "error":
                    return f"error {json.loads(line[6:])['code']}"
            return "done" if last == "done" else "lost: stream ended without done or error"
    except httpx.TimeoutException:
        return "lost: no answer in time"
    except (httpx.TransportError, ValueError, KeyError) as exc:
        return f"lost: {type(exc).__name__}"


async def visitor(url: str, deadline: float, fault_rate: float, faults: bool, tally: Tally, rng: random.Random) -> None:
    timeout = httpx.Timeout(30, connect=5)
    async with httpx.AsyncClient(timeout=timeout) as client:
        token = ""
        while time.monotonic() < deadline:
            if not token:
                tally.requests += 1
                created = await client.post(f"{url}/v1/session", json={"site": "soak"}, headers={"Origin": ORIGIN})
                if created.status_code != 201:
                    tally.outcomes[f"session http {created.status_code}"] += 1
                    await asyncio.sleep(1)
                    continue
                token = created.json()["token"]
            content = rng.choice(QUESTIONS)
            if faults and rng.random() < fault_rate:
                content += f" [[fault: {rng.choice(FAULTS)}]]"
            outcome = await one_message(client, url, token, content, tally)
            tally.outcomes[outcome] += 1
            if outcome.startswith("lost"):
                tally.lost += 1
            if "session_not_found" in outcome or "rate_limited" in outcome:
                token = ""  # a fresh session, as the widget would
            await asyncio.sleep(rng.uniform(0.05, 0.3))


def start_stack(gap: float) -> tuple[str, list[subprocess.Popen[bytes]]]:
    """The emulator and the BFF as their own processes, the way they run in production."""
    key, emulator_port, bff_port = secrets.token_urlsafe(16), free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("REPCHAT_")}
    command = [sys.executable, "-m", "bff.cli"]
    emulator = subprocess.Popen(
        [*command, "emulator", "--port", str(emulator_port), "--api-key", key, "--fault-directives",
         "--delay", "0.05", "--gap", str(gap)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    bff_env = {
        **env,
        "REPCHAT_UPSTREAM_URL": f"http://127.0.0.1:{emulator_port}",
        "REPCHAT_UPSTREAM_API_KEY": key,
        "REPCHAT_SECRET_KEYS": secrets.token_urlsafe(16),
        "REPCHAT_ALLOWED_ORIGINS": ORIGIN,
        "REPCHAT_RATE_SESSIONS_PER_IP": "",
        "REPCHAT_RATE_MESSAGES_PER_IP": "",
        "REPCHAT_LOG_LEVEL": "warning",
    }
    bff = subprocess.Popen(
        [*command, "serve", "--port", str(bff_port)], env=bff_env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    return f"http://127.0.0.1:{bff_port}", [bff, emulator]


async def soak(url: str | None, visitors: int, seconds: float, fault_rate: float, gap: float) -> dict[str, Any]:
    processes: list[subprocess.Popen[bytes]] = []
    if url is None:
        url, processes = start_stack(gap)
    try:
        await wait_healthy(f"{url}/healthz")
        pid = processes[0].pid if processes else 0
        rss_start = rss_kib(pid)
        tally = Tally()
        rng = random.Random(42)
        deadline = time.monotonic() + seconds
        started = time.monotonic()
        await asyncio.gather(
            *(visitor(url, deadline, fault_rate, bool(processes), tally, random.Random(rng.random()))
              for _ in range(visitors))
        )
        return {
            "visitors": visitors,
            "seconds": round(time.monotonic() - started, 1),
            "requests": tally.requests,
            "outcomes": dict(tally.outcomes.most_common()),
            "lost_messages": tally.lost,
            "bff_rss_kib_start": rss_start,
            "bff_rss_kib_end": rss_kib(pid),
        }
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(10)


def report(result: dict[str, Any]) -> str:
    lines = [
        f"visitors        {result['visitors']} for {result['seconds']} s",
        f"requests        {result['requests']}",
        "outcomes",
        *(f"  {count:>6}  {kind}" for kind, count in result["outcomes"].items()),
        f"lost messages   {result['lost_messages']}",
    ]
    if result["bff_rss_kib_start"]:
        lines.append(f"BFF memory      {result['bff_rss_kib_start'] / 1024:.1f} MiB at start, "
                     f"{result['bff_rss_kib_end'] / 1024:.1f} MiB at the end")
    return "\n".join(lines)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--visitors", type=int, default=50, help="concurrent visitors (default 50)")
    parser.add_argument("--minutes", type=float, default=1.0, help="how long to hold them (default 1)")
    parser.add_argument("--fault-rate", type=float, default=0.2, help="share of messages with a fault (default 0.2)")
    parser.add_argument("--gap", type=float, default=0.01, help="emulator seconds between tokens")
    parser.add_argument("--url", default=None, help="a running BFF to soak instead (no faults injected)")
    parser.add_argument("--json", action="store_true", help="print JSON")


def run(args: argparse.Namespace) -> int:
    result = asyncio.run(soak(args.url, args.visitors, args.minutes * 60, args.fault_rate, args.gap))
    print(json.dumps(result, indent=2) if args.json else report(result))
    return 1 if result["lost_messages"] else 0
