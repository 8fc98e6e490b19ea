"""Run the benchmark: three paths side by side against one emulator, one load client.

Paths: `direct` (the client talks to the emulator), `repchat` (through the
BFF), `naive` (through a minimal Starlette + httpx relay). The emulator, the
BFF and the naive relay each run in their own process on loopback, so their
CPU seconds and memory come from /proc.
"""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import sys
import time
from dataclasses import dataclass, field
from typing import Any

import httpx

from ..processes import (
    HOST, Server, StackFailed, clean_env, cpu_seconds, rss_kib, spawn, start_bff, start_emulator, stop, wait_ready,
)
from .client import Result, http_request, stream_once

ORIGIN = "http://bench.localhost"


@dataclass(frozen=True)
class Scenario:
    name: str
    streams: int
    tokens: int
    gap: float
    paths: tuple[str, ...] = ("direct", "repchat", "naive")
    memory: bool = False  # measure memory per held stream at the plateau
    stagger: bool = True  # spread the starts over one reply's length: a steady number of open streams
    note: str = ""


FULL = [
    Scenario("latency", 100, 300, 0.02, note="100 open streams, 20 ms per token: time to first token, CPU per token"),
    Scenario("load", 500, 150, 0.02, note="500 open streams, 20 ms per token (25,000 tokens/s offered)"),
    Scenario("throughput", 100, 400, 0.0, stagger=False,
             note="100 streams, no delay between tokens: the most each path relays"),
    Scenario("held", 5000, 15, 1.0, ("repchat", "naive"), memory=True,
             note="5,000 open streams, 1 token per second"),
    Scenario("burst", 2000, 20, 0.02, stagger=False, note="2,000 streams opened at once"),
]
QUICK = [
    Scenario("latency", 50, 100, 0.02, note="50 open streams, 20 ms per token"),
    Scenario("throughput", 40, 150, 0.0, stagger=False, note="40 streams, no delay between tokens"),
    Scenario("held", 300, 6, 1.0, ("repchat", "naive"), memory=True, note="300 open streams, 1 token per second"),
    Scenario("burst", 200, 10, 0.02, stagger=False, note="200 streams opened at once"),
]


@dataclass
class Stack:
    """The servers of one run, by the path they serve: the emulator itself for `direct`."""

    key: str
    servers: dict[str, Server] = field(default_factory=dict)

    def pid(self, path: str) -> int:
        return self.servers[path].pid

    def port(self, path: str) -> int:
        return self.servers[path].port


def start_stack(ready_timeout: float = 30.0) -> Stack:
    """The emulator, the BFF and the naive relay, each in its own process, and wait until all are ready."""
    stack = Stack(secrets.token_urlsafe(16))
    try:
        emulator = stack.servers["direct"] = start_emulator(stack.key)
        stack.servers["repchat"] = start_bff(
            emulator, stack.key, secret_keys=secrets.token_urlsafe(32), profile_id="demo", allowed_origins=ORIGIN,
            rate_sessions_per_ip="", rate_messages_per_ip="", rate_messages_per_visitor="", max_streams="20000",
            # One load client on one address stands in for thousands of visitors.
            max_streams_per_address="0", max_connections="0",
            log_level="warning", access_log="false",
        )
        stack.servers["naive"] = spawn(
            "naive relay", ["bff.dev.bench.naive"], "/ready",
            env={**clean_env(), "NAIVE_UPSTREAM": emulator.url, "NAIVE_API_KEY": stack.key},
        )
        wait_ready(stack.servers.values(), ready_timeout)
    except BaseException:
        stop(stack.servers.values())
        raise
    return stack


async def prepare(stack: Stack, path: str, count: int) -> list[str]:
    """One session per stream, and the raw request that streams its reply."""
    semaphore = asyncio.Semaphore(64)
    limits = httpx.Limits(max_connections=64)

    async with httpx.AsyncClient(limits=limits, timeout=30) as client:

        async def one(_: int) -> str:
            async with semaphore:
                if path == "repchat":
                    response = await client.post(f"{stack.servers['repchat'].url}/v1/session",
                                                 json={"site": "bench"}, headers={"Origin": ORIGIN})
                    return str(response.json()["token"])
                response = await client.post(f"{stack.servers['direct'].url}/api/v1/chat/sessions",
                                             json={"profileId": "demo"}, headers={"X-API-Key": stack.key})
                return str(response.json()["id"])

        return list(await asyncio.gather(*(one(i) for i in range(count))))


