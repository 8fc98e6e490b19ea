"""The operator's baseline: nginx proxying the upstream's stream, as a process of its own.

What an operator weighs repchat against is not a hand-rolled relay but the
reverse proxy already in front of everything. The bench starts Debian's (or
any) nginx with a generated configuration in a temporary directory:
`proxy_buffering off` (tokens leave as they arrive), HTTP/1.1 keep-alive to
the upstream, no access log, and as many workers as repchat has (at least 2,
nginx's usual minimum). The configuration is printed with the results, so a
reader can see exactly what was measured.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

from ..processes import HOST, Server, free_port


def find_nginx() -> str | None:
    """The nginx binary, if one is installed (Debian keeps it in /usr/sbin)."""
    found = shutil.which("nginx")
    if found:
        return found
    return "/usr/sbin/nginx" if Path("/usr/sbin/nginx").is_file() else None


def nginx_config(upstream: str, port: int, workers: int, work: str, connections: int) -> str:
    """An nginx.conf that proxies everything on `port` to `upstream`, streaming."""
    parts = urlsplit(upstream)
    tls = parts.scheme == "https"
    host = parts.hostname or HOST
    target = f"{host}:{parts.port or (443 if tls else 80)}"
    prefix = parts.path.rstrip("/")
    tls_lines = f"\n      proxy_ssl_server_name on;\n      proxy_ssl_name {host};" if tls else ""
    return f"""daemon off;
master_process on;
worker_processes {workers};
worker_rlimit_nofile {connections * 2 + 64};
pid {work}/nginx.pid;
error_log {work}/error.log warn;
events {{ worker_connections {connections}; multi_accept on; }}
http {{
  access_log off;
  client_body_temp_path {work}/body;
  proxy_temp_path {work}/proxy;
  upstream bench_upstream {{
    server {target};
    keepalive 256;
  }}
  server {{
    listen {HOST}:{port} backlog=4096;
    location / {{
      proxy_pass {"https" if tls else "http"}://bench_upstream{prefix};
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host {parts.netloc};{tls_lines}
      proxy_buffering off;
      proxy_request_buffering off;
      proxy_cache off;
      gzip off;
      proxy_read_timeout 120s;
      proxy_send_timeout 120s;
    }}
  }}
}}
"""


def start_nginx(binary: str, upstream: str, workers: int, connections: int = 12000) -> tuple[Server, str, str]:
    """nginx in front of `upstream`: (the server, its configuration, its temporary directory); not yet waited for.

    nginx cannot take a bound socket from its parent, so its port is chosen
    just before it starts (`free_port`); a lost race shows as a failed start.
    The caller removes the directory after stopping the server.
    """
    work = tempfile.mkdtemp(prefix="repchat-bench-nginx-")
    port = free_port()
    config = nginx_config(upstream, port, workers, work, connections)
    Path(work, "nginx.conf").write_text(config)
    process = subprocess.Popen(
        [binary, "-p", work, "-c", f"{work}/nginx.conf", "-e", f"{work}/error.log"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    return Server("nginx", port, process, "/health"), config, work
