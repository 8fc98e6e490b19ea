"""The soak's short form: visitors, faults, separate processes; no message may be lost."""

import subprocess
import sys


def test_soak_short_form_loses_nothing():
    run = subprocess.run(
        [sys.executable, "-m", "bff.cli", "soak", "--visitors", "12", "--minutes", "0.15", "--fault-rate", "0.3"],
        capture_output=True, text=True, timeout=120,
    )
    print(run.stdout)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "lost messages   0" in run.stdout
    assert "done" in run.stdout and "error interrupted" in run.stdout
