"""Does a page's Content-Security-Policy let the widget load its script and reach the BFF?

The source-list matching of CSP Level 3 for what an embed needs: `*`,
`'self'`, `'none'`, schemes, hosts with `*.` wildcards, ports, paths,
nonces and `'strict-dynamic'`. `repchat check --site` reads a page's policy
with it; the browser's embed doctor does the same in widget/src/doctor/csp.js.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

FALLBACK = {
    "script-src-elem": ("script-src-elem", "script-src", "default-src"),
    "connect-src": ("connect-src", "default-src"),
}
DEFAULT_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443}
_HOST_SOURCE = re.compile(r"^(?:([a-z][a-z0-9+.-]*)://)?(\*|\*\.[^/:]+|[^/:*]+)(?::(\d+|\*))?(/.*)?$")


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    directive: str = ""  # the directive that refuses, with its sources
    sources: tuple[str, ...] = ()


def parse_policy(policy: str) -> dict[str, list[str]]:
    """A policy's directives, by lower-cased name; the first of a repeated directive counts."""
    directives: dict[str, list[str]] = {}
    for part in policy.split(";"):
        words = part.split()
        if words and words[0].lower() not in directives:
            directives[words[0].lower()] = words[1:]
    return directives


def _schemes_match(source: str, target: str) -> bool:
    return source == target or (source, target) in (("http", "https"), ("ws", "wss"))


def source_matches(source: str, url: str, page: str) -> bool:
    """Whether one source expression lets `url` load on a page at `page`."""
    lower, target, self_ = source.lower(), urlsplit(url), urlsplit(page)
    if lower == "*":
        return target.scheme in ("http", "https", "ws", "wss") or target.scheme == self_.scheme
    if lower == "'self'":
        return (target.scheme, target.netloc) == (self_.scheme, self_.netloc) or (
            self_.scheme == "http" and target.scheme == "https" and target.netloc == self_.netloc)
    if lower.startswith("'"):
        return False
    if re.fullmatch(r"[a-z][a-z0-9+.-]*:", lower):
        return _schemes_match(lower[:-1], target.scheme)
    parts = _HOST_SOURCE.match(lower)
    if not parts:
        return False
    scheme, host, port, path = parts.groups()
    if not _schemes_match(scheme or self_.scheme, target.scheme):
        return False
    hostname = (target.hostname or "").lower()
    if host.startswith("*."):
        if not hostname.endswith(host[1:]):
            return False
    elif host not in ("*", hostname):
        return False
    url_port = target.port or DEFAULT_PORTS.get(target.scheme)
    if port != "*":
        source_port = int(port) if port else DEFAULT_PORTS.get(scheme or self_.scheme)
        if url_port != source_port and not (source_port == 80 and url_port == 443):
            return False
    if not path or path == "/":
        return True
    return target.path.startswith(path) if path.endswith("/") else target.path == path


def allows(policies: list[str], kind: str, url: str, page: str, nonce: str = "", inserted: bool = False) -> Verdict:
    """Whether every enforced policy lets `url` load as `kind` (`script-src-elem` for a script tag
    in the page, with its `nonce` if it has one, or, `inserted`, added by an allowed script as widget.js
    adds its other scripts; or `connect-src`)."""
    for policy in policies:
        directives = parse_policy(policy)
        found = next(((name, directives[name]) for name in FALLBACK[kind] if name in directives), None)
        if found is None:
            continue
        name, sources = found
        lowered = [source.lower() for source in sources]
        if kind != "connect-src":
            if nonce and f"'nonce-{nonce}'" in sources:
                continue
            if "'strict-dynamic'" in lowered:  # host lists are ignored: a nonce lets a tag in, trust what it adds
                if inserted:
                    continue
                return Verdict(False, name, tuple(sources))
        if not any(source_matches(source, url, page) for source in sources):
            return Verdict(False, name, tuple(sources))
    return Verdict(True)
