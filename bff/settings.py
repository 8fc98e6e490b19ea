"""Settings from `REPCHAT_*` environment variables and an optional TOML file.

The environment wins over the file, so a deployment can keep defaults in a
file and override one value per host.
"""

from __future__ import annotations

from collections.abc import Callable

import dataclasses
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

PREFIX = "REPCHAT_"


class SettingsError(ValueError):
    """A setting is missing or malformed; the message names it."""


def _split(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]


@dataclass(frozen=True)
class Settings:
    upstream_url: str = ""
    upstream_api_key: str = field(default="", repr=False)
    secret_keys: tuple[str, ...] = field(default=(), repr=False)
    identity_secrets: tuple[str, ...] = field(default=(), repr=False)
    allowed_origins: tuple[str, ...] = ()
    navigate_origins: tuple[str, ...] = ()
    profile_id: str = ""
    public_url: str = ""
    token_ttl: int = 24 * 3600
    heartbeat: float = 15.0
    send_timeout: float = 30.0
    connect_timeout: float = 5.0
    read_timeout: float = 60.0
    max_streams: int = 1000
    max_body_bytes: int = 64 * 1024
    max_message_chars: int = 4000
    max_frame_bytes: int = 256 * 1024
    max_reply_bytes: int = 2 * 1024 * 1024
    max_stream_seconds: float = 300.0
    max_streams_per_visitor: int = 2
    max_streams_per_address: int = 10
    resume_grace: float = 30.0
    rate_sessions_per_ip: str = "30/minute"
    rate_messages_per_visitor: str = "20/minute"
    rate_messages_per_ip: str = "120/minute"
    rate_calls_per_visitor: str = "60/minute"
    rate_calls_per_ip: str = "300/minute"
    rate_resumes_per_visitor: str = "20/minute"
    rate_qr_per_ip: str = "60/minute"
    rate_contacts_per_visitor: str = "5/minute"
    rate_feedback_per_visitor: str = "30/minute"
    rate_diagnostics_per_ip: str = "20/minute"
    ipv6_prefix: int = 64
    ready_cache_seconds: float = 5.0
    webhook_url: str = ""
    webhook_secret: str = field(default="", repr=False)
    webhook_max_attempts: int = 6
    webhook_backoff: float = 2.0
    idempotency_ttl: int = 24 * 3600
    redis_url: str = ""
    liveness_window: float = 5.0
    shutdown_deadline: float = 20.0
    header_timeout: float = 10.0
    keep_alive_timeout: int = 5
    max_connections: int = 10000
    metrics_token: str = field(default="", repr=False)
    trusted_proxies: str = "127.0.0.1"
    log_format: str = "auto"
    log_level: str = "info"
    access_log: bool = True
    demo_site: bool = False
    profiles_dir: str = ""

    @property
    def public_origin(self) -> str:
        """Scheme, host and port of `public_url`, or "" when none (usable) is set."""
        if not self.public_url or public_url_problem(self.public_url):
            return ""
        parts = urlsplit(self.public_url)
        return f"{parts.scheme}://{parts.netloc}".lower()

    def replace(self, **changes: Any) -> Settings:
        return dataclasses.replace(self, **changes)


def public_url_problem(url: str) -> str:
    """Why `url` cannot be the BFF's public URL (what a printed QR code opens), or "" if it can."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 (raises on a port that is not a number)
    except ValueError as exc:
        return f"{url!r} is not a URL ({exc})"
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return f"{url!r} must be an absolute http(s) URL, like https://chat.example.com"
    if parts.query or parts.fragment or url.endswith(("?", "#")):
        return f"{url!r} must not carry a query or fragment (the landing page's address is appended to it)"
    return ""


def origin_problem(origin: str) -> str:
    """Why `origin` is not an allowed-origin pattern (`https://host[:port]` or `http://host:*`), or ""."""
    base = origin[:-2] if origin.endswith(":*") else origin
    try:
        parts = urlsplit(base)
        parts.port  # noqa: B018
    except ValueError:
        parts = urlsplit("")
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.path or parts.query or parts.fragment:
        return f"{origin!r} is not an origin: scheme and host only, like https://www.example.com (no path)"
    return ""


def _as_tuple(raw: Any) -> tuple[str, ...]:
    if isinstance(raw, str):
        return tuple(_split(raw))
    if isinstance(raw, (list, tuple)):
        return tuple(str(item) for item in raw)
    raise TypeError(raw)


def _as_bool(raw: Any) -> bool:
    if isinstance(raw, bool):
        return raw
    text = str(raw).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off"):
        return False
    raise ValueError(raw)


# Annotations are strings here (postponed evaluation), so parsers key on them.
_PARSERS: dict[str, Callable[[Any], Any]] = {"str": str, "int": int, "float": float, "bool": _as_bool, "tuple[str, ...]": _as_tuple}


def _coerce(name: str, annotation: str, raw: Any) -> Any:
    try:
        return _PARSERS[annotation](raw)
    except (TypeError, ValueError):
        raise SettingsError(
            f"{PREFIX}{name.upper()} must be {annotation}, got {raw!r}"
        ) from None


def load_settings(
    environ: Mapping[str, str] | None = None, config_file: str | Path | None = None
) -> Settings:
    """Read settings from a TOML file (if any) and then the environment.

    The file is `config_file`, else `REPCHAT_CONFIG`; its keys are the
    variable names without the prefix, in lower case (`upstream_url = ...`).
    """
    environ = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    path = config_file or environ.get(f"{PREFIX}CONFIG")
    if path:
        try:
            with open(path, "rb") as handle:
                values.update(tomllib.load(handle))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise SettingsError(f"cannot read config file {path}: {exc}") from exc
    for item in dataclasses.fields(Settings):
        env_value = environ.get(f"{PREFIX}{item.name.upper()}")
        if env_value is not None:
            values[item.name] = env_value
    unknown = sorted(set(values) - {item.name for item in dataclasses.fields(Settings)})
    if unknown:
        raise SettingsError(f"unknown settings in {path}: {', '.join(unknown)}")
    typed = {
        item.name: _coerce(item.name, str(item.type), values[item.name])
        for item in dataclasses.fields(Settings)
        if item.name in values
    }
    settings = Settings(**typed)
    if settings.log_format not in ("auto", "json", "plain"):
        raise SettingsError(f"{PREFIX}LOG_FORMAT must be auto, json or plain, got {settings.log_format!r}")
    return settings
