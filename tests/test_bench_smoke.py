"""`repchat bench`: the short form runs every path and prints its figures (timings are not asserted),
and an operator can point it at an upstream of their own."""

import json
import subprocess
import sys

from bff.dev.bench.nginx import find_nginx

from .processes import KEY, emulator_process


def bench(*args: str) -> dict:
    run = subprocess.run([sys.executable, "-m", "bff.cli", "bench", "--json", *args],
                         capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    return json.loads(run.stdout)


def rows(scenario: dict) -> dict[str, dict]:
    return {row["path"]: row for row in scenario["rows"]}


def test_bench_quick_runs_all_paths_without_errors(capsys):
    report = bench("--quick")
    with capsys.disabled():
        from bff.dev.bench.run import render

        print("\n" + render(report))
    names = [scenario["name"] for scenario in report["scenarios"]]
    assert names == ["latency", "throughput", "held", "burst"]
    nginx = find_nginx() is not None
    assert report["setup"]["nginx"] is nginx
    for scenario in report["scenarios"]:
        paths = rows(scenario)
        assert {"repchat", "asgi", "naive"} <= set(paths)
        assert ("nginx" in paths) is nginx
        assert all(row["tokens"] > 0 for row in scenario["rows"])
        assert all(not row["errors"] for path, row in paths.items() if path in ("repchat", "nginx", "asgi"))
        assert paths["repchat"]["cpu_us_per_token"] > 0
        if nginx:
            # nginx is measured as master plus workers, and compared with repchat in the same run.
            assert paths["nginx"]["cpu_us_per_token"] >= 0
            assert "repchat_over_nginx_cpu_us_per_token" in scenario["summary"] or not paths["nginx"]["cpu_us_per_token"]
            # The ASGI floor is set against nginx, and repchat against the floor.
            assert "asgi_over_nginx_cpu_us_per_token" in scenario["summary"] or not paths["nginx"]["cpu_us_per_token"]
            assert "repchat_over_asgi_cpu_us_per_token" in scenario["summary"]
    held = next(scenario for scenario in report["scenarios"] if scenario["name"] == "held")
    if nginx:
        assert "repchat_over_nginx_kib_per_held_stream" in held["summary"]
        assert "asgi_over_nginx_kib_per_held_stream" in held["summary"]
        assert "proxy_buffering off;" in report["setup"]["nginx_config"]
        assert f"worker_processes {report['setup']['nginx_workers']};" in report["setup"]["nginx_config"]


def test_bench_against_an_operators_own_upstream():
    """A separately started emulator stands in for the operator's upstream: no direct, asgi or naive path then."""
    with emulator_process(gap=0.01) as upstream:
        report = bench("--upstream", upstream, "--api-key", KEY, "--scenario", "latency,burst",
                       "--streams", "6", "--tokens", "5", "--workers", "2")
    assert report["setup"]["upstream"] == upstream
    assert report["setup"]["workers"] == 2
    assert [scenario["name"] for scenario in report["scenarios"]] == ["latency", "burst"]
    for scenario in report["scenarios"]:
        paths = rows(scenario)
        assert set(paths) == ({"repchat", "nginx"} if find_nginx() else {"repchat"})
        assert paths["repchat"]["streams"] == 6 and paths["repchat"]["completed"] == 6
        assert not paths["repchat"]["errors"]
        if "nginx" in paths:
            assert paths["nginx"]["completed"] == 6 and not paths["nginx"]["errors"]


def test_bench_refuses_half_an_upstream():
    run = subprocess.run([sys.executable, "-m", "bff.cli", "bench", "--upstream", "http://127.0.0.1:9"],
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 2
    assert "--upstream and --api-key go together" in run.stderr


def test_bench_names_an_unknown_scenario():
    run = subprocess.run([sys.executable, "-m", "bff.cli", "bench", "--scenario", "nope"],
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 2
    assert "unknown scenario nope" in run.stderr
