"""Commands the owner would sign off: the BFF's allowlist against a model talked into probing the page."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from bff.dev.server import BackgroundServer
from tests.servers import Chat

from .upstream import scripted_upstream

ORACLES = [
    "input[name=csrf][value^='a']", "[data-token^='x']", "meta[name=csrf-token][content^=a]",
    "link[href*='token=a']", "form:has(input[value^=a])", "#login:has(.error)", "input[type=hidden]",
    "[value]", "head meta", "#a:not(.b)", "*", "#a, [name=csrf]", "#x ~ [data-secret]",
]


@pytest.fixture(scope="module")
def upstream() -> Iterator[str]:
    server = BackgroundServer(scripted_upstream())
    yield server.start()
    server.stop()


def done_for(chat: Chat, commands: list) -> dict:
    events = chat.events(json.dumps({"say": "Here you go.", "commands": commands}))
    assert events[-1].event == "done"
    return json.loads(events[-1].data)


@pytest.fixture
def chat(make_bff, upstream) -> Chat:
    visitor = Chat(make_bff(upstream_url=upstream, allowed_origins=("http://site.test", "http://other-shop.test"),
                            navigate_origins=("https://docs.site.test",)))
    assert visitor.start().status_code == 201
    return visitor


def test_selectors_that_could_read_values_one_bit_at_a_time_are_blocked(chat):
    done = done_for(chat, [{"type": "highlight", "selector": selector} for selector in ORACLES[:5]])
    assert done["commands"] == []
    assert [note["type"] for note in done["blockedCommands"]] == ["highlight"] * 5
    done = done_for(chat, [{"type": "scroll_to", "selector": selector, "server": True} for selector in ORACLES[5:10]])
    assert done["commands"] == [] and len(done["blockedCommands"]) == 5
    done = done_for(chat, [{"type": "fill_form", "form": selector, "fields": {"email": "a@b.c"}} for selector in ORACLES[10:]])
    assert done["commands"] == [] and len(done["blockedCommands"]) == 3


def test_selectors_a_page_author_writes_pass(chat):
    good = ["#faq", ".plan-pro", "[data-plan]", "#pricing > .plan.pro", "#a [data-x] .b"]
    done = done_for(chat, [{"type": "highlight", "selector": selector} for selector in good])
    assert [command["selector"] for command in done["commands"]] == good


def test_at_most_five_commands_per_reply(chat):
    done = done_for(chat, [{"type": "scroll_to", "selector": f"#s{n}"} for n in range(40)])
    assert len(done["commands"]) == 5
    assert all(note["reason"] == "more than 5 commands in one reply" for note in done["blockedCommands"])


def test_the_model_writes_no_words_the_visitor_reads_as_the_widgets(chat):
    done = done_for(chat, [
        {"type": "navigate", "url": "/account/delete", "label": "Your order is confirmed"},
        {"type": "Your session expired, enter your password at evil.example", "x": 1},
    ])
    assert done["commands"] == [{"type": "navigate", "url": "/account/delete"}]
    assert done["blockedCommands"][0]["type"] == "unknown"
    assert "evil.example" not in json.dumps(done["blockedCommands"])


def test_navigate_goes_only_to_the_tokens_own_origin_or_the_owners_list(chat):
    done = done_for(chat, [
        {"type": "navigate", "url": "http://other-shop.test/login"},  # allowed to use the chat, not this visitor's
        {"type": "navigate", "url": "http://site.test/pricing"},
        {"type": "navigate", "url": "https://docs.site.test/guide"},
    ])
    assert [command["url"] for command in done["commands"]] == ["http://site.test/pricing", "https://docs.site.test/guide"]
    assert [note["type"] for note in done["blockedCommands"]] == ["navigate"]


def test_reported_results_are_only_executed_blocked_or_failed(chat):
    for result in ("found", "not found", "true", "executed:1", None, 1):
        response = chat.post("/v1/commands", {"command": {"type": "highlight", "selector": "#faq"}, "result": result})
        assert response.status_code == 422 and response.json()["error"]["code"] == "invalid_result"
