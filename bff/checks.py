"""Is this configuration ready to serve? One finding per check, each saying what to change.

`repchat check` prints the findings as a checklist; `repchat serve` runs the
same checks before it starts: a fatal finding stops it with its message, a
warning goes to the log. The checks read only what `serve` reads (the
environment and `REPCHAT_CONFIG`), and the two that need the network (the
upstream and Redis) make requests that change nothing.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Literal

import redis

from .profiles import Profile, ProfileError, default_profile_id, site_profiles
from .settings import Settings, origin_problem, public_url_problem
from .upstream.probe import probe

MIN_KEY_CHARS = 32
Level = Literal["ok", "warn", "fatal"]
LABELS = {"ok": "ok", "warn": "warn", "fatal": "FAIL"}


@dataclass(frozen=True)
class Finding:
    level: Level
    topic: str
    text: str

    def line(self) -> str:
        return f"{LABELS[self.level]:<5} {self.topic:<15} {self.text}"


def _required(settings: Settings) -> list[Finding]:
    names = ("REPCHAT_UPSTREAM_URL", "REPCHAT_UPSTREAM_API_KEY")
    return [
        Finding("fatal", "setting", f"{name} is not set: set it (`repchat demo` runs without it)")
        for name in names if not getattr(settings, name.removeprefix("REPCHAT_").lower())
    ]


def _short_key(name: str, keys: tuple[str, ...], what: str) -> str:
    """Why one of `keys` is too short to keep `what` from being forged, or ""."""
    for number, key in enumerate(keys, 1):
        if len(key) < MIN_KEY_CHARS:
            return (f"{name}: key {number} of {len(keys)} is {len(key)} character(s) long, too short to keep {what} "
                    f"from being forged: use {MIN_KEY_CHARS} or more random characters (openssl rand -hex 32)")
    return ""


def _secret_keys(settings: Settings) -> Finding:
    keys = settings.secret_keys
    if not keys:
        return Finding("fatal", "signing keys", "REPCHAT_SECRET_KEYS is not set: set it to "
                       f"{MIN_KEY_CHARS} or more random characters (openssl rand -hex 32)")
    short = _short_key("REPCHAT_SECRET_KEYS", keys, "visitor tokens")
    if short:
        return Finding("fatal", "signing keys", short)
    return Finding("ok", "signing keys", f"{len(keys)} key(s) of {MIN_KEY_CHARS} characters or more")


def _identity(settings: Settings) -> Finding:
    keys = settings.identity_secrets
    if not keys:
        return Finding("ok", "identity", "off (no REPCHAT_IDENTITY_SECRETS): visitors are not signed in")
    short = _short_key("REPCHAT_IDENTITY_SECRETS", keys, "signed-in visitors")
    if short:
        return Finding("fatal", "identity", short)
    return Finding("ok", "identity", f"signed-in visitors verified with {len(keys)} shared secret(s)")


def _public_url(settings: Settings) -> Finding:
    if not settings.public_url:
        return Finding("warn", "public URL", "REPCHAT_PUBLIC_URL is not set: QR codes and posters cannot be made; "
                       "set it to the address browsers use, like https://chat.example.com")
    problem = public_url_problem(settings.public_url)
    if problem:
        return Finding("fatal", "public URL", f"REPCHAT_PUBLIC_URL {problem}")
    return Finding("ok", "public URL", f"{settings.public_url} (QR landing pages at {settings.public_url.rstrip('/')}/r/...)")


def _origins(settings: Settings) -> list[Finding]:
    bad = [problem for problem in map(origin_problem, settings.allowed_origins) if problem]
    if bad:
        return [Finding("fatal", "site origins", f"REPCHAT_ALLOWED_ORIGINS: {problem}") for problem in bad]
    if not settings.allowed_origins:
        own = settings.public_origin or "the BFF's own address"
        return [Finding("warn", "site origins", f"REPCHAT_ALLOWED_ORIGINS is empty: only the landing pages on {own} "
                        "can chat; add your site's origin (https://www.example.com) for its script tag")]
    return [Finding("ok", "site origins", "script tags may chat from " + ", ".join(settings.allowed_origins))]


def _profiles(settings: Settings) -> list[Finding]:
    try:
        profiles = site_profiles(settings.profiles_dir, settings.demo_site)
    except ProfileError as exc:
        return [Finding("fatal", "profiles", f"REPCHAT_PROFILES_DIR: {exc}")]
    found = _profile_files(settings, profiles)
    ids = sorted({profile.id for profile in profiles.values()})
    default = default_profile_id(settings.profile_id, profiles)
    if default and profiles and default not in ids:
        found.append(Finding("fatal", "default profile", f"REPCHAT_PROFILE_ID={default!r} is not the id of a profile "
                             f"in {settings.profiles_dir or 'the bundled demo'} (ids: {', '.join(ids)}): set it to one of them"))
    elif default:
        found.append(Finding("ok", "default profile", f"the script tag's chats speak for profile {default!r}"))
    elif ids:
        found.append(Finding("fatal", "default profile", "REPCHAT_PROFILE_ID is not set and there are several profiles: "
                             f"set it to the one the script tag speaks for ({', '.join(ids)})"))
    else:
        found.append(Finding("fatal", "default profile", "REPCHAT_PROFILE_ID is not set: set it to your upstream "
                             "profile id (or put its profile file in REPCHAT_PROFILES_DIR)"))
    return found


def _profile_files(settings: Settings, profiles: dict[str, Profile]) -> list[Finding]:
    if not settings.profiles_dir:
        return [Finding("ok", "profiles", "no REPCHAT_PROFILES_DIR: no QR landing pages" if not profiles
                        else "the bundled demo profile (REPCHAT_DEMO_SITE is on)")]
    slugs = sorted({profile.slug for profile in profiles.values()})
    pages = ", ".join(f"/r/{slug}" for slug in slugs) or "no landing pages (no *.toml files)"
    return [Finding("ok" if slugs else "warn", "profiles", f"{settings.profiles_dir}: {pages}")]


def _demo_site(settings: Settings) -> Finding:
    if settings.demo_site:
        return Finding("warn", "demo site", "REPCHAT_DEMO_SITE is on: /demo, /pricing and /contact publish the "
                       "fictional demo company on your domain; set REPCHAT_DEMO_SITE=false")
    return Finding("ok", "demo site", "off (/demo is 404)")


def cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _workers(settings: Settings, workers: int) -> Finding:
    have = cores()
    if workers > have:
        return Finding("warn", "workers", f"--workers {workers} on {have} cores: more workers than cores add memory, "
                       f"not speed; use --workers {have}")
    if workers > 1 and not settings.redis_url:
        return Finding("warn", "workers", f"--workers {workers} without REPCHAT_REDIS_URL: each worker keeps its own "
                       "replies and limits, so a reconnecting browser may not resume; set REPCHAT_REDIS_URL")
    return Finding("ok", "workers", f"{workers} worker(s) on {have} core(s)")


def _upstream(settings: Settings) -> Finding:
    """Reachable, and the key accepted (see upstream/probe.py)."""
    url = settings.upstream_url.rstrip("/")
    answer = probe(settings)
    if answer.status is None:
        return Finding("warn", "upstream", f"REPCHAT_UPSTREAM_URL {url} cannot be reached ({answer.error}): check "
                       "the URL and the network; visitors get errors until it answers")
    if answer.status in (401, 403):
        return Finding("fatal", "upstream", f"{url} refused REPCHAT_UPSTREAM_API_KEY ({answer.status}): "
                       "set the API key of your upstream account")
    if answer.status != 404 and not 200 <= answer.status < 300:
        return Finding("warn", "upstream", f"{url} answered {answer.status} where a 404 was due: the key could "
                       "not be checked; is REPCHAT_UPSTREAM_URL the API's base URL?")
    return Finding("ok", "upstream", f"{url} answers and accepts the API key")


def _redis(settings: Settings) -> Finding:
    try:
        with redis.Redis.from_url(settings.redis_url, socket_connect_timeout=3, socket_timeout=3) as client:
            client.ping()
    except (redis.RedisError, ValueError) as exc:
        return Finding("warn", "redis", f"REPCHAT_REDIS_URL {settings.redis_url} is unreachable ({exc}): start Redis "
                       "or fix the URL; until then each worker keeps its own replies and limits")
    return Finding("ok", "redis", f"{settings.redis_url} answers")


def _webhooks(settings: Settings) -> Finding:
    if not settings.webhook_url:
        return Finding("ok", "webhooks", "off (no REPCHAT_WEBHOOK_URL)")
    if not settings.webhook_secret:
        return Finding("fatal", "webhooks", "REPCHAT_WEBHOOK_URL is set but REPCHAT_WEBHOOK_SECRET is not: "
                       "set a secret so your receiver can verify each event")
    if not settings.redis_url:
        return Finding("warn", "webhooks", f"{settings.webhook_url}: the outbox is in memory without REPCHAT_REDIS_URL, "
                       "so events not yet delivered are lost when a worker stops; set REPCHAT_REDIS_URL")
    return Finding("ok", "webhooks", f"{settings.webhook_url}, outbox in Redis (survives restarts)")


def run_checks(settings: Settings, workers: int = 1) -> list[Finding]:
    """Every check, in the order a reader fixes things: settings first, then what they point to."""
    required = _required(settings)
    findings = [
        *required,
        _secret_keys(settings),
        _identity(settings),
        _public_url(settings),
        *_origins(settings),
        *_profiles(settings),
        _demo_site(settings),
        _workers(settings, workers),
        _webhooks(settings),
        _upstream(settings) if not required else Finding("warn", "upstream", "not checked until the settings above are set"),
    ]
    if settings.redis_url:
        findings.append(_redis(settings))
    return findings
