"""`repchat bench --quick`: the benchmark's short form runs and prints its figures (timings are not asserted)."""

import json
import subprocess
import sys


def test_bench_quick_runs_all_paths_without_errors(capsys):
    run = subprocess.run([sys.executable, "-m", "bff.cli", "bench", "--quick", "--json"],
                         capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    report = json.loads(run.stdout)
    with capsys.disabled():
        from bff.dev.bench.run import render

        print("\n" + render(report))
    names = [scenario["name"] for scenario in report["scenarios"]]
    assert names == ["latency", "throughput", "held", "burst"]
    for scenario in report["scenarios"]:
        paths = {row["path"] for row in scenario["rows"]}
        assert {"repchat", "naive"} <= paths
        assert all(row["tokens"] > 0 for row in scenario["rows"])
        repchat = next(row for row in scenario["rows"] if row["path"] == "repchat")
        assert repchat["cpu_us_per_token"] > 0

