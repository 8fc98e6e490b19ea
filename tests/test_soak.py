"""The soak's short form: visitors, faults, separate processes; no message may be lost."""

import subprocess
import sys

from bff.dev.soak import ORIGIN as SOAK_ORIGIN

from .servers import start_emulator


def test_soak_short_form_loses_nothing():
    run = subprocess.run(
        [sys.executable, "-m", "bff.cli", "soak", "--visitors", "12", "--minutes", "0.15", "--fault-rate", "0.3"],
        capture_output=True, text=True, timeout=120,
    )
    print(run.stdout)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "lost messages   0" in run.stdout
    assert "done" in run.stdout and "error interrupted" in run.stdout


def soak_against(url: str, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bff.cli", "soak", "--url", url, "--visitors", "2", "--minutes", "0.03", *extra],
        capture_output=True, text=True, timeout=60,
    )


def test_soak_fails_when_no_message_completes(make_bff):
    # Seen on a loaded machine: every session answered 502 and the soak reported "0 lost".
    failing = start_emulator(scenario="status=502")
    try:
        run = soak_against(make_bff(upstream_url=failing.url, allowed_origins=(SOAK_ORIGIN,)))
    finally:
        failing.server.stop()
    assert run.returncode == 1, run.stdout + run.stderr
    assert "no message completed" in run.stderr
    assert "http 502" in run.stdout


def test_soak_fails_when_the_stack_is_not_ready(make_bff):
    # The BFF is up, its upstream is not: /readyz never says ready, and the soak says so instead of measuring.
    run = soak_against(make_bff(upstream_url="http://127.0.0.1:9", connect_timeout=0.2), "--ready-timeout", "2")
    assert run.returncode == 2, run.stdout + run.stderr
    assert "did not come up" in run.stderr and "/readyz" in run.stderr
