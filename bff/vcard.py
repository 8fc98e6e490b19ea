"""A Representative's contact card as vCard 3.0 (what phones import most reliably)."""

from __future__ import annotations

from urllib.parse import quote

from .profiles import Profile


def _escape(value: str) -> str:
    return (
        value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\r\n", "\\n").replace("\n", "\\n")
    )


def _fold(line: str) -> str:
    """Lines longer than 75 octets continue on the next line after a space (RFC 2425)."""
    encoded = line.encode()
    if len(encoded) <= 75:
        return line
    parts: list[str] = []
    current = b""
    for char in line:
        piece = char.encode()
        if len(current) + len(piece) > (75 if not parts else 74):
            parts.append(current.decode())
            current = b""
        current += piece
    parts.append(current.decode())
    return "\r\n ".join(parts)


def vcard(profile: Profile, landing_url: str = "") -> str:
    given, _, family = profile.name.rpartition(" ") if " " in profile.name else ("", "", profile.name)
    given, family = (given, family) if given else (profile.name, "")
    lines = [
        "BEGIN:VCARD",
        "VERSION:3.0",
        f"N:{_escape(family)};{_escape(given)};;;",
        f"FN:{_escape(profile.name)}",
    ]
    if profile.company:
        lines.append(f"ORG:{_escape(profile.company)}")
    if profile.title:
        lines.append(f"TITLE:{_escape(profile.title)}")
    if profile.email:
        lines.append(f"EMAIL;TYPE=INTERNET,WORK:{_escape(profile.email)}")
    if profile.phone:
        lines.append(f"TEL;TYPE=WORK,VOICE:{_escape(profile.phone)}")
    if profile.website:
        lines.append(f"URL:{_escape(profile.website)}")
    if landing_url:
        lines.append(f"NOTE:{_escape('Chat with my AI Representative: ' + landing_url)}")
    lines.append("END:VCARD")
    return "\r\n".join(_fold(line) for line in lines) + "\r\n"


def filename(profile: Profile) -> str:
    """The file name in Unicode (any script), for `filename*`."""
    safe = "".join(char if char.isalnum() else "-" for char in profile.name.lower()).strip("-")
    return f"{safe or 'contact'}.vcf"


def content_disposition(profile: Profile) -> str:
    """An attachment header for any name: an ASCII fallback, and the real name per RFC 6266."""
    name = filename(profile)
    stem = "".join(char if char.isascii() and char.isalnum() else "-" for char in name.removesuffix(".vcf")).strip("-")
    return f"attachment; filename=\"{stem or 'contact'}.vcf\"; filename*=UTF-8''{quote(name)}"
