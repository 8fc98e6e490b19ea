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
    allowed_origins: tuple[str, ...] = ()
    navigate_origins: tuple[str, ...] = ()
    profile_id: str = "demo"
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
    ipv6_prefix: int = 64
    ready_cache_seconds: float = 5.0
    redis_url: str = ""
    shutdown_deadline: float = 20.0
    header_timeout: float = 10.0
    keep_alive_timeout: int = 5
    max_connections: int = 10000
    metrics_token: str = field(default="", repr=False)
    trusted_proxies: str = "127.0.0.1"
    log_format: str = "json"
    log_level: str = "info"
    access_log: bool = True
    demo_site: bool = True
    profiles_dir: str = ""

    @property
    def public_origin(self) -> str:
        """Scheme, host and port of `public_url`, or "" when none is set."""
        if not self.public_url:
            return ""
        scheme, _, rest = self.public_url.partition("://")
        return f"{scheme}://{rest.split('/', 1)[0]}"

    def missing_for_production(self) -> list[str]:
        """Names of the settings `repchat serve` cannot run without."""
        required = {
            "REPCHAT_UPSTREAM_URL": self.upstream_url,
            "REPCHAT_UPSTREAM_API_KEY": self.upstream_api_key,
            "REPCHAT_SECRET_KEYS": self.secret_keys,
        }
        return [name for name, value in required.items() if not value]

    def replace(self, **changes: Any) -> Settings:
        return dataclasses.replace(self, **changes)


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
    return Settings(**typed)
