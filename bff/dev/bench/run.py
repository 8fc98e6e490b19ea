"""Run the benchmark: up to five paths side by side against one upstream, one load client.

Paths: `direct` (the client talks to the emulator), `repchat` (through the
BFF), `nginx` (through nginx with buffering off, when nginx is installed: the
operator's baseline), `asgi` (a bare ASGI app on uvicorn that copies bytes:
the floor of any relay on repchat's server) and `naive` (through a minimal
Starlette + httpx relay).
Each server runs in its own processes on loopback, so their CPU seconds and
memory come from /proc (a server's whole process tree: nginx's master and
workers, uvicorn's supervisor and workers).

Pointed at an operator's own upstream (`--upstream URL --api-key KEY`), the
bench starts no emulator and measures repchat and nginx only.
"""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import urlsplit

import httpx

from ..processes import (
    HOST, Server, StackFailed, clean_env, process_tree, spawn, start_bff, start_emulator, stop, tree_cpu_seconds,
    tree_rss_kib, wait_ready,
)
from .client import Result, http_request, stream_once
from .nginx import find_nginx, start_nginx

ORIGIN = "http://bench.localhost"


@dataclass(frozen=True)
class Scenario:
    name: str
    streams: int
    tokens: int
    gap: float
    paths: tuple[str, ...] = ("direct", "repchat", "nginx", "asgi", "naive")
    memory: bool = False  # measure memory per held stream at the plateau
    stagger: bool = True  # spread the starts over one reply's length: a steady number of open streams
    note: str = ""


FULL = [
    Scenario("latency", 100, 300, 0.02, note="100 open streams, 20 ms per token: time to first token, CPU per token"),
    Scenario("load", 500, 150, 0.02, note="500 open streams, 20 ms per token (25,000 tokens/s offered)"),
    Scenario("throughput", 100, 400, 0.0, stagger=False,
             note="100 streams, no delay between tokens: the most each path relays"),
    Scenario("held", 5000, 15, 1.0, ("repchat", "nginx", "asgi", "naive"), memory=True,
             note="5,000 open streams, 1 token per second"),
    Scenario("burst", 2000, 20, 0.02, stagger=False, note="2,000 streams opened at once"),
]
QUICK = [
    Scenario("latency", 50, 100, 0.02, note="50 open streams, 20 ms per token"),
    Scenario("throughput", 40, 150, 0.0, stagger=False, note="40 streams, no delay between tokens"),
    Scenario("held", 300, 6, 1.0, ("repchat", "nginx", "asgi", "naive"), memory=True,
             note="300 open streams, 1 token per second"),
    Scenario("burst", 200, 10, 0.02, stagger=False, note="200 streams opened at once"),
]


@dataclass(frozen=True)
class Options:
    """What to measure: the scenarios, their figures, and whose upstream."""

    quick: bool = False
    scenarios: tuple[str, ...] = ()  # names from FULL (or QUICK); empty: all of them
    streams: int | None = None
    tokens: int | None = None
    gap: float | None = None
    upstream: str | None = None  # an operator's upstream instead of the emulator
    api_key: str = ""
    profile: str = "demo"
    workers: int = 1  # repchat's worker processes
    nginx: bool = True  # add the nginx path when nginx is installed

    @property
    def external(self) -> bool:
        return self.upstream is not None


