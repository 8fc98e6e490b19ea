"""What counts as secret in page data: field names, card numbers, URL parts.

The name and parameter rules live in bff/static/redaction.json, which the
widget fetches before it reads a field (widget/src/context.js); both are
tested against one vector file, tests/redaction-vectors.json. Names are compared after folding: compatibility
forms (fullwidth letters), accents and invisible characters are removed,
camelCase is split, and Cyrillic or Greek letters that look Latin are read
as Latin, so `pаssword` with a Cyrillic `а` is still a password.
"""

from __future__ import annotations

import json
import re
import unicodedata
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

REDACTED = "[redacted]"

RULES_PATH = Path(__file__).parent / "static" / "redaction.json"
_RULES = json.loads(RULES_PATH.read_text(encoding="utf-8"))
# Lowercase look-alikes of Latin letters (Cyrillic, Greek) read as Latin.
CONFUSABLES = str.maketrans(*_RULES["confusables"])
# Whole words that name a secret; short or ambiguous ones count only alone.
SECRET_WORDS = frozenset(_RULES["secretWords"])
# Pieces that name a secret wherever they appear in the joined words (en, es, de, fr, ar).
SECRET_PIECES = re.compile("|".join(map(re.escape, _RULES["secretPieces"])))
# Query parameters that carry credentials in sign-in flows (OAuth, OpenID, CAS, SAML, signed URLs),
# by their whole name or by their last word (`reset_key`, `X-Amz-Signature`, `code_verifier`).
SECRET_PARAMS = frozenset(_RULES["secretParams"])
SECRET_PARAM_ENDS = frozenset(_RULES["secretParamEnds"])
# A parameter whose value looks like a signed token (a JWT) goes whatever its name.
SECRET_VALUE = re.compile(_RULES["secretValue"])

_CAMEL = re.compile(r"([a-z0-9])([A-Z])")
_WORD = re.compile(r"[^\W\d_]+|[0-9]+")


def name_words(name: str) -> list[str]:
    """The words of a field or parameter name, folded for comparison."""
    decomposed = unicodedata.normalize("NFKD", name)
    plain = "".join(char for char in decomposed if unicodedata.category(char) not in ("Mn", "Mc", "Me", "Cf"))
    return _WORD.findall(_CAMEL.sub(r"\1 \2", plain).lower().translate(CONFUSABLES))


def is_secret_name(name: str) -> bool:
    """Whether a field, key or parameter with this name may hold a secret."""
    words = name_words(name)
    return any(word in SECRET_WORDS for word in words) or bool(SECRET_PIECES.search("".join(words)))


def is_secret_param(name: str, value: str = "") -> bool:
    """Whether a URL query parameter carries a credential, by its name or a token-shaped value."""
    words = name_words(name)
    return (
        is_secret_name(name) or "".join(words) in SECRET_PARAMS
        or bool(words and words[-1] in SECRET_PARAM_ENDS) or bool(SECRET_VALUE.match(value))
    )


# Digits with up to three separators between them: spaces of any width, dashes,
# dots, slashes and invisible characters (zero-width spaces, joiners, BOMs).
_SEPARATOR = r"[\s./\-\u00ad\u200b-\u200f\u2060-\u2064\ufeff]"
_DIGIT_RUN = re.compile(rf"\d(?:{_SEPARATOR}{{0,3}}\d){{8,}}")


def _luhn_ok(digits: list[int]) -> bool:
    total = 0
    for index, value in enumerate(reversed(digits)):
        if index % 2:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def _redact_digits(match: re.Match[str]) -> str:
    digits = [unicodedata.digit(char) for char in match.group() if char.isdecimal()]
    if 13 <= len(digits) <= 19 and _luhn_ok(digits):
        return "[redacted card]"
    return "[redacted number]"


def redact_text(text: str) -> str:
    """Replace card numbers (Luhn-valid) and other long digit runs, in any digits and separators."""
    return _DIGIT_RUN.sub(_redact_digits, unicodedata.normalize("NFKC", text))


def clean_url_parts(url: str) -> str:
    """The URL without userinfo, fragment and credential-carrying query parameters."""
    parts = urlsplit(url)
    netloc = parts.netloc.rpartition("@")[2]
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not is_secret_param(k, v)]
    return urlunsplit((parts.scheme, netloc, parts.path, urlencode(query), ""))
