"""Chaos: processes that die, freeze or lose Redis while replies stream, and what browsers receive.

Real processes throughout: two `repchat serve` on one redis-server, the
emulator in its own process streaming a long reply slowly, nginx in front
where the case needs it. Each case reads the browser-side streams event by
event and checks every id (no frame repeated or skipped), how each stream
ended (`done` or `error`, never silence), and that it ended within its bound.
Waits are on events and readiness, bounded by deadlines that fail the test.

The short form runs in the default test run (liveness window 2 s, one
visitor per role). `REPCHAT_CHAOS=long` runs the long form: the default
liveness window (5 s), longer replies and eight visitors per role.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import redis

from bff.dev.processes import Server, wait_ready
from bff.stream.mirror import frames_key

from .processes import ORIGIN, RedisServer, bff_pair, emulator_process, journal, nginx_proxy
from .sse_client import Event, parse, stream_events, text_of

LONG = os.environ.get("REPCHAT_CHAOS") == "long"
WINDOW = 5.0 if LONG else 2.0  # REPCHAT_LIVENESS_WINDOW
VISITORS = 8 if LONG else 1  # visitors per role in each case
WORDS = 240 if LONG else 80
QUESTION = f"What does it cost? [[fault: words={WORDS}, gap=0.05]]"
NOTICED = 1.5 * WINDOW + 2.0  # a follower ends a dead producer's reply within this (the short form: 5 s)
READ = 30.0  # the longest any single stream may take here


def wait_until(check: Callable[[], Any], timeout: float, what: str) -> Any:
    """Poll `check` until it returns something true; fail the test after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        found = check()
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout:.1f} s: {what}")
        time.sleep(0.02)


def seq(event: Event) -> int:
    return int(event.id.rsplit(".", 1)[1])


class Stream(threading.Thread):
    """One browser-side event stream, read in the background: every event as it arrives, and how it ended.

    `outcome`: the last event's name (`done`, `error`), `closed` (the stream
    ended without either: the bug this suite hunts), `broken` (the connection
    failed), `dropped` (this reader let go after `drop_after` tokens, like a
    network change), or `http <status>` for a refused request.
    """

    def __init__(self, url: str, token: str, *, content: str | None = None, last_id: str = "",
                 drop_after: int = 0) -> None:
        super().__init__(daemon=True)
        self.url, self.token, self.content, self.last_id, self.drop_after = url, token, content, last_id, drop_after
        self.events: list[Event] = []
        self.outcome = ""
        self.body: Any = None
        self.started_at = 0.0
        self.ended_at = 0.0
        self.changed = threading.Condition()

    def run(self) -> None:
        headers = {"Origin": ORIGIN, "Authorization": f"Bearer {self.token}"}
        if self.last_id:
            headers["Last-Event-ID"] = self.last_id
        self.started_at = time.monotonic()
        try:
            with httpx.Client(timeout=READ, verify=False) as client, client.stream(
                "POST", f"{self.url}/v1/messages", headers=headers,
                json={"content": self.content} if self.content else None,
            ) as response:
                if response.status_code != 200:
                    self.body = response.read() and response.json()
                    self.outcome = f"http {response.status_code}"
                    return
                for event in stream_events(response):
                    with self.changed:
                        self.events.append(event)
                        self.changed.notify_all()
                    if self.drop_after and len(self.tokens) >= self.drop_after:
                        self.outcome = "dropped"
                        return
            last = self.events[-1].name if self.events else ""
            self.outcome = last if last in ("done", "error") else "closed"
        except httpx.TransportError:
            self.outcome = "broken"
        finally:
            self.ended_at = time.monotonic()
            with self.changed:
                self.changed.notify_all()

    @property
    def tokens(self) -> list[Event]:
        return [event for event in self.events if event.name == "token"]

    @property
    def last_event_id(self) -> str:
        return self.events[-1].id if self.events else self.last_id

    def wait_tokens(self, count: int, timeout: float = READ) -> None:
        with self.changed:
            if not self.changed.wait_for(lambda: len(self.tokens) >= count or bool(self.outcome), timeout):
                raise AssertionError(f"fewer than {count} tokens after {timeout:.0f} s")
        assert len(self.tokens) >= count, f"the stream ended ({self.outcome}) after {len(self.tokens)} tokens"

    def finish(self, timeout: float = READ) -> Stream:
        self.join(timeout)
        assert not self.is_alive(), f"the stream still runs after {timeout:.1f} s (outcome so far: {self.outcome!r})"
        return self

    @property
    def error(self) -> dict[str, Any]:
        assert self.outcome == "error", f"the stream ended with {self.outcome}, not an error"
        data: dict[str, Any] = self.events[-1].data
        return data

    @property
    def stream_id(self) -> str:
        return (self.events[0].id if self.events else self.last_id).rsplit(".", 1)[0]


