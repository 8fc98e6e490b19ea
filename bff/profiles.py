"""Representative profiles: who answers, what they know, how their card looks.

One TOML file per profile (see `profiles/demo.toml`). The emulator answers
from the knowledge in it; the QR landing pages show its card.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DEFAULT_DIR = Path(__file__).parent / "profiles"


@dataclass(frozen=True)
class Faq:
    q: str
    a: str
    tags: str = ""


@dataclass(frozen=True)
class Plan:
    name: str
    price: str
    detail: str
    selector: str = ""


@dataclass(frozen=True)
class Profile:
    id: str
    slug: str
    name: str
    title: str
    company: str
    greeting: str
    bio: str = ""
    email: str = ""
    phone: str = ""
    website: str = ""
    photo: str = ""
    starters: tuple[str, ...] = ()
    events: dict[str, str] = field(default_factory=dict)
    plans: tuple[Plan, ...] = ()
    faq: tuple[Faq, ...] = ()

    @property
    def initials(self) -> str:
        return "".join(part[0] for part in self.name.split()[:2]).upper()

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Profile:
        return cls(
            id=data["id"],
            slug=data.get("slug", data["id"]),
            name=data["name"],
            title=data.get("title", ""),
            company=data.get("company", ""),
            greeting=data.get("greeting", f"Hi, I'm {data['name']}'s AI Representative."),
            bio=data.get("bio", ""),
            email=data.get("email", ""),
            phone=data.get("phone", ""),
            website=data.get("website", ""),
            photo=data.get("photo", ""),
            starters=tuple(data.get("starters", ())),
            events=dict(data.get("events", {})),
            plans=tuple(Plan(**plan) for plan in data.get("plans", ())),
            faq=tuple(Faq(**item) for item in data.get("faq", ())),
        )


def load_profile(path: Path) -> Profile:
    with open(path, "rb") as handle:
        return Profile.from_dict(tomllib.load(handle))


def load_profiles(directory: str | Path | None = None) -> dict[str, Profile]:
    """Profiles in a directory, reachable by id and by slug."""
    profiles: dict[str, Profile] = {}
    for path in sorted(Path(directory or DEFAULT_DIR).glob("*.toml")):
        profile = load_profile(path)
        profiles[profile.id] = profile
        profiles[profile.slug] = profile
    return profiles
