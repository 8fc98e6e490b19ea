import pytest

from bff.ui_commands import Blocked, check_command, split_commands

SITE = "https://shop.example"


def same_site(origin: str) -> bool:
    return origin == SITE


@pytest.mark.parametrize(
    "url", ["/pricing", "/a?b=c#d", "https://shop.example/pricing"],
)
def test_navigate_on_the_site_passes(url):
    assert check_command({"type": "navigate", "url": url}, same_site) == {"type": "navigate", "url": url}


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)", "JaVaScRiPt:alert(1)", "data:text/html,<script>", "//other.example",
        "http://other.example", "https://shop.example.evil.example/", "/\\other.example",
        "java\tscript:alert(1)", "vbscript:x", "", None, 42,
    ],
)
def test_navigate_elsewhere_is_blocked(url):
    with pytest.raises(Blocked):
        check_command({"type": "navigate", "url": url}, same_site)


def test_modal_ids_and_selectors_are_checked():
    assert check_command({"type": "open_modal", "id": "contact"}, same_site)["id"] == "contact"
    for bad in ("", "a b", "<script>", "x" * 80):
        with pytest.raises(Blocked):
            check_command({"type": "open_modal", "id": bad}, same_site)
    assert check_command({"type": "scroll_to", "selector": "#faq"}, same_site)["selector"] == "#faq"
    for bad in (":host", "repchat-widget button", "#" + "x" * 300, "[data-repchat-id]"):
        with pytest.raises(Blocked):
            check_command({"type": "highlight", "selector": bad}, same_site)


def test_fill_form_never_fills_secrets():
    ok = check_command({"type": "fill_form", "form": "#contact-form", "fields": {"email": "a@b.c"}}, same_site)
    assert ok["fields"] == {"email": "a@b.c"}
    for field in ("password", "card_number", "cvv", "otp"):
        with pytest.raises(Blocked):
            check_command({"type": "fill_form", "form": "#f", "fields": {field: "x"}}, same_site)


def test_split_keeps_good_and_reports_bad():
    commands = [
        {"type": "navigate", "url": "/pricing", "server": True},
        {"type": "self_destruct"},
        {"type": "navigate", "url": "javascript:alert(1)"},
        "garbage",
    ]
    allowed, blocked = split_commands(commands, same_site)
    assert allowed == [{"type": "navigate", "url": "/pricing", "server": True}]
    assert [note["type"] for note in blocked] == ["unknown", "navigate", "unknown"]


def test_collect_contact_passes_with_its_own_fields_only():
    command = {"type": "collect_contact", "prefill": {"name": "Ada", "email": "ada@example.com", "note": "x" * 2000}}
    checked = check_command(command, same_site)
    assert checked["type"] == "collect_contact" and checked["prefill"]["name"] == "Ada"
    assert len(checked["prefill"]["note"]) == 1000
    assert check_command({"type": "collect_contact"}, same_site) == {"type": "collect_contact", "prefill": {}}


@pytest.mark.parametrize("prefill", [{"password": "x"}, {"name": 5}, "ada", {"consent": "true"}])
def test_collect_contact_with_other_fields_is_blocked(prefill):
    with pytest.raises(Blocked):
        check_command({"type": "collect_contact", "prefill": prefill}, same_site)
