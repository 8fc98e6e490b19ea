"""Real processes on loopback for the dev tools and the tests: start, wait until ready, measure, stop.

Servers are started on a socket the parent has already bound and passes
down (`--fd`), so no other process can take the port between choosing it
and listening on it, and the parent knows the address before the child
runs. "Ready" means the server answers its readiness check (the BFF's
`/readyz` includes its upstream), not merely that a port accepts; a child
that exits first fails at once, with its exit status.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import IO

import httpx

HOST = "127.0.0.1"


class StackFailed(RuntimeError):
    """A server did not come up: it exited, or did not answer its readiness check in time."""


def free_port() -> int:
    """A port free right now, for programs that cannot take a bound socket (redis-server, nginx).

    Prefer `spawn` with a passed socket: between this call and the program's
    bind another process may take the port.
    """
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def listening_socket(host: str = HOST) -> socket.socket:
    """A loopback socket bound to a free port and listening: its address is known before any server runs.

    `host` may be another loopback address (127.0.0.2) for a second origin on the same port range.
    """
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, 0))
    sock.listen(4096)  # connections made before the server accepts wait in the backlog
    return sock


def clean_env(**settings: str) -> dict[str, str]:
    """This environment without any REPCHAT_ setting, plus `settings` (name -> REPCHAT_NAME)."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("REPCHAT_")}
    env.update({f"REPCHAT_{name.upper()}": value for name, value in settings.items()})
    return env


def rss_kib(pid: int) -> int:
    """Resident memory of a process, from /proc (0 where unknown)."""
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time of a process so far, from /proc."""
    return sum(cpu_user_system(pid))


def cpu_user_system(pid: int) -> tuple[float, float]:
    """User and system (kernel) CPU time of a process so far, from /proc."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    tick = os.sysconf("SC_CLK_TCK")
    return int(fields[11]) / tick, int(fields[12]) / tick


def process_tree(pid: int) -> list[int]:
    """`pid` and its live descendants (a server's workers: uvicorn's, nginx's), from /proc."""
    parents: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    parent = int(stat.read().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue  # exited meanwhile
            parents.setdefault(parent, []).append(int(entry))
    tree, index = [pid], 0
    while index < len(tree):
        tree.extend(parents.get(tree[index], ()))
        index += 1
    return tree


def tree_cpu_seconds(pids: list[int]) -> tuple[float, float]:
    """User and system CPU seconds of a set of processes (those that have exited count as 0)."""
    user = system = 0.0
    for pid in pids:
        try:
            u, s = cpu_user_system(pid)
        except OSError:
            continue
        user, system = user + u, system + s
    return user, system


def tree_rss_kib(pids: list[int]) -> int:
    """Resident memory of a set of processes, summed."""
    return sum(rss_kib(pid) for pid in pids)


@dataclass
class Server:
    """A server in a child process, listening on `port` since before it started."""

    name: str
    port: int
    process: subprocess.Popen[bytes]
    ready_path: str

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def pid(self) -> int:
        return self.process.pid


def spawn(
    name: str, module_args: list[str], ready_path: str, env: Mapping[str, str] | None = None,
    log: IO[bytes] | int = subprocess.DEVNULL,
) -> Server:
    """`python -m <module_args> --fd N` on a freshly bound loopback socket; not yet waited for."""
    sock = listening_socket()
    try:
        process = subprocess.Popen(
            [sys.executable, "-m", *module_args, "--fd", str(sock.fileno())],
            env=dict(env) if env is not None else clean_env(), stdout=log, stderr=log, pass_fds=(sock.fileno(),),
        )
        port: int = sock.getsockname()[1]
    finally:
        sock.close()  # the child holds its own copy
    return Server(name, port, process, ready_path)


def wait_ready(servers: Iterable[Server], timeout: float = 30.0) -> None:
    """Until every server answers 2xx on its readiness path; `StackFailed` if one exits or time runs out."""
    deadline = time.monotonic() + timeout
    for server in servers:
        wait_url(server.url + server.ready_path, deadline - time.monotonic(), server.name, server.process)


def wait_url(url: str, timeout: float = 30.0, name: str = "", process: subprocess.Popen[bytes] | None = None) -> None:
    """Until `url` answers 2xx; `StackFailed` if `process` exits first or time runs out."""
    name = name or url
    deadline = time.monotonic() + timeout
    with httpx.Client(timeout=2) as client:
        while True:
            status = process.poll() if process is not None else None
            if status is not None:
                raise StackFailed(f"{name} exited with status {status} before it was ready")
            try:
                if client.get(url).is_success:
                    return
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise StackFailed(f"{name} was not ready at {url} after {timeout:.0f} s")
            time.sleep(0.05)


def stop(servers: Iterable[Server], timeout: float = 15.0) -> None:
    """Terminate, then wait for, every server still running."""
    running = [server.process for server in servers if server.process.poll() is None]
    for process in running:
        process.terminate()
    for process in running:
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def start_emulator(
    api_key: str, *, delay: float = 0.0, gap: float = 0.0, fault_directives: bool = True,
    log: IO[bytes] | int = subprocess.DEVNULL, profiles_dir: str = "",
) -> Server:
    """`repchat emulator` in its own process, answering for the bundled profile or those in `profiles_dir`."""
    # --api-key=KEY, not --api-key KEY: a random key may begin with "-", which argparse takes for an option.
    args = ["bff.cli", "emulator", f"--api-key={api_key}", "--delay", str(delay), "--gap", str(gap)]
    if fault_directives:
        args.append("--fault-directives")
    env = clean_env(profiles_dir=profiles_dir) if profiles_dir else None
    return spawn("emulator", args, "/health", env=env, log=log)


def start_bff(
    upstream: Server | str, api_key: str, *, workers: int = 1, log: IO[bytes] | int = subprocess.DEVNULL,
    **settings: str,
) -> Server:
    """`repchat serve` in its own process against `upstream`; `settings` become REPCHAT_ variables.

    Its readiness check is `/readyz`, which answers only once the upstream
    (and Redis, when configured) answers too.
    """
    env = clean_env(
        upstream_url=upstream.url if isinstance(upstream, Server) else upstream, upstream_api_key=api_key,
        **settings,
    )
    return spawn("bff", ["bff.cli", "serve", "--workers", str(workers)], "/readyz", env=env, log=log)
