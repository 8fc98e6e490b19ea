"""Sessions, their messages, context usage, compaction and hourly quotas."""

from __future__ import annotations

import datetime as dt
import secrets
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from ..profiles import Profile
from .composer import Composer
from .tokenizer import count_tokens

KEEP_AFTER_COMPACT = 4  # the last two exchanges stay verbatim
RECOMMEND_AT = 75.0


def now_iso() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def new_id(prefix: str) -> str:
    return f"{prefix}_{secrets.token_hex(8)}"


@dataclass
class Window:
    """A fixed hourly window of requests, as the `X-RateLimit-*` headers describe it."""

    limit: int
    count: int = 0
    reset: float = 0.0

    def _roll(self) -> None:
        now = time.time()
        if now >= self.reset:
            self.count, self.reset = 0, now + 3600

    def hit(self) -> bool:
        """Count one request; False when the window is already full."""
        self._roll()
        if self.count >= self.limit:
            return False
        self.count += 1
        return True

    def headers(self) -> dict[str, str]:
        self._roll()
        return {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(max(0, self.limit - self.count)),
            "X-RateLimit-Reset": str(int(self.reset)),
        }


@dataclass
class Session:
    id: str
    profile: Profile
    title: str
    created_at: str
    quota: Window
    messages: list[dict[str, Any]] = field(default_factory=list)

    def public(self, with_messages: bool = False) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": self.id, "profileId": self.profile.id, "title": self.title, "createdAt": self.created_at,
        }
        if with_messages:
            data["messages"] = [
                {key: message[key] for key in ("id", "role", "content", "createdAt")} for message in self.messages
            ]
        return data

    def add(self, role: str, content: str) -> dict[str, Any]:
        message = {"id": new_id("msg"), "role": role, "content": content, "createdAt": now_iso()}
        self.messages.append(message)
        return message

    @property
    def replied_before(self) -> bool:
        return any(message["role"] == "assistant" for message in self.messages)


class Store:
    def __init__(self, profiles: dict[str, Profile], hourly_quota: int, max_tokens: int) -> None:
        self.profiles = profiles
        self.hourly_quota = hourly_quota
        self.max_tokens = max_tokens
        self.sessions: dict[str, Session] = {}
        self.composers = {profile.id: Composer(profile) for profile in profiles.values()}
        self.journal: deque[dict[str, Any]] = deque(maxlen=2000)

    def record(self, kind: str, **fields: Any) -> dict[str, Any]:
        """Note what happened, for tests and integrators (`GET /api/v1/_emulator/journal`)."""
        entry = {"kind": kind, "at": now_iso(), **fields}
        self.journal.append(entry)
        return entry

    def create(self, profile: Profile, title: str) -> Session:
        session = Session(new_id("ses"), profile, title, now_iso(), Window(self.hourly_quota))
        self.sessions[session.id] = session
        return session

    def composer(self, session: Session) -> Composer:
        return self.composers[session.profile.id]

    def usage(self, session: Session) -> dict[str, Any]:
        base = count_tokens(session.profile.bio + session.profile.greeting) + 200
        used = base + sum(count_tokens(message["content"]) + 4 for message in session.messages)
        percent = round(used / self.max_tokens * 100, 1)
        return {
            "usedTokens": used,
            "maxTokens": self.max_tokens,
            "percentUsed": percent,
            "messageCount": len(session.messages),
            "compactRecommended": percent >= RECOMMEND_AT,
        }

    def compact(self, session: Session) -> tuple[str, int]:
        """Fold all but the last exchanges into one recap; (recap, messages folded)."""
        older = session.messages[:-KEEP_AFTER_COMPACT]
        if not older:
            return "", 0
        recap = Composer.recap(older)
        summary = {"id": new_id("msg"), "role": "summary", "content": recap, "createdAt": now_iso()}
        session.messages = [summary, *session.messages[-KEEP_AFTER_COMPACT:]]
        return recap, len(older)