def request_for(stack: Stack, path: str, credential: str, scenario: Scenario) -> bytes:
    body = json.dumps({"content": f"Tell me everything [[fault: words={scenario.tokens},gap={scenario.gap}]]"}).encode()
    if path == "repchat":
        return http_request(HOST, stack.port("repchat"), "/v1/messages", body,
                            {"Origin": ORIGIN, "Authorization": f"Bearer {credential}"})
    if path == "naive":
        return http_request(HOST, stack.port("naive"), f"/relay/{credential}", body, {})
    return http_request(HOST, stack.port("direct"), f"/api/v1/chat/sessions/{credential}/messages", body,
                        {"X-API-Key": stack.key})


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else float("nan")


async def run_path(stack: Stack, path: str, scenario: Scenario, progress: Any) -> dict[str, Any]:
    credentials = await prepare(stack, path, scenario.streams)
    requests = [request_for(stack, path, credential, scenario) for credential in credentials]
    token_marker, done_marker = (
        (b"event: token", b"event: done") if path == "repchat" else (b'"type": "token"', b'"type": "done"')
    )
    pid = stack.pid(path)
    cpu_before, rss_before = cpu_seconds(pid), rss_kib(pid)
    timeout = scenario.tokens * scenario.gap + 60
    started = time.perf_counter()
    # Staggered starts keep a steady number of streams open, as real visitors do;
    # otherwise every stream starts at once (the burst).
    spread = scenario.tokens * scenario.gap / scenario.streams if scenario.stagger else 0.0

    async def start(index: int, request: bytes) -> Result:
        await asyncio.sleep(index * spread)
        return await stream_once(HOST, stack.port(path), request, token_marker, done_marker, timeout)

    tasks = [asyncio.ensure_future(start(index, request)) for index, request in enumerate(requests)]
    rss_peak = rss_before
    if scenario.memory:
        # Hold: sample memory once every stream is open, before the first ones end.
        await asyncio.sleep(scenario.tokens * scenario.gap * 0.8 if not scenario.stagger else scenario.streams * spread + 1)
        rss_peak = rss_kib(pid)
    while not all(task.done() for task in tasks):
        finished = sum(task.done() for task in tasks)
        progress(f"  {scenario.name:<10} {path:<8} {finished}/{len(tasks)} streams finished")
        await asyncio.sleep(0.5)
    results: list[Result] = [task.result() for task in tasks]
    elapsed = time.perf_counter() - started
    cpu = cpu_seconds(pid) - cpu_before
    tokens = sum(result.tokens for result in results)
    ttfts = [result.ttft * 1000 for result in results if result.ttft is not None]
    errors: dict[str, int] = {}
    for result in results:
        if result.ended != "done" or result.tokens != scenario.tokens:
            kind = f"{result.ended} (status {result.status}, {result.tokens} tokens)" if result.ended != "done" else "short reply"
            errors[kind] = errors.get(kind, 0) + 1
    row: dict[str, Any] = {
        "path": path,
        "streams": scenario.streams,
        "tokens": tokens,
        "completed": sum(result.ended == "done" for result in results),
        "seconds": round(elapsed, 2),
        "tokens_per_second": round(tokens / elapsed),
        "ttft_ms_p50": round(percentile(ttfts, 0.5), 2),
        "ttft_ms_p95": round(percentile(ttfts, 0.95), 2),
        "ttft_ms_p99": round(percentile(ttfts, 0.99), 2),
        "errors": errors,
    }
    if path != "direct":
        row["cpu_us_per_token"] = round(cpu / max(tokens, 1) * 1e6, 1)
        row["cpu_s_per_1000_tokens"] = round(cpu / max(tokens, 1) * 1000, 4)
    else:
        row["emulator_cpu_us_per_token"] = round(cpu / max(tokens, 1) * 1e6, 1)
    if scenario.memory:
        row["kib_per_held_stream"] = round((rss_peak - rss_before) / scenario.streams, 1)
    return row


