"""`repchat` as a user runs it: real processes, real ports."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from httpx_sse import connect_sse

from bff.dev.processes import StackFailed, free_port, start_emulator, stop, wait_ready, wait_url


def repchat(*args: str, env: dict[str, str] | None = None, **options) -> subprocess.Popen:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("REPCHAT_")}
    return subprocess.Popen(
        [sys.executable, "-m", "bff.cli", *args], env={**clean, **(env or {})},
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, **options,
    )


def wait_healthy(url: str, process: subprocess.Popen, timeout: float = 20) -> None:
    try:
        wait_url(url, timeout, process=process)
    except StackFailed as exc:
        raise AssertionError(f"{exc}\n{process.stdout.read() if process.poll() is not None else ''}") from None


@pytest.fixture(scope="module")
def demo() -> Iterator[tuple[str, subprocess.Popen]]:
    port = free_port()
    process = repchat("demo", "--port", str(port), "--delay", "0", "--gap", "0")
    url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(f"{url}/healthz", process)
        yield url, process
    finally:
        process.terminate()
        process.wait(10)


def test_demo_says_where_to_go_and_which_upstream(demo):
    url, process = demo
    banner = [process.stdout.readline() for _ in range(6)]
    assert any(f"{url}/demo" in line for line in banner)
    assert any(f"{url}/r/maya?src=qr&c=demo" in line for line in banner)
    assert any(f"{url}/r/maya/qr.svg?c=demo" in line for line in banner)
    assert any("embedded emulator" in line for line in banner)


def test_demo_answers_the_readme_curl_flow(demo):
    """Session, then "What does it cost?": several tokens and a navigate to /pricing."""
    url, _ = demo
    origin = {"Origin": url}
    session = httpx.post(f"{url}/v1/session", json={}, headers=origin)
    assert session.status_code == 201
    headers = {**origin, "Authorization": f"Bearer {session.json()['token']}"}
    with httpx.Client() as client, connect_sse(
        client, "POST", f"{url}/v1/messages", json={"content": "What does it cost?"}, headers=headers
    ) as source:
        events = list(source.iter_sse())
    assert sum(event.event == "token" for event in events) > 5
    assert events[-1].event == "done"
    assert '"commands":[{"type":"navigate","url":"/pricing"}]' in events[-1].data


def test_serve_refuses_to_start_without_its_settings():
    process = repchat("serve", "--port", str(free_port()))
    output, _ = process.communicate(timeout=20)
    assert process.returncode == 2
    for name in ("REPCHAT_UPSTREAM_URL", "REPCHAT_UPSTREAM_API_KEY", "REPCHAT_SECRET_KEYS"):
        assert name in output
    partial = repchat("serve", "--port", str(free_port()),
                      env={"REPCHAT_UPSTREAM_URL": "http://127.0.0.1:1", "REPCHAT_SECRET_KEYS": "k" * 32})
    output, _ = partial.communicate(timeout=20)
    assert partial.returncode == 2 and "REPCHAT_UPSTREAM_API_KEY" in output and "REPCHAT_SECRET_KEYS" not in output


def test_serve_runs_against_a_separate_emulator():
    emulator_port, bff_port = free_port(), free_port()
    emulator = repchat("emulator", "--port", str(emulator_port), "--api-key", "k-123", "--delay", "0", "--gap", "0")
    env = {
        "REPCHAT_UPSTREAM_URL": f"http://127.0.0.1:{emulator_port}", "REPCHAT_UPSTREAM_API_KEY": "k-123",
        "REPCHAT_SECRET_KEYS": "s" * 32, "REPCHAT_ALLOWED_ORIGINS": "https://shop.example",
        "REPCHAT_PROFILE_ID": "demo",
    }
    bff = repchat("serve", "--port", str(bff_port), "--workers", "2", env=env)
    try:
        wait_healthy(f"http://127.0.0.1:{emulator_port}/health", emulator)
        wait_healthy(f"http://127.0.0.1:{bff_port}/healthz", bff)
        session = httpx.post(f"http://127.0.0.1:{bff_port}/v1/session", json={}, headers={"Origin": "https://shop.example"})
        assert session.status_code == 201
    finally:
        for process in (bff, emulator):
            process.terminate()
            process.wait(10)


def test_the_readme_curl_examples_work_as_written(demo):
    """The README's curl block, run by bash against `repchat demo` (on this test's port)."""
    url, _ = demo
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    block = readme.split("<!-- readme-curl:start -->")[1].split("<!-- readme-curl:end -->")[0]
    script = block.replace("```sh", "").replace("```", "").replace("http://127.0.0.1:8000", url)
    assert shutil.which("curl"), "curl is needed to run the README's examples"
    run = subprocess.run(["bash", "-euo", "pipefail", "-c", script], capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    out = run.stdout
    assert out.count("event: token") > 5
    assert '"commands":[{"type":"navigate","url":"/pricing"}]' in out
    assert '"percentUsed"' in out and '"compactedMessages"' in out
    assert '"unknown_command"' in out


def banner_of(process: subprocess.Popen, url: str) -> list[str]:
    wait_healthy(f"{url}/healthz", process)
    lines = []
    while not lines or not lines[-1].startswith("  upstream"):
        lines.append(process.stdout.readline())
    return lines


def test_demo_beyond_loopback_prints_an_address_a_phone_can_open():
    from bff.cli import lan_address
    from tests.test_landing import decode_png

    port = free_port()
    process = repchat("demo", "--host", "0.0.0.0", "--port", str(port), "--delay", "0")
    try:
        banner = banner_of(process, f"http://127.0.0.1:{port}")
        lan = lan_address()
        qr_lines = [line for line in banner if "QR" in line]
        assert qr_lines and not any("0.0.0.0" in line or "127.0.0.1" in line for line in qr_lines), banner
        if lan:
            assert f"  QR page   http://{lan}:{port}/r/maya?src=qr&c=demo\n" in banner
            assert any(line.startswith("  phones    open http://") for line in banner)
            code = httpx.get(f"http://127.0.0.1:{port}/r/maya/qr.png")
            assert decode_png(code.content) == [f"http://{lan}:{port}/r/maya?src=qr"]
    finally:
        process.terminate()
        process.wait(10)


def test_demo_takes_the_public_url_phones_use_and_refuses_one_they_cannot_open():
    port = free_port()
    process = repchat("demo", "--host", "0.0.0.0", "--port", str(port), "--public-url", f"http://10.1.2.3:{port}")
    try:
        banner = banner_of(process, f"http://127.0.0.1:{port}")
        assert f"  QR page   http://10.1.2.3:{port}/r/maya?src=qr&c=demo\n" in banner
    finally:
        process.terminate()
        process.wait(10)
    bad = repchat("demo", "--port", str(free_port()), "--public-url", "10.1.2.3:8000")
    output, _ = bad.communicate(timeout=30)
    assert bad.returncode == 2
    assert output == "repchat demo: --public-url '10.1.2.3:8000' must be an absolute http(s) URL, like https://chat.example.com\n"


def test_every_flag_has_help_and_a_place_in_the_readme_command_table():
    import argparse

    from bff.cli import parser

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    rows = {line.split("`")[1].split()[1]: line for line in readme.splitlines() if line.startswith("| `repchat ")}
    commands = next(action for action in parser()._actions if isinstance(action, argparse._SubParsersAction))
    assert set(rows) == set(commands.choices), "one README row per command"
    for name, sub in commands.choices.items():
        for action in sub._actions:
            if isinstance(action, argparse._HelpAction):
                continue
            label = action.option_strings[-1] if action.option_strings else action.dest
            assert action.help, f"repchat {name} {label} has no help text"
            if action.option_strings:
                assert any(f"{flag} " in rows[name] or f"{flag}]" in rows[name] for flag in action.option_strings), \
                    f"the README's command table lacks repchat {name} {label}"


def test_a_generated_api_key_that_begins_with_a_dash_still_starts_the_emulator():
    """soak and bench make their keys with secrets.token_urlsafe, which begins with "-" one time in 64."""
    server = start_emulator("-k3y-from-token-urlsafe")
    try:
        wait_ready([server], timeout=30)
        journal = httpx.get(f"{server.url}/api/v1/_emulator/journal", headers={"X-API-Key": "-k3y-from-token-urlsafe"})
        assert journal.status_code == 200
    finally:
        stop([server])
