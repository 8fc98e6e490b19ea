"""An installed wheel, not only a checkout, serves the widget, templates and profiles."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

CHECK = """
import bff, re, sys
from starlette.testclient import TestClient
from bff.app import create_app
from bff.settings import Settings
assert "{where}" in bff.__file__, bff.__file__
settings = Settings(upstream_url="http://127.0.0.1:9", upstream_api_key="k", secret_keys=("s",), demo_site=True)
with TestClient(create_app(settings)) as client:
    widget = client.get("/widget.js")
    assert widget.status_code == 200
    chunk = re.search(r"chunk\\.[0-9a-f]{{16}}\\.js", widget.text).group(0)
    assert client.get("/widget/" + chunk).status_code == 200, chunk
    page = client.get("/demo")
    assert page.status_code == 200 and "Lumen Analytics" in page.text, page.text[:200]
print("ok")
"""


def test_the_wheel_carries_and_serves_its_files(tmp_path):
    build = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(ROOT)],
        capture_output=True, text=True, timeout=300,
    )
    assert build.returncode == 0, build.stderr[-2000:]
    wheel = next(tmp_path.glob("repchat-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    for expected in (
        "bff/static/widget.js", "bff/static/widget-chunk.js", "bff/static/widget-doctor.js", "bff/static/demo.css", "bff/templates/demo_base.html",
        "bff/templates/demo_home.html", "bff/profiles/demo.toml", "bff/emulator/app.py",
    ):
        assert expected in names, expected
    assert not any(name.startswith(("tests/", "e2e/", "widget/")) for name in names)
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    run = subprocess.run(
        [sys.executable, "-c", CHECK.format(where=str(site))],
        cwd=tmp_path, env={"PYTHONPATH": str(site), "PATH": "/usr/bin:/bin"},
        capture_output=True, text=True, timeout=120,
    )
    assert run.returncode == 0 and "ok" in run.stdout, run.stdout + run.stderr
