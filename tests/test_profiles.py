"""Profiles an owner can write: the format documented key by key, and mistakes named by file and key."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

from bff.profiles import DEFAULT_DIR, KEYS, ProfileError, default_profile_id, load_profile, load_profiles

DOC = (Path(__file__).resolve().parent.parent / "docs" / "profiles.md").read_text()


def doc_rows() -> dict[str, list[str]]:
    rows = {}
    for line in DOC.splitlines():
        match = re.match(r"^\| `(\w+)` \|(.*)\|$", line)
        if match:
            rows.setdefault(match[1], []).append(match[2])
    return rows


def test_docs_list_every_key_with_whether_it_is_required():
    rows = doc_rows()
    for name, key in KEYS.items():
        assert name in rows, name
        assert any(f"| {'yes' if key.required else 'no'} |" in row for row in rows[name]), name
        for sub, field in key.fields.items():
            assert any(f" {'yes' if field.required else 'no'} | {field.meaning} |" in row
                       for row in rows.get(sub, [])), f"{name}.{sub}"


def test_the_documented_minimal_profile_loads(tmp_path):
    block = DOC.split("## A minimal profile", 1)[1].split("```toml", 1)[1].split("```", 1)[0]
    path = tmp_path / "ada.toml"
    path.write_text(block)
    profile = load_profile(path)
    assert (profile.id, profile.slug, profile.name) == ("acme-sales", "ada", "Ada Lovelace")
    assert tomllib.loads(block)["starters"] == list(profile.starters)


@pytest.mark.parametrize("text, words", [
    ('name = "Ada"\n', "missing required key 'id'"),
    ('id = "x"\nnmae = "Ada"\n', "unknown key 'nmae'"),
    ('id = "x"\nname = 5\n', 'name must be text in quotes, like name = "Maya Okafor"'),
    ('id = "x"\nname = "Ada"\nstarters = "Hi"\n', "starters must be a list of text"),
    ('id = "x"\nname = "Ada"\nslug = "Ada Page"\n', "slug 'Ada Page' must be 1 to 64 lower-case letters"),
    ('id = "x"\nname = "Ada"\n[[faq]]\nq = "Q?"\n', "[[faq]] number 1: missing required key 'a'"),
    ('id = "x"\nname = "Ada\n', "not valid TOML"),
])
def test_a_mistake_names_the_file_and_the_key(tmp_path, text, words):
    path = tmp_path / "me.toml"
    path.write_text(text)
    with pytest.raises(ProfileError) as error:
        load_profiles(tmp_path)
    assert str(error.value).startswith(f"{path}: ") and words in str(error.value)


def test_two_profiles_may_not_share_an_address(tmp_path):
    for name in ("a", "b"):
        (tmp_path / f"{name}.toml").write_text(f'id = "{name}"\nname = "N"\nslug = "same"\n')
    with pytest.raises(ProfileError, match="b.toml: id or slug 'same' is already used"):
        load_profiles(tmp_path)


def test_the_script_tag_speaks_for_the_only_profile_unless_told_otherwise(tmp_path):
    (tmp_path / "me.toml").write_text((DEFAULT_DIR / "demo.toml").read_text().replace('id = "demo"', 'id = "mine"'))
    profiles = load_profiles(tmp_path)
    assert default_profile_id("", profiles) == "mine"
    assert default_profile_id("other", profiles) == "other"
    (tmp_path / "two.toml").write_text('id = "two"\nname = "Two"\n')
    assert default_profile_id("", load_profiles(tmp_path)) == ""
