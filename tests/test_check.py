"""`repchat check` and `repchat serve`'s startup: each misconfiguration gets its own message, naming what to change."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from bff.profiles import DEFAULT_DIR
from bff.dev.processes import clean_env, free_port
from tests.processes import KEY, emulator_process

GOOD_SECRET = "a-signing-key-of-more-than-32-characters-0123456789"


@pytest.fixture(scope="module")
def upstream() -> Iterator[str]:
    with emulator_process() as url:
        yield url


@pytest.fixture(scope="module")
def profiles(tmp_path_factory) -> Path:
    """An owner's profiles directory: the demo profile copied, as the README says to start."""
    folder = tmp_path_factory.mktemp("profiles")
    (folder / "demo.toml").write_text((DEFAULT_DIR / "demo.toml").read_text())
    return folder


def good_env(upstream: str, profiles: Path) -> dict[str, str]:
    return {
        "REPCHAT_UPSTREAM_URL": upstream,
        "REPCHAT_UPSTREAM_API_KEY": KEY,
        "REPCHAT_SECRET_KEYS": GOOD_SECRET,
        "REPCHAT_PUBLIC_URL": "https://chat.example.com",
        "REPCHAT_ALLOWED_ORIGINS": "https://www.example.com",
        "REPCHAT_PROFILES_DIR": str(profiles),
        "REPCHAT_LOG_FORMAT": "plain",
    }


def run(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "bff.cli", *args], env=clean_env() | env,
                          capture_output=True, text=True, timeout=60)


def test_a_good_configuration_passes_every_check(upstream, profiles):
    done = run("check", env=good_env(upstream, profiles))
    assert done.returncode == 0, done.stdout
    lines = done.stdout.splitlines()
    assert lines[-1] == "ready for `repchat serve`, 0 warning(s)"
    topics = [line.split()[1] for line in lines[1:-1]]
    assert all(line.split()[0] == "ok" for line in lines[1:-1]), done.stdout
    for topic in ("signing", "public", "site", "profiles", "default", "demo", "workers", "upstream"):
        assert topic in topics


# Each misconfiguration: what to change, whether it stops `serve`, and the words that say so.
BROKEN_PROFILE = 'id = "acme"\nnmae = "Ada"\n'
CASES = {
    "no origin": ({"REPCHAT_ALLOWED_ORIGINS": ""}, "warn",
                  "REPCHAT_ALLOWED_ORIGINS is empty: only the landing pages on https://chat.example.com can chat"),
    "weak key": ({"REPCHAT_SECRET_KEYS": "a"}, "fatal",
                 "REPCHAT_SECRET_KEYS: key 1 of 1 is 1 character(s) long, too short"),
    "unknown profile id": ({"REPCHAT_PROFILE_ID": "nope"}, "fatal",
                           "REPCHAT_PROFILE_ID='nope' is not the id of a profile in"),
    "bad profile file": ({"broken.toml": BROKEN_PROFILE}, "fatal", "broken.toml: unknown key 'nmae'"),
    "bad public URL": ({"REPCHAT_PUBLIC_URL": "chat.example.com"}, "fatal",
                       "REPCHAT_PUBLIC_URL 'chat.example.com' must be an absolute http(s) URL"),
    "public URL with a query": ({"REPCHAT_PUBLIC_URL": "https://chat.example.com/base?x=1"}, "fatal",
                                "must not carry a query or fragment"),
    "webhooks without a secret": ({"REPCHAT_WEBHOOK_URL": "https://hooks.example.com/repchat"}, "fatal",
                                  "REPCHAT_WEBHOOK_URL is set but REPCHAT_WEBHOOK_SECRET is not"),
    "webhooks without redis": ({"REPCHAT_WEBHOOK_URL": "https://hooks.example.com/repchat",
                                "REPCHAT_WEBHOOK_SECRET": "whsec"}, "warn",
                               "the outbox is in memory without REPCHAT_REDIS_URL, so events not yet delivered are lost"),
    "redis down": ({"REPCHAT_REDIS_URL": "redis://127.0.0.1:{free}/0"}, "warn",
                   "REPCHAT_REDIS_URL redis://127.0.0.1:{free}/0 is unreachable"),
    "upstream refuses the key": ({"REPCHAT_UPSTREAM_API_KEY": "wrong-key"}, "fatal",
                                 "refused REPCHAT_UPSTREAM_API_KEY (401): set the API key of your upstream account"),
}


