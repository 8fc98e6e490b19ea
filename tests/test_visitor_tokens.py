import time

import pytest

from bff.errors import ApiError
from bff.visitor_tokens import TokenIssuer, Visitor

VISITOR = Visitor("ses_1", "shop", "https://shop.example")


def test_a_token_names_its_visitor():
    issuer = TokenIssuer(["k1"], max_age=60)
    token, expires = issuer.issue(VISITOR)
    assert issuer.read(token) == VISITOR
    assert time.time() + 55 < expires <= time.time() + 60


def test_a_tampered_token_is_refused():
    issuer = TokenIssuer(["k1"], max_age=60)
    token, _ = issuer.issue(VISITOR)
    payload, dot, rest = token.partition(".")
    forged = payload[:-2] + ("AA" if payload[-2:] != "AA" else "BB") + dot + rest
    for bad in (forged, token + "x", "not-a-token", ""):
        with pytest.raises(ApiError) as refused:
            issuer.read(bad)
        assert refused.value.status == 401 and refused.value.code == "token_invalid"


def test_an_expired_token_is_refused(monkeypatch):
    issuer = TokenIssuer(["k1"], max_age=60)
    real_time = time.time
    monkeypatch.setattr("itsdangerous.timed.time.time", lambda: real_time() - 120)
    token, _ = issuer.issue(VISITOR)
    monkeypatch.undo()
    with pytest.raises(ApiError) as refused:
        issuer.read(token)
    assert refused.value.code == "token_expired"


def test_keys_rotate_newest_last():
    old = TokenIssuer(["k1"], max_age=60)
    rotated = TokenIssuer(["k1", "k2"], max_age=60)
    retired = TokenIssuer(["k2"], max_age=60)
    token, _ = old.issue(VISITOR)
    assert rotated.read(token) == VISITOR
    with pytest.raises(ApiError):
        retired.read(token)
    new_token, _ = rotated.issue(VISITOR)
    assert retired.read(new_token) == VISITOR


def test_a_token_signed_for_another_purpose_is_refused():
    from itsdangerous import URLSafeTimedSerializer

    other = URLSafeTimedSerializer("k1", salt="something-else").dumps({"sid": "x", "site": "s", "origin": "o"})
    with pytest.raises(ApiError):
        TokenIssuer(["k1"], max_age=60).read(other)