def scenarios_for(options: Options) -> list[Scenario]:
    """The scenarios to run, with the operator's figures and only the paths this run has."""
    chosen = QUICK if options.quick else FULL
    if options.scenarios:
        known = {scenario.name: scenario for scenario in FULL}
        known.update({scenario.name: scenario for scenario in chosen})  # --quick's shorter forms where they exist
        unknown = [name for name in options.scenarios if name not in known]
        if unknown:
            raise ValueError(f"unknown scenario {', '.join(unknown)} (known: {', '.join(s.name for s in FULL)})")
        chosen = [known[name] for name in options.scenarios]
    out = []
    for original in chosen:
        scenario = replace(
            original,
            streams=options.streams or original.streams,
            tokens=options.tokens or original.tokens,
            gap=original.gap if options.gap is None else options.gap,
        )
        if scenario != original:
            how = "opened at once" if not scenario.stagger else "open"
            scenario = replace(scenario, note=f"{scenario.streams} streams {how}, {scenario.tokens} tokens "
                                              f"{scenario.gap * 1000:g} ms apart (your figures)")
        paths = tuple(path for path in scenario.paths
                      if not (options.external and path in ("direct", "asgi", "naive")))
        if "repchat" not in paths:
            paths = ("repchat", *paths)
        out.append(replace(scenario, paths=paths))
    return out


@dataclass
class Stack:
    """The servers of one run, by the path they serve: the emulator itself for `direct`."""

    key: str
    upstream: str
    profile: str = "demo"
    external: bool = False
    servers: dict[str, Server] = field(default_factory=dict)
    nginx_config: str = ""
    nginx_workers: int = 0
    scratch: list[str] = field(default_factory=list)  # temporary directories to remove at the end

    def pid(self, path: str) -> int:
        return self.servers[path].pid

    def port(self, path: str) -> int:
        return self.servers[path].port


def start_stack(options: Options, ready_timeout: float = 30.0) -> Stack:
    """The upstream (the emulator, unless the operator's), the BFF, nginx and the asgi and naive relays; all ready."""
    if options.external:
        assert options.upstream is not None
        stack = Stack(options.api_key, options.upstream.rstrip("/"), options.profile, external=True)
    else:
        key = secrets.token_urlsafe(16)
        stack = Stack(key, "", options.profile)
    try:
        if not stack.external:
            emulator = stack.servers["direct"] = start_emulator(stack.key)
            stack.upstream = emulator.url
        stack.servers["repchat"] = start_bff(
            stack.upstream, stack.key, workers=options.workers, secret_keys=secrets.token_urlsafe(32),
            allowed_origins=ORIGIN, rate_sessions_per_ip="", rate_messages_per_ip="", rate_messages_per_visitor="",
            max_streams="20000",
            # One load client on one address stands in for thousands of visitors.
            max_streams_per_address="0", max_connections="0",
            log_level="warning", access_log="false", profile_id=stack.profile,
        )
        binary = find_nginx() if options.nginx else None
        if binary:
            stack.nginx_workers = max(2, options.workers)
            server, stack.nginx_config, work = start_nginx(binary, stack.upstream, stack.nginx_workers)
            stack.servers["nginx"] = server
            stack.scratch.append(work)
        if not stack.external:
            stack.servers["asgi"] = spawn(
                "bare ASGI relay", ["bff.dev.bench.floor"], "/ready",
                env={**clean_env(), "FLOOR_UPSTREAM": stack.upstream, "FLOOR_API_KEY": stack.key},
            )
            stack.servers["naive"] = spawn(
                "naive relay", ["bff.dev.bench.naive"], "/ready",
                env={**clean_env(), "NAIVE_UPSTREAM": stack.upstream, "NAIVE_API_KEY": stack.key},
            )
        wait_ready(stack.servers.values(), ready_timeout)
    except BaseException:
        close_stack(stack)
        raise
    return stack


def close_stack(stack: Stack) -> None:
    stop(stack.servers.values())
    for work in stack.scratch:
        shutil.rmtree(work, ignore_errors=True)


def nginx_version(binary: str | None) -> str:
    if not binary:
        return ""
    run = subprocess.run([binary, "-v"], capture_output=True, text=True, timeout=10)
    return (run.stderr or run.stdout).strip().removeprefix("nginx version: ")