def case_env(name: str, upstream: str, profiles: Path, tmp_path: Path) -> tuple[dict[str, str], str, str]:
    changes, level, words = CASES[name]
    env, port = good_env(upstream, profiles), str(free_port())
    for key, value in changes.items():
        if key.endswith(".toml"):
            folder = tmp_path / "profiles"
            folder.mkdir()
            (folder / "demo.toml").write_text((profiles / "demo.toml").read_text())
            (folder / key).write_text(value)
            env["REPCHAT_PROFILES_DIR"] = str(folder)
        else:
            env[key] = value.replace("{free}", port)
    return env, level, words.replace("{free}", port)


@pytest.mark.parametrize("name", CASES)
def test_check_names_each_misconfiguration(name, upstream, profiles, tmp_path):
    env, level, words = case_env(name, upstream, profiles, tmp_path)
    done = run("check", env=env)
    mine = [line for line in done.stdout.splitlines() if words in line]
    assert len(mine) == 1, done.stdout
    assert mine[0].split()[0] == {"warn": "warn", "fatal": "FAIL"}[level]
    assert done.returncode == (1 if level == "fatal" else 0)
    assert words not in run("check", env=good_env(upstream, profiles)).stdout  # its own message
    if level == "warn":
        assert run("check", "--strict", env=env).returncode == 1


@pytest.mark.parametrize("name", CASES)
def test_serve_stops_on_fatal_and_logs_warnings(name, upstream, profiles, tmp_path):
    env, level, words = case_env(name, upstream, profiles, tmp_path)
    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "bff.cli", "serve", "--port", str(port)],
                               env=clean_env() | env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if level == "fatal":
        out, err = process.communicate(timeout=60)
        assert process.returncode == 2
        assert words in err and "serving on" not in out
        assert err.splitlines()[-1] == "repchat serve: not started (`repchat check` lists every check)"
        return
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                assert process.poll() is None, process.communicate()
                time.sleep(0.1)
    finally:
        process.terminate()
        out, err = process.communicate(timeout=30)
    warnings = [line for line in err.splitlines() if line.startswith("WARNING repchat.check:")]
    assert any(words in line for line in warnings), err
    assert "serving on" in out


def test_a_port_in_use_is_one_plain_line_before_any_banner():
    with __import__("socket").socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = str(taken.getsockname()[1])
        for command in (["demo"], ["serve"], ["emulator"]):
            done = run(*command, "--port", port, env={"REPCHAT_UPSTREAM_URL": "http://127.0.0.1:9"})
            assert done.returncode == 1
            assert done.stdout == ""
            assert done.stderr == (f"repchat {command[0]}: port {port} on 127.0.0.1 is already in use "
                                   "(another repchat?): stop it or choose another --port\n")


def test_logs_are_plain_on_a_terminal_and_json_otherwise():
    import pty

    from bff.logs import log_config

    assert log_config("info", "auto", [])["formatters"]["default"]["()"].endswith("JsonFormatter")
    leader, follower = pty.openpty()
    try:
        code = ("import sys; from bff.logs import log_config; "
                "print(log_config('info', 'auto', [])['formatters']['default']['()'])")
        done = subprocess.run([sys.executable, "-c", code], stderr=follower, capture_output=False,
                              stdout=subprocess.PIPE, text=True, timeout=30, env=clean_env(), cwd=os.getcwd())
    finally:
        os.close(leader)
        os.close(follower)
    assert done.stdout.strip().endswith("PlainFormatter")