def started(url: str, token: str, **options: Any) -> Stream:
    stream = Stream(url, token, **options)
    stream.start()
    return stream


def assert_in_order(*parts: Stream, start: int = 1) -> list[Event]:
    """The events of one reply read over several connections: ids count up by one, nothing twice or skipped."""
    events = [event for part in parts for event in part.events]
    seqs = [seq(event) for event in events]
    assert seqs == list(range(start, start + len(seqs))), f"ids out of order: {seqs}"
    assert len({event.id.rsplit('.', 1)[0] for event in events}) <= 1, "one reply"
    return events


def assert_complete(*parts: Stream) -> None:
    """A whole reply: in order from the first frame, ending with `done` whose text is every token's."""
    events = assert_in_order(*parts)
    assert events[-1].name == "done", f"ended with {events[-1].name}"
    assert text_of(events) == events[-1].data["message"]["content"]


def assert_interrupted(stream: Stream) -> None:
    assert stream.error["code"] == "interrupted" and stream.error["retryable"] is True, stream.error


def session(url: str) -> str:
    with httpx.Client(verify=False, timeout=READ) as client:
        response = client.post(f"{url}/v1/session", json={}, headers={"Origin": ORIGIN})
    assert response.status_code == 201, response.text
    token: str = response.json()["token"]
    return token


def mirrored(client: redis.Redis, stream_id: str) -> list[tuple[int, bytes]]:
    """The (seq, frame) entries of a reply's mirror in Redis, in order."""
    return [(int(fields[b"s"]), fields[b"f"]) for _, fields in client.xrange(frames_key(stream_id)) if b"s" in fields]


@dataclass
class Cluster:
    redis: RedisServer
    emulator: str
    client: redis.Redis

    def pair(self) -> AbstractContextManager[tuple[Server, Server]]:
        """Two `repchat serve` processes on this Redis and emulator."""
        return bff_pair(self.emulator, self.redis.url, liveness_window=str(WINDOW), resume_grace="20")

    def producing(self, producer: Server, count: int, drop_after: int = 3) -> list[tuple[str, Stream]]:
        """`count` visitors whose replies `producer` makes, each dropped after `drop_after` tokens."""
        tokens = [session(producer.url) for _ in range(count)]
        streams = [(token, started(producer.url, token, content=QUESTION, drop_after=drop_after)) for token in tokens]
        for _, stream in streams:
            assert stream.finish().outcome == "dropped"
        return streams

    def attached_and_following(self, producer: Server, follower: Server) -> tuple[
            list[Stream], list[tuple[str, Stream]], list[Stream]]:
        """Replies `producer` makes: some read on it, some dropped there and now followed live on `follower`."""
        attached = [started(producer.url, session(producer.url), content=QUESTION) for _ in range(VISITORS)]
        for stream in attached:
            stream.wait_tokens(3)
        dropped = self.producing(producer, VISITORS)
        following = [started(follower.url, token, last_id=stream.last_event_id) for token, stream in dropped]
        for stream in following:
            stream.wait_tokens(1)
        return attached, dropped, following

    def mirror_holds(self, stream: Stream, frames: int) -> None:
        wait_until(lambda: len(mirrored(self.client, stream.stream_id)) >= frames, READ,
                   f"the mirror of {stream.stream_id} holds {frames} frames")


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    server = RedisServer()
    server.start()
    try:
        with emulator_process() as emulator:
            client = redis.Redis.from_url(server.url, socket_timeout=5)
            yield Cluster(server, emulator, client)
            client.close()
    finally:
        server.kill()