def summarise(rows: list[dict[str, Any]]) -> dict[str, Any]:
    by_path = {row["path"]: row for row in rows}
    summary: dict[str, Any] = {}
    if "direct" in by_path and "repchat" in by_path:
        summary["repchat_added_ttft_ms_p50"] = round(by_path["repchat"]["ttft_ms_p50"] - by_path["direct"]["ttft_ms_p50"], 2)
    if "direct" in by_path and "naive" in by_path:
        summary["naive_added_ttft_ms_p50"] = round(by_path["naive"]["ttft_ms_p50"] - by_path["direct"]["ttft_ms_p50"], 2)
    if "repchat" in by_path and "naive" in by_path:
        for key in ("cpu_us_per_token", "kib_per_held_stream", "ttft_ms_p50"):
            if key in by_path["repchat"] and by_path["naive"].get(key):
                summary[f"repchat_over_naive_{key}"] = round(by_path["repchat"][key] / by_path["naive"][key], 2)
    return summary


async def bench(stack: Stack, scenarios: list[Scenario], progress: Any) -> dict[str, Any]:
    try:
        report: dict[str, Any] = {"machine": machine(), "scenarios": []}
        for scenario in scenarios:
            rows = []
            for path in scenario.paths:
                rows.append(await run_path(stack, path, scenario, progress))
                await asyncio.sleep(1)  # let each process settle between runs
            report["scenarios"].append({"name": scenario.name, "note": scenario.note, "rows": rows, "summary": summarise(rows)})
        return report
    finally:
        stop(stack.servers.values())


def machine() -> dict[str, Any]:
    model = ""
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            model = next((line.split(":", 1)[1].strip() for line in cpuinfo if line.startswith("model name")), "")
    except OSError:
        pass
    return {"cores": os.cpu_count(), "cpu": model, "python": sys.version.split()[0]}


def render(report: dict[str, Any]) -> str:
    lines = [f"machine: {report['machine']['cores']} cores, {report['machine']['cpu']}, Python {report['machine']['python']}"]
    for scenario in report["scenarios"]:
        lines.append(f"\n{scenario['name']}: {scenario['note']}")
        lines.append(f"  {'path':<8} {'tokens/s':>9} {'TTFT p50':>9} {'p95':>8} {'p99':>8} {'CPU us/tok':>11} {'KiB/stream':>11}  errors")
        for row in scenario["rows"]:
            cpu = row.get("cpu_us_per_token", "")
            memory = row.get("kib_per_held_stream", "")
            errors = ", ".join(f"{n} {kind}" for kind, n in row["errors"].items()) or "none"
            lines.append(
                f"  {row['path']:<8} {row['tokens_per_second']:>9} {row['ttft_ms_p50']:>8}ms {row['ttft_ms_p95']:>7}ms "
                f"{row['ttft_ms_p99']:>7}ms {cpu!s:>11} {memory!s:>11}  {errors}"
            )
        for key, value in scenario["summary"].items():
            lines.append(f"  {key.replace('_', ' ')}: {value}")
    return "\n".join(lines)


def main(quick: bool, as_json: bool, ready_timeout: float = 30.0) -> int:
    def progress(text: str) -> None:
        if sys.stderr.isatty():
            print(f"\r{text:<70}", end="", file=sys.stderr, flush=True)

    started = time.monotonic()
    try:
        stack = start_stack(ready_timeout)
    except StackFailed as exc:
        print(f"repchat bench: the stack did not come up: {exc}", file=sys.stderr)
        return 2
    report = asyncio.run(bench(stack, QUICK if quick else FULL, progress))
    report["wall_seconds"] = round(time.monotonic() - started, 1)
    if sys.stderr.isatty():
        print("\r" + " " * 70 + "\r", end="", file=sys.stderr)
    print(json.dumps(report, indent=2) if as_json else render(report))
    # The exit status speaks for repchat; the naive relay's errors are part of the comparison,
    # but a path that relayed nothing at all means the figures compare nothing.
    rows = [row for scenario in report["scenarios"] for row in scenario["rows"]]
    empty = [f"{scenario['name']}/{row['path']}" for scenario in report["scenarios"] for row in scenario["rows"]
             if not row["completed"]]
    if empty:
        print(f"repchat bench: no reply completed on {', '.join(empty)}", file=sys.stderr)
        return 1
    return 1 if any(sum(row["errors"].values()) for row in rows if row["path"] == "repchat") else 0
