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
import random
import secrets
import sys
import time
from dataclasses import dataclass, field
from typing import Any

import httpx

from ..sse import SseReader
from .processes import Server, StackFailed, rss_kib, start_bff, start_emulator, stop, wait_ready, wait_url

FAULTS = ["status=502", "status=429", "status=500", "drop-after=3", "error-after=2", "malformed=1", "no-done"]
QUESTIONS = ["What does it cost?", "Which integrations do you have?", "Is my data secure?", "Do you have an API?"]
ORIGIN = "http://soak.localhost"


@dataclass
class Tally:
    requests: int = 0
    outcomes: collections.Counter[str] = field(default_factory=collections.Counter)
    lost: int = 0


async def one_message(client: httpx.AsyncClient, url: str, token: str, content: str, tally: Tally) -> str:
    """Send one message and classify what came back; returns the outcome."""
    headers = {"Origin": ORIGIN, "Authorization": f"Bearer {token}"}
    tally.requests += 1
    try:
        async with client.stream("POST", f"{url}/v1/messages", json={"content": content}, headers=headers) as response:
            if response.status_code != 200:
                body = json.loads(await response.aread())
                return f"http {response.status_code} {body['error']['code']}"
            reader, last = SseReader(), ""
            async for chunk in response.aiter_bytes():
                for frame in reader.feed(chunk):
                    if frame.event == "error":
                        return f"error {json.loads(frame.data)['code']}"
                    last = frame.event
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


async def soak(url: str, visitors: int, seconds: float, fault_rate: float, faults: bool, pid: int) -> dict[str, Any]:
    """Hold `visitors` against a ready BFF at `url` for `seconds`; `pid` is the BFF's, for its memory (0: unknown)."""
    rss_start = rss_kib(pid) if pid else 0
    tally = Tally()
    rng = random.Random(42)
    deadline = time.monotonic() + seconds
    started = time.monotonic()
    await asyncio.gather(
        *(visitor(url, deadline, fault_rate, faults, tally, random.Random(rng.random())) for _ in range(visitors))
    )
    return {
        "visitors": visitors,
        "seconds": round(time.monotonic() - started, 1),
        "requests": tally.requests,
        "outcomes": dict(tally.outcomes.most_common()),
        "completed_messages": tally.outcomes["done"],
        "lost_messages": tally.lost,
        "bff_rss_kib_start": rss_start,
        "bff_rss_kib_end": rss_kib(pid) if pid else 0,
    }


def start_stack(gap: float) -> list[Server]:
    """The emulator (with fault directives) and the BFF as their own processes, the way they run in production."""
    key = secrets.token_urlsafe(16)
    emulator = start_emulator(key, delay=0.05, gap=gap)
    bff = start_bff(
        emulator, key, secret_keys=secrets.token_urlsafe(32), profile_id="demo", allowed_origins=ORIGIN,
        rate_sessions_per_ip="", rate_messages_per_ip="", log_level="warning",
        # Every simulated visitor shares one address here.
        max_streams_per_address="0", rate_calls_per_ip="",
    )
    return [emulator, bff]


def report(result: dict[str, Any]) -> str:
    lines = [
        f"visitors        {result['visitors']} for {result['seconds']} s",
        f"requests        {result['requests']}",
        "outcomes",
        *(f"  {count:>6}  {kind}" for kind, count in result["outcomes"].items()),
        f"completed       {result['completed_messages']}",
        f"lost messages   {result['lost_messages']}",
    ]
    if result["bff_rss_kib_start"]:
        lines.append(f"BFF memory      {result['bff_rss_kib_start'] / 1024:.1f} MiB at start, "
                     f"{result['bff_rss_kib_end'] / 1024:.1f} MiB at the end")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    """`repchat soak`: 0 when messages completed and none was lost; 1 when not; 2 when the stack did not come up."""
    servers: list[Server] = []
    try:
        if args.url is None:
            servers = start_stack(args.gap)
            wait_ready(servers, args.ready_timeout)  # the BFF's /readyz answers only once its upstream does
            url, pid = servers[-1].url, servers[-1].pid
        else:
            url, pid = args.url.rstrip("/"), 0
            wait_url(f"{url}/readyz", args.ready_timeout)
        result = asyncio.run(soak(url, args.visitors, args.minutes * 60, args.fault_rate, bool(servers), pid))
    except StackFailed as exc:
        print(f"repchat soak: the stack did not come up: {exc}", file=sys.stderr)
        return 2
    finally:
        stop(servers)
    print(json.dumps(result, indent=2) if args.json else report(result))
    if not result["completed_messages"]:
        print("repchat soak: no message completed; nothing was measured", file=sys.stderr)
        return 1
    return 1 if result["lost_messages"] else 0