def test_a_killed_producer_s_reply_ends_with_interrupted_after_the_mirrored_tokens(cluster):
    with cluster.pair() as (a, b):
        dropped = cluster.producing(a, VISITORS)
        for _, stream in dropped:
            cluster.mirror_holds(stream, len(stream.events) + 5)  # A went on after the browser left
        a.process.send_signal(signal.SIGKILL)
        a.process.wait(10)
        resumed = [started(b.url, token, last_id=stream.last_event_id) for token, stream in dropped]
        for (_, first), rest in zip(dropped, resumed):
            rest.finish(NOTICED)
            assert rest.ended_at - rest.started_at < NOTICED
            assert_interrupted(rest)
            assert_in_order(first, rest)
            # Token by token, the follower sent what the dead process had mirrored after the browser's last id.
            after = seq(first.events[-1])
            expected = [frame for number, frame in mirrored(cluster.client, first.stream_id) if number > after]
            assert [event for event in rest.events[:-1]] == parse(b"".join(expected))
            assert len(rest.tokens) >= 5
        # The visitor retries on the surviving process and gets a whole reply.
        retry = started(b.url, dropped[0][0], content="Is there a free trial?").finish()
        assert_complete(retry)


def test_a_killed_follower_leaves_the_producer_serving_everyone(cluster):
    with cluster.pair() as (a, b):
        start = len(journal(cluster.emulator))
        attached = [started(a.url, session(a.url), content=QUESTION) for _ in range(VISITORS)]
        dropped = cluster.producing(a, VISITORS)
        following = [started(b.url, token, last_id=stream.last_event_id) for token, stream in dropped]
        for stream in following:
            stream.wait_tokens(2)  # following live through Redis
        b.process.send_signal(signal.SIGKILL)
        b.process.wait(10)
        for stream in following:
            assert stream.finish(5).outcome == "broken"
        # Each follower's visitor reconnects to the producer and gets the rest of the same reply.
        for (token, first), cut in zip(dropped, following):
            rest = started(a.url, token, last_id=cut.last_event_id).finish()
            assert_complete(first, cut, rest)
        for stream in attached:
            assert_complete(stream.finish())
        outcomes = [entry["outcome"] for entry in journal(cluster.emulator)[start:] if entry["kind"] == "message"]
        assert outcomes == ["completed"] * (2 * VISITORS), "no reply was cut short upstream"


def test_a_frozen_producer_is_given_up_by_followers_and_duplicates_nothing_when_it_thaws(cluster):
    with cluster.pair() as (a, b):
        start = len(journal(cluster.emulator))
        attached, dropped, following = cluster.attached_and_following(a, b)
        os.kill(a.pid, signal.SIGSTOP)
        try:
            frozen_at = time.monotonic()
            for (_, first), stream in zip(dropped, following):
                stream.finish(NOTICED + 1)
                assert stream.ended_at - frozen_at < NOTICED, "noticed within the liveness window"
                assert_interrupted(stream)
                assert_in_order(first, stream)
            assert all(stream.is_alive() for stream in attached), "the producer's own readers wait for it"
        finally:
            os.kill(a.pid, signal.SIGCONT)
        # Thawed: its own readers get the rest of their replies, each frame once, here and in the mirror.
        for stream in attached:
            assert_complete(stream.finish())
            # The mirror is written every 50 ms: wait for its last entry. A write that timed out while the
            # process was frozen ends it with `lost` (followers then end with interrupted) instead of `end`.
            last = wait_until(lambda: [key for _, fields in cluster.client.xrange(frames_key(stream.stream_id))
                                       for key in fields if key in (b"end", b"lost")], 5, "the mirror's end")
            numbers = [number for number, _ in mirrored(cluster.client, stream.stream_id)]
            assert numbers == list(range(1, len(numbers) + 1)), "each frame once, in order"
            if last == [b"end"]:
                assert numbers == [seq(event) for event in stream.events]
            else:
                assert len(numbers) <= len(stream.events)
        # The replies followers gave up on are stopped upstream, not generated for nobody.
        def outcomes() -> list[str]:
            return sorted(entry["outcome"] for entry in journal(cluster.emulator)[start:] if entry["kind"] == "message")

        wait_until(lambda: outcomes() == sorted(["cancelled"] * VISITORS + ["completed"] * VISITORS), 10,
                   "the given-up replies cancelled upstream, the others completed")


def test_a_producer_that_loses_its_upstream_tells_its_followers(cluster):
    with cluster.pair() as (a, b):
        token = session(a.url)
        first = started(a.url, token, content="What does it cost? [[fault: words=80, gap=0.05, drop-after=20]]",
                        drop_after=3).finish()
        rest = started(b.url, token, last_id=first.last_event_id).finish(READ)
        assert_interrupted(rest)
        assert_in_order(first, rest)
        assert len(first.tokens + rest.tokens) == 20
        assert a.process.poll() is None


