"""The layout's rules, as tests: what product code may import, and what a serving process loads.

Only the CLI wires the emulator and the dev tools (bench, soak, the thread
server) in, lazily, inside the command that needs them; a `repchat serve`
worker never loads them. The upstream API key is read by the upstream
package alone; event ids and frames are made by the reply buffer alone.
"""

from __future__ import annotations

import ast
from pathlib import Path

import httpx

from bff.dev.processes import clean_env, spawn, stop, wait_ready

from .servers import API_KEY, ORIGIN, RunningEmulator

ROOT = Path(__file__).resolve().parent.parent
BFF = ROOT / "bff"
WIRING = {"bff.cli"}  # the one module allowed to reach the emulator and dev tools (lazily)
FENCED = ("bff.emulator", "bff.dev")


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path, *, top_level_only: bool = False) -> set[str]:
    """Absolute names of the modules a file imports (relative imports resolved)."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    tree = ast.parse(path.read_text())
    nodes = tree.body if top_level_only else list(ast.walk(tree))
    found: set[str] = set()
    for node in nodes:
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


def product_modules() -> list[Path]:
    return [
        path for path in BFF.rglob("*.py")
        if not module_name(path).startswith(FENCED) and module_name(path) not in WIRING
    ]


def fenced(names: set[str]) -> set[str]:
    return {name for name in names if name.startswith(FENCED)}


def test_the_checks_see_real_imports():
    # A guard for the guards: the resolver finds the imports these rules are about.
    assert "bff.stream.buffer" in imports(BFF / "stream" / "response.py")
    assert "bff.emulator" in fenced(imports(BFF / "cli.py"))
    assert len(product_modules()) > 25


def test_no_product_module_imports_the_emulator_or_dev_tools():
    offenders = {module_name(path): sorted(fenced(imports(path))) for path in product_modules()}
    assert {name: found for name, found in offenders.items() if found} == {}


def test_the_cli_wires_them_only_inside_the_commands():
    assert fenced(imports(BFF / "cli.py", top_level_only=True)) == set()


def test_the_upstream_api_key_is_read_by_the_upstream_package_alone():
    # settings.py defines it; the CLI hands it to the log filter that redacts it.
    allowed = {"bff.settings", "bff.cli"}
    readers = {
        module_name(path) for path in product_modules()
        if "upstream_api_key" in path.read_text() or "x-api-key" in path.read_text().lower()
    }
    assert {name for name in readers if not name.startswith("bff.upstream")} <= allowed


def test_event_ids_and_frames_are_made_by_the_reply_buffer_alone():
    makers = {module_name(path) for path in BFF.rglob("*.py") if "bff.sse.encode" in imports(path)}
    assert makers == {"bff.stream.buffer"}


def test_a_serve_worker_loads_no_emulator_bench_or_soak_module(emulator: RunningEmulator, tmp_path: Path):
    # Python lists every module a process imports on stderr under PYTHONPROFILEIMPORTTIME,
    # and the variable reaches uvicorn's worker processes too.
    log_path = tmp_path / "serve.log"
    env = {
        **clean_env(upstream_url=emulator.url, upstream_api_key=API_KEY, secret_keys="boundary-secret-" + "s" * 32,
                    allowed_origins=ORIGIN, profile_id="demo", public_url="http://bff.test"),
        "PYTHONPROFILEIMPORTTIME": "1",
    }
    with open(log_path, "wb") as log:
        bff = spawn("bff", ["bff.cli", "serve", "--workers", "2"], "/readyz", env=env, log=log)
        try:
            wait_ready([bff])
            for _ in range(4):  # reach both workers' request paths, streaming included
                session = httpx.post(f"{bff.url}/v1/session", json={}, headers={"Origin": ORIGIN})
                token = session.json()["token"]
                reply = httpx.post(f"{bff.url}/v1/messages", json={"content": "What does it cost?"},
                                   headers={"Origin": ORIGIN, "Authorization": f"Bearer {token}"}, timeout=20)
                assert reply.status_code == 200 and b"event: done" in reply.content
        finally:
            stop([bff])
    loaded = [line.rsplit("|", 1)[1].strip() for line in log_path.read_text().splitlines()
              if line.startswith("import time:") and "|" in line]
    # uvicorn imports bff.app through importlib, which the log leaves out; what it imports is listed.
    assert loaded.count("bff.api") == 2, "the import log must cover both worker processes"
    assert loaded.count("bff.stream.response") == 2
    assert sorted({name for name in loaded if name.startswith(FENCED)}) == []