async def prepare(stack: Stack, path: str, count: int) -> list[str]:
    """One session per stream, and the raw request that streams its reply."""
    semaphore = asyncio.Semaphore(16)  # set-up is not measured: keep it gentle on a loaded machine
    # Idle connections are dropped well before uvicorn closes them (5 s), so a request never
    # races a server-side keep-alive close on a busy machine.
    limits = httpx.Limits(max_connections=64, keepalive_expiry=1.0)

    async with httpx.AsyncClient(limits=limits, timeout=30) as client:

        async def one(_: int) -> str:
            async with semaphore:
                if path == "repchat":
                    response = await client.post(f"{stack.servers['repchat'].url}/v1/session",
                                                 json={"site": "bench"}, headers={"Origin": ORIGIN})
                    if response.status_code != 201:
                        raise StackFailed(f"repchat refused a session ({response.status_code}): {response.text[:300]}")
                    return str(response.json()["token"])
                response = await client.post(f"{stack.upstream}/api/v1/chat/sessions",
                                             json={"profileId": stack.profile}, headers={"X-API-Key": stack.key})
                if response.status_code >= 300:
                    raise StackFailed(f"the upstream refused a session ({response.status_code}): {response.text[:300]}")
                data = response.json()
                return str(data.get("id") or data.get("sessionId") or data.get("session_id"))

        return list(await asyncio.gather(*(one(i) for i in range(count))))


def request_for(stack: Stack, path: str, credential: str, scenario: Scenario) -> bytes:
    # The emulator reads the reply's length and pace from a directive in the message;
    # an operator's upstream answers a plain question as it will.
    content = ("Tell me everything you can about the product, in detail." if stack.external
               else f"Tell me everything [[fault: words={scenario.tokens},gap={scenario.gap}]]")
    body = json.dumps({"content": content}).encode()
    if path == "repchat":
        return http_request(HOST, stack.port("repchat"), "/v1/messages", body,
                            {"Origin": ORIGIN, "Authorization": f"Bearer {credential}"})
    if path in ("asgi", "naive"):
        return http_request(HOST, stack.port(path), f"/relay/{credential}", body, {})
    # direct and nginx send the upstream's own request; nginx adds the upstream's path prefix itself.
    prefix = urlsplit(stack.upstream).path.rstrip("/") if path == "direct" else ""
    return http_request(HOST, stack.port(path), f"{prefix}/api/v1/chat/sessions/{credential}/messages", body,
                        {"X-API-Key": stack.key})


def markers(stack: Stack, path: str) -> tuple[bytes, bytes]:
    """What marks a token and the end of a reply in the bytes a path sends.

    The emulator's frames are known exactly. An operator's upstream may frame
    its events any documented way, so through nginx every `data:` line counts
    as a token (the final `done` included) and the end of the chunked body ends it.
    """
    if path == "repchat":
        return b"event: token", b"event: done"
    if stack.external:
        return b"data:", b"\r\n0\r\n\r\n"
    return b'"type": "token"', b'"type": "done"'


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else float("nan")


async def run_path(stack: Stack, path: str, scenario: Scenario, progress: Any) -> dict[str, Any]:
    credentials = await prepare(stack, path, scenario.streams)
    requests = [request_for(stack, path, credential, scenario) for credential in credentials]
    token_marker, done_marker = markers(stack, path)
    pids = process_tree(stack.pid(path))  # nginx's master and workers; uvicorn's supervisor and workers
    cpu_before, rss_before = tree_cpu_seconds(pids), tree_rss_kib(pids)
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
        rss_peak = tree_rss_kib(pids)
    while not all(task.done() for task in tasks):
        finished = sum(task.done() for task in tasks)
        progress(f"  {scenario.name:<10} {path:<8} {finished}/{len(tasks)} streams finished")
        await asyncio.sleep(0.5)
    results: list[Result] = [task.result() for task in tasks]
    elapsed = time.perf_counter() - started
    user_after, system_after = tree_cpu_seconds(pids)
    user, cpu = user_after - cpu_before[0], user_after + system_after - sum(cpu_before)
    tokens = sum(result.tokens for result in results)
    ttfts = [result.ttft * 1000 for result in results if result.ttft is not None]
    errors: dict[str, int] = {}
    for result in results:
        if result.ended != "done" or (result.tokens != scenario.tokens and not stack.external):
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
        row["cpu_user_share"] = round(user / cpu, 2) if cpu else None  # the rest is the kernel's
    else:
        row["emulator_cpu_us_per_token"] = round(cpu / max(tokens, 1) * 1e6, 1)
    if scenario.memory:
        row["kib_per_held_stream"] = round((rss_peak - rss_before) / scenario.streams, 1)
    return row