def test_a_redis_restart_mid_reply(cluster):
    with cluster.pair() as (a, b):
        attached, dropped, following = cluster.attached_and_following(a, b)
        cluster.redis.kill()
        try:
            down_at = time.monotonic()
            seen = [len(stream.tokens) for stream in attached]
            # Followers cannot reach Redis: a clear `interrupted` within the window, not a hang.
            for (_, first), stream in zip(dropped, following):
                stream.finish(NOTICED + 1)
                assert stream.ended_at - down_at < NOTICED
                assert_interrupted(stream)
                assert_in_order(first, stream)
            # The producer's own readers go on to the end with Redis still down.
            for stream, count in zip(attached, seen):
                assert_complete(stream.finish())
                assert len(stream.tokens) > count
            # A resume that needs Redis is refused at once, with a code the widget shows.
            refused = started(b.url, dropped[0][0], last_id=dropped[0][1].last_event_id).finish(5)
            assert refused.outcome == "http 410" and refused.body["error"]["code"] == "stream_gone"
        finally:
            cluster.redis.start()
        # Redis is back: readiness says so, and new replies are mirrored and resumable elsewhere again.
        for server in (a, b):
            wait_ready([server], timeout=15)
        token = session(a.url)
        first = started(a.url, token, content=QUESTION, drop_after=3).finish()
        rest = started(b.url, token, last_id=first.last_event_id).finish()
        assert_complete(first, rest)


def test_behind_nginx_new_visitors_keep_chatting_when_one_process_dies(cluster, tmp_path):
    with cluster.pair() as (a, b), nginx_proxy([a.url, b.url], tmp_path) as proxy:
        # Only the replies go through nginx here, so its round robin puts every other one on A.
        streams = [started(proxy, session(b.url), content=QUESTION) for _ in range(2 * VISITORS)]
        for stream in streams:
            stream.wait_tokens(3)
        a.process.send_signal(signal.SIGKILL)
        a.process.wait(10)
        for stream in streams:
            stream.finish()
            if stream.outcome == "done":  # it was B's
                assert_complete(stream)
                continue
            # A's: the browser reconnects through nginx, lands on B, and is told how the reply ended.
            assert stream.outcome == "broken", stream.outcome
            rest = started(proxy, stream.token, last_id=stream.last_event_id).finish(NOTICED)
            assert_interrupted(rest)
            assert_in_order(stream, rest)
        assert sorted(stream.outcome for stream in streams) == ["broken"] * VISITORS + ["done"] * VISITORS
        for _ in range(4 * VISITORS):
            assert_complete(started(proxy, session(proxy), content="Is there a free trial?").finish())


def mirror_holes(url: str) -> float:
    """The producer's own count of replies whose mirror lost frames, from its /metrics."""
    for line in httpx.get(f"{url}/metrics", timeout=10).text.splitlines():
        if line.startswith("repchat_mirror_holes_total "):
            return float(line.split()[1])
    raise AssertionError("/metrics has no repchat_mirror_holes_total")


def test_frames_lost_while_redis_was_away_end_followers_with_interrupted(cluster):
    """Redis frozen for a moment: the frames the producer could not mirror are not waited for, ever."""
    with cluster.pair() as (a, b):
        token = session(a.url)
        attached = started(a.url, token, content=QUESTION)
        attached.wait_tokens(3)
        assert cluster.redis.process is not None
        os.kill(cluster.redis.process.pid, signal.SIGSTOP)
        try:
            # Until a flush has failed for good, Redis may yet take it when thawed: nothing is lost then.
            wait_until(lambda: mirror_holes(a.url) >= 1, 15, "the producer gives up mirroring frames while Redis is frozen")
            assert httpx.get(f"{a.url}/readyz", timeout=10).status_code == 503
        finally:
            os.kill(cluster.redis.process.pid, signal.SIGCONT)
        wait_until(lambda: any(b"lost" in fields for _, fields in cluster.client.xrange(frames_key(attached.stream_id))),
                   15, "the producer marks the reply's mirror as holed once Redis is back")
        # A reader who resumes this reply elsewhere gets the frames mirrored before the hole, then a clear end.
        rest = started(b.url, token, last_id=attached.events[0].id).finish(NOTICED)
        assert_interrupted(rest)
        assert_in_order(rest, start=2)
        before_hole = [number for number, _ in mirrored(cluster.client, attached.stream_id)]
        assert [seq(event) for event in rest.tokens] == [number for number in before_hole if number > 1]
        # The producer's own reader never noticed.
        assert attached.finish().outcome == "done", (attached.outcome, len(attached.events))
        assert_complete(attached)
