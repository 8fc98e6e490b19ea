"""No blocking work on the event loop: QR codes render while replies keep their pace.

A maximum-size QR PNG costs about a tenth of a second of CPU. Rendered
inside the async handler, six clients asking for codes stalled every reply
the worker relayed (tokens bunched up behind renders); in a thread they
still took the GIL from the loop in slices. Now codes render in a process
of their own, cached by their normalised options, and limited per address.
"""

from __future__ import annotations

import multiprocessing
import time
from typing import Any

import httpx
from httpx_sse import connect_sse

from bff.qr import landing_url, options_from, render

from ..processes import ORIGIN, bff_process, emulator_process

BIG = {"scale": "40", "ecl": "H", "border": "16"}


def token_gaps(url: str) -> list[float]:
    """Seconds between the tokens of one reply (the emulator sends one every 20 ms)."""
    with httpx.Client(timeout=30, headers={"Origin": ORIGIN}) as client:
        token = client.post(f"{url}/v1/session", json={}).json()["token"]
        body = {"content": "Tell me everything about pricing [[fault: words=150]]"}
        stamps = []
        with connect_sse(client, "POST", f"{url}/v1/messages", json=body,
                         headers={"Authorization": f"Bearer {token}"}) as source:
            for event in source.iter_sse():
                if event.event == "token":
                    stamps.append(time.monotonic())
    return [later - earlier for earlier, later in zip(stamps[5:], stamps[6:])]


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def figures(gaps: list[float]) -> str:
    return " / ".join(f"{percentile(gaps, share) * 1000:.0f}" for share in (0.5, 0.9, 0.99, 1.0)) + " ms"


def hammer(url: str, stop: Any, served: Any, worker: int) -> None:
    """Ask for maximum-size codes, each with a new campaign so none comes from the cache.

    Each client is a process of its own, so the test's reader of the reply never waits for their GIL.
    """
    with httpx.Client(timeout=30) as client:
        n = 0
        while not stop.is_set():
            n += 1
            response = client.get(f"{url}/r/maya/qr.png", params={**BIG, "c": f"w{worker}-{n}-" + "x" * 50})
            if response.status_code != 200:
                return
            with served.get_lock():
                served.value += 1


def test_qr_rendering_keeps_a_replys_token_gaps_steady():
    options = options_from({**BIG, "c": "x" * 60})
    started = time.process_time()
    render(landing_url("http://bff.test", "maya", "x" * 60), options, "png")
    one_render = time.process_time() - started
    with emulator_process(gap=0.02) as upstream, bff_process(upstream, public_url="http://bff.test", demo_site="true",
                                                             rate_qr_per_ip="") as (url, _):
        quiet = token_gaps(url)
        spawn = multiprocessing.get_context("spawn")
        stop, served = spawn.Event(), spawn.Value("i", 0)
        workers = [spawn.Process(target=hammer, args=(url, stop, served, n)) for n in range(6)]
        for worker in workers:
            worker.start()
        try:
            while served.value < 6:  # the codes are being rendered
                assert all(worker.is_alive() for worker in workers), "a QR client failed"
                time.sleep(0.01)
            before = served.value
            loaded = token_gaps(url)
            rendered_meanwhile = served.value - before
        finally:
            stop.set()
            for worker in workers:
                worker.join(30)
    # A steady gap is near the emulator's 20 ms: not bunched up behind a render (0 ms), nor held for one.
    steady = lambda gaps: sum(0.005 < gap < 0.02 + one_render for gap in gaps) / len(gaps)  # noqa: E731
    print(f"one maximum QR: {one_render * 1000:.0f} ms CPU; {rendered_meanwhile} codes rendered meanwhile; "
          f"token gaps p50/p90/p99/max, quiet: {figures(quiet)}, {steady(quiet):.0%} steady; "
          f"loaded: {figures(loaded)}, {steady(loaded):.0%} steady")
    assert rendered_meanwhile >= 6  # codes were being drawn throughout the reply (more when the machine is idle)
    # Measured here: renders on the loop bunch tokens up (median gap 0 ms, 0 % steady, gaps up to
    # 0.8 s); off the loop the reply keeps its pace (median 20 ms, 100 % steady, as when quiet).
    assert percentile(loaded, 0.5) >= 0.01
    assert steady(loaded) >= steady(quiet) - 0.2


def test_codes_are_cached_by_their_normalised_options_and_limited_per_address():
    with emulator_process() as upstream, bff_process(upstream, public_url="http://bff.test", demo_site="true",
                                                     rate_qr_per_ip="5/minute") as (url, _):
        with httpx.Client(base_url=url) as client:
            first = client.get("/r/maya/qr.svg", params={"dark": "#ABC", "c": "booth"})
            same = client.get("/r/maya/qr.svg", params={"dark": "#aabbcc", "c": "booth"})
            assert first.status_code == same.status_code == 200 and first.content == same.content
            statuses = [client.get("/r/maya/qr.png", params={"c": f"c{n}"}).status_code for n in range(3)]
            statuses.append(client.get("/r/maya/poster").status_code)
            assert statuses == [200, 200, 200, 429]
            assert client.get("/r/maya/qr.png").json()["error"]["code"] == "rate_limited"