def summarise(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """What repchat adds over direct, and its ratios to nginx (the operator's baseline), the ASGI floor and naive."""
    by_path = {row["path"]: row for row in rows}
    summary: dict[str, Any] = {}
    direct = by_path.get("direct")
    for path in ("repchat", "nginx", "asgi", "naive"):
        if direct is not None and path in by_path:
            summary[f"{path}_added_ttft_ms_p50"] = round(by_path[path]["ttft_ms_p50"] - direct["ttft_ms_p50"], 2)
    repchat = by_path.get("repchat")
    if repchat is not None and direct is not None and direct["ttft_ms_p50"] > 0:
        summary["repchat_over_direct_ttft_ms_p50"] = round(repchat["ttft_ms_p50"] / direct["ttft_ms_p50"], 2)
    floor, nginx = by_path.get("asgi"), by_path.get("nginx")
    if floor is not None and nginx is not None:
        # How far above nginx a relay on uvicorn starts before it does any work.
        for key in ("cpu_us_per_token", "kib_per_held_stream"):
            if key in floor and nginx.get(key):
                summary[f"asgi_over_nginx_{key}"] = round(floor[key] / nginx[key], 2)
    for baseline in ("nginx", "asgi", "naive"):
        other = by_path.get(baseline)
        if repchat is None or other is None:
            continue
        for key in ("cpu_us_per_token", "kib_per_held_stream", "ttft_ms_p50"):
            if key in repchat and other.get(key):
                summary[f"repchat_over_{baseline}_{key}"] = round(repchat[key] / other[key], 2)
        if baseline == "nginx" and "repchat_added_ttft_ms_p50" in summary:
            # A ratio of two sub-millisecond differences is mostly noise: the difference says more.
            summary["repchat_minus_nginx_added_ttft_ms_p50"] = round(
                summary["repchat_added_ttft_ms_p50"] - summary["nginx_added_ttft_ms_p50"], 2)
    return summary


async def bench(stack: Stack, scenarios: list[Scenario], progress: Any) -> dict[str, Any]:
    try:
        report: dict[str, Any] = {"machine": machine(), "scenarios": []}
        for scenario in scenarios:
            rows = []
            for path in scenario.paths:
                if path not in stack.servers:
                    continue  # nginx is not installed, or an operator's upstream has no direct, asgi or naive path
                rows.append(await run_path(stack, path, scenario, progress))
                await asyncio.sleep(1)  # let each process settle between runs
            report["scenarios"].append({
                "name": scenario.name, "note": scenario.note, "streams": scenario.streams, "tokens": scenario.tokens,
                "gap": scenario.gap, "rows": rows, "summary": summarise(rows),
            })
        return report
    finally:
        close_stack(stack)


def machine() -> dict[str, Any]:
    model = ""
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            model = next((line.split(":", 1)[1].strip() for line in cpuinfo if line.startswith("model name")), "")
    except OSError:
        pass
    load = " ".join(f"{value:.1f}" for value in os.getloadavg())
    return {"cores": os.cpu_count(), "cpu": model, "python": sys.version.split()[0], "load": load}


def render(report: dict[str, Any]) -> str:
    machine = report["machine"]
    lines = [f"machine: {machine['cores']} cores, {machine['cpu']}, Python {machine['python']}, "
             f"load average {machine.get('load', '?')} at the start"]
    setup = report.get("setup", {})
    if setup:
        lines.append(f"upstream: {setup['upstream']}; repchat workers: {setup['workers']}"
                     + (f"; nginx {setup['nginx_version']}, {setup['nginx_workers']} workers" if setup.get("nginx") else
                        "; nginx not installed: no nginx path"))
    for scenario in report["scenarios"]:
        lines.append(f"\n{scenario['name']}: {scenario['note']}")
        lines.append(f"  {'path':<8} {'tokens/s':>9} {'TTFT p50':>9} {'p95':>8} {'p99':>8} {'CPU us/tok (user)':>18} "
                     f"{'KiB/stream':>11}  errors")
        for row in scenario["rows"]:
            cpu = row.get("cpu_us_per_token", "")
            if row.get("cpu_user_share") is not None:
                cpu = f"{cpu} ({row['cpu_user_share']:.0%})"
            memory = row.get("kib_per_held_stream", "")
            errors = ", ".join(f"{n} {kind}" for kind, n in row["errors"].items()) or "none"
            lines.append(
                f"  {row['path']:<8} {row['tokens_per_second']:>9} {row['ttft_ms_p50']:>8}ms {row['ttft_ms_p95']:>7}ms "
                f"{row['ttft_ms_p99']:>7}ms {cpu!s:>18} {memory!s:>11}  {errors}"
            )
        for key, value in scenario["summary"].items():
            lines.append(f"  {key.replace('_', ' ')}: {value}")
    if setup.get("nginx"):
        lines.append("\nnginx configuration (generated for this run):")
        lines.extend("  " + line for line in setup["nginx_config"].rstrip().splitlines())
    return "\n".join(lines)


def main(options: Options, as_json: bool, ready_timeout: float = 30.0) -> int:
    def progress(text: str) -> None:
        if sys.stderr.isatty():
            print(f"\r{text:<70}", end="", file=sys.stderr, flush=True)

    try:
        scenarios = scenarios_for(options)
    except ValueError as exc:
        print(f"repchat bench: {exc}", file=sys.stderr)
        return 2
    started = time.monotonic()
    try:
        stack = start_stack(options, ready_timeout)
    except StackFailed as exc:
        print(f"repchat bench: the stack did not come up: {exc}", file=sys.stderr)
        return 2
    setup = {
        "upstream": stack.upstream if stack.external else "the emulator (started by the bench)",
        "workers": options.workers,
        "nginx": "nginx" in stack.servers,
        "nginx_version": nginx_version(find_nginx()) if "nginx" in stack.servers else "",
        "nginx_workers": stack.nginx_workers,
        "nginx_config": stack.nginx_config,
    }
    try:
        report = asyncio.run(bench(stack, scenarios, progress))
    except StackFailed as exc:
        print(f"repchat bench: {exc}", file=sys.stderr)
        return 2
    report["setup"] = setup
    report["wall_seconds"] = round(time.monotonic() - started, 1)
    if sys.stderr.isatty():
        print("\r" + " " * 70 + "\r", end="", file=sys.stderr)
    print(json.dumps(report, indent=2) if as_json else render(report))
    # The exit status speaks for repchat; the other paths' errors are part of the comparison,
    # but a path that relayed nothing at all means the figures compare nothing.
    rows = [row for scenario in report["scenarios"] for row in scenario["rows"]]
    empty = [f"{scenario['name']}/{row['path']}" for scenario in report["scenarios"] for row in scenario["rows"]
             if not row["completed"]]
    if empty:
        print(f"repchat bench: no reply completed on {', '.join(empty)}", file=sys.stderr)
        return 1
    return 1 if any(sum(row["errors"].values()) for row in rows if row["path"] == "repchat") else 0
