"""Representative profiles: who answers, what they know, how their card looks.

One TOML file per profile (see `profiles/demo.toml`, and docs/profiles.md for
every key). The emulator answers from the knowledge in it; the QR landing
pages show its card, and a landing page's chat speaks for its profile's `id`.
Files are checked key by key, so an owner's mistake names its file and key.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DEFAULT_DIR = Path(__file__).parent / "profiles"
ID = re.compile(r"^[A-Za-z0-9][\w.-]{0,63}$")
SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")


class ProfileError(ValueError):
    """A profile file cannot be used; the message names the file and the key."""


@dataclass(frozen=True)
class Key:
    """One key of the profile format, as docs/profiles.md documents it."""

    kind: str  # "text", "list of text", "table of text", or "tables" (an array of tables)
    required: bool
    meaning: str
    example: str
    fields: dict[str, Key] = field(default_factory=dict)  # the keys of each table in "tables"


def _text(meaning: str, example: str, required: bool = False) -> Key:
    return Key("text", required, meaning, example)


# The profile format. docs/profiles.md lists each key (a test keeps the two in step).
KEYS: dict[str, Key] = {
    "id": _text("the profile's id at the upstream: every chat started for this profile uses it",
                '"acme-sales"', required=True),
    "name": _text("the Representative's name, on the landing page, poster and contact card", '"Maya Okafor"',
                  required=True),
    "slug": _text("the landing page's address, /r/SLUG (lower-case letters, digits, dashes); default: id",
                  '"maya"'),
    "title": _text("job title, under the name", '"Head of Customer Success"'),
    "company": _text("company, after the title", '"Lumen Analytics"'),
    "greeting": _text("the chat's first message on the landing page; default: \"Hi, I'm NAME's AI Representative.\"",
                      '"Hi! Ask me about plans or integrations."'),
    "bio": _text("a few sentences about the person, for the emulator's answers", '"Maya has helped 400 teams..."'),
    "email": _text("on the contact card", '"maya@example.com"'),
    "phone": _text("on the contact card", '"+1 415 555 0142"'),
    "website": _text("on the contact card", '"https://www.example.com"'),
    "photo": _text("an https image URL for the landing page; default: the name's initials",
                   '"https://www.example.com/maya.jpg"'),
    "privacy_url": _text("your privacy notice (http/https), linked from the chat's contact card beside the consent box",
                         '"https://www.example.com/privacy"'),
    "starters": Key("list of text", False, "starter questions shown as chips on the landing page",
                    '["What does it cost?", "Book a demo"]'),
    "events": Key("table of text", False, "campaign code to event name, so the Representative knows where a "
                  "QR code was scanned (`?c=booth-42`)", '{ booth-42 = "booth 42 at Web Summit" }'),
    "plans": Key("tables", False, "prices, for the emulator's answers about cost", '[[plans]]', {
        "name": _text("the plan's name", '"Team"', required=True),
        "price": _text("its price", '"$49 a month"', required=True),
        "detail": _text("what it includes", '"1 million events and 15 seats"', required=True),
        "selector": _text("a CSS selector the Representative can highlight", '".plan-team"'),
    }),
    "faq": Key("tables", False, "questions and answers the emulator answers from", '[[faq]]', {
        "q": _text("the question", '"Is there a free trial?"', required=True),
        "a": _text("the answer (markdown)", '"Yes, **14 days**, no card needed."', required=True),
        "tags": _text("extra words that should find this answer", '"trial free test"'),
    }),
}


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
    privacy_url: str = ""  # the owner's privacy notice, linked from the contact card's consent
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
            privacy_url=data.get("privacy_url", ""),
            starters=tuple(data.get("starters", ())),
            events=dict(data.get("events", {})),
            plans=tuple(Plan(**plan) for plan in data.get("plans", ())),
            faq=tuple(Faq(**item) for item in data.get("faq", ())),
        )


def _check_keys(where: str, data: dict[str, Any], keys: dict[str, Key]) -> None:
    """Raise `ProfileError` naming `where` and the key for the first key that is wrong."""
    for name in data:
        if name not in keys:
            raise ProfileError(f"{where}: unknown key {name!r} (known: {', '.join(keys)})")
    for name, key in keys.items():
        if name not in data:
            if key.required:
                raise ProfileError(f"{where}: missing required key {name!r} ({key.meaning})")
            continue
        value = data[name]
        if key.kind == "text" and not isinstance(value, str):
            raise ProfileError(f"{where}: {name} must be text in quotes, like {name} = {key.example}")
        if key.kind == "list of text" and not (isinstance(value, list) and all(isinstance(v, str) for v in value)):
            raise ProfileError(f"{where}: {name} must be a list of text, like {name} = {key.example}")
        if key.kind == "table of text" and not (
            isinstance(value, dict) and all(isinstance(v, str) for v in value.values())
        ):
            raise ProfileError(f"{where}: {name} must be a table of text, like {name} = {key.example}")
        if key.kind == "tables":
            if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
                raise ProfileError(f"{where}: {name} must be tables, each starting with a {key.example} line")
            for index, item in enumerate(value, 1):
                _check_keys(f"{where}: {key.example} number {index}", item, key.fields)


def load_profile(path: Path) -> Profile:
    """One profile file, checked; `ProfileError` names the file and the key at fault."""
    try:
        with open(path, "rb") as handle:
            data = tomllib.load(handle)
    except tomllib.TOMLDecodeError as exc:
        raise ProfileError(f"{path}: not valid TOML: {exc}") from None
    except OSError as exc:
        raise ProfileError(f"{path}: cannot be read: {exc.strerror}") from None
    _check_keys(str(path), data, KEYS)
    if not ID.match(data["id"]):
        raise ProfileError(f"{path}: id {data['id']!r} must be 1 to 64 letters, digits, '.', '-' or '_'")
    slug = data.get("slug", data["id"])
    if not SLUG.match(slug):
        raise ProfileError(f"{path}: slug {slug!r} must be 1 to 64 lower-case letters, digits or dashes "
                           "(it is the landing page's address, /r/SLUG)")
    return Profile.from_dict(data)


def load_profiles(directory: str | Path | None = None) -> dict[str, Profile]:
    """Profiles in a directory (default: the bundled demo), reachable by id and by slug."""
    folder = Path(directory or DEFAULT_DIR)
    if not folder.is_dir():
        raise ProfileError(f"{folder}: not a directory of profile files")
    profiles: dict[str, Profile] = {}
    try:
        paths = sorted(folder.glob("*.toml"))
    except OSError as exc:
        raise ProfileError(f"{folder}: cannot be read: {exc.strerror}") from None
    for path in paths:
        profile = load_profile(path)
        for name in {profile.id, profile.slug}:
            if name in profiles:
                raise ProfileError(f"{path}: id or slug {name!r} is already used by another profile in {folder}")
            profiles[name] = profile
    return profiles


def site_profiles(profiles_dir: str, demo_site: bool) -> dict[str, Profile]:
    """The profiles a BFF serves: REPCHAT_PROFILES_DIR's, else the bundled demo only when the demo site is on."""
    if profiles_dir:
        return load_profiles(profiles_dir)
    return load_profiles() if demo_site else {}


def default_profile_id(configured: str, profiles: dict[str, Profile]) -> str:
    """The upstream profile the script tag's chats speak for: REPCHAT_PROFILE_ID, else the only profile."""
    if configured:
        return configured
    ids = {profile.id for profile in profiles.values()}
    return ids.pop() if len(ids) == 1 else ""
