"""Before a server starts: can it listen on its port, and which address can a phone on the same network open.

Checked before any banner, so a port clash is one plain line and not a
banner followed by a traceback.
"""

from __future__ import annotations

import errno
import socket


def _family(host: str) -> socket.AddressFamily:
    return socket.AF_INET6 if ":" in host else socket.AF_INET


def free_port(host: str) -> int:
    """A port nothing listens on at `host` now."""
    with socket.socket(_family(host)) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def port_problem(host: str, port: int) -> str:
    """Why the server could not listen on host:port, in one plain sentence; "" when it can."""
    if port == 0:
        return ""
    with socket.socket(_family(host)) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds
        try:
            sock.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                return f"port {port} on {host} is already in use (another repchat?): stop it or choose another --port"
            return f"cannot listen on {host}:{port}: {exc.strerror or exc}"
    return ""


def lan_address() -> str:
    """This machine's address on its local network (what a phone on the same Wi-Fi can open), or ""."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        try:
            sock.connect(("192.0.2.1", 9))  # a documentation address: picks the route, sends nothing
            address = str(sock.getsockname()[0])
        except OSError:
            return ""
    return "" if address.startswith("127.") or address == "0.0.0.0" else address
