"""The widget's markdown renderer against CommonMark 0.31.2's own examples and against cmark-gfm.

The examples come from the npm package `commonmark-spec` (pinned in
widget/package.json); each is rendered by the real widget renderer in node
(linkedom as the DOM) and compared after the normalisation documented in
tests/markdown_html.py and docs/markdown.md.
"""

from __future__ import annotations

import json
import subprocess
from collections import Counter
from collections.abc import Callable, Iterator

import cmarkgfm
import pytest

from .markdown_html import NODE, ROOT, SECTIONS, TOOL, canonical, raw_html, spec_examples

Render = Callable[..., str]


@pytest.fixture(scope="module")
def render() -> Iterator[Render]:
    """The widget renderer in node, answering one markdown text per line."""
    process = subprocess.Popen([NODE, str(TOOL)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=ROOT / "widget")

    def render(markdown: str, cuts: list[int] | None = None, image_hosts: list[str] | None = None) -> str:
        assert process.stdin and process.stdout
        process.stdin.write(json.dumps({"markdown": markdown, "cuts": cuts or [], "imageHosts": image_hosts or []}) + "\n")
        process.stdin.flush()
        return str(json.loads(process.stdout.readline()))

    yield render
    process.kill()


def score(render: Render) -> tuple[dict[str, Counter[str]], list[dict[str, object]]]:
    """Per section: passed, failed and raw-HTML (not compared) counts; and the failures."""
    table: dict[str, Counter[str]] = {section: Counter() for section in SECTIONS}
    failures = []
    for example in spec_examples():
        section = str(example["section"])
        if section not in table:
            continue
        # the spec shows tabs as arrows; its own test runner swaps them back
        markdown = str(example["markdown"]).replace("\u2192", "\t")
        if raw_html(cmarkgfm.markdown_to_html(markdown)):
            table[section]["raw"] += 1
            continue
        got = canonical(render(markdown))
        want = canonical(str(example["html"]).replace("\u2192", "\t"), reference=True)
        table[section]["pass" if got == want else "fail"] += 1
        if got != want:
            failures.append({"example": example["number"], "section": section, "markdown": markdown, "want": want, "got": got})
    return table, failures


def test_commonmark_examples_for_the_sections_a_chat_uses(render, capsys):
    table, failures = score(render)
    passed = sum(row["pass"] for row in table.values())
    compared = passed + sum(row["fail"] for row in table.values())
    lines = [f"{'section':42} {'pass':>5} {'of':>4} {'raw HTML':>9}"]
    for section, row in table.items():
        lines.append(f"{section:42} {row['pass']:5} {row['pass'] + row['fail']:4} {row['raw']:9}")
    lines.append(f"{'all':42} {passed:5} {compared:4}   {passed / compared:.1%}")
    with capsys.disabled():
        print("\nCommonMark 0.31.2 conformance of the widget renderer\n" + "\n".join(lines))
    assert passed / compared >= 0.90, json.dumps(failures[:20], indent=1)


# GFM's extensions as a chat sees them, checked against GitHub's own cmark-gfm.
GFM_CASES = [
    # tables
    "| Plan | Price | Seats |\n|:-----|------:|:-----:|\n| Free | $0 | 1 |\n| Pro | $9 | 5 |",
    "Plan | Price\n--- | ---\nFree | $0\nPro | $9",
    "| a | b |\n|---|---|\n| `x \\| y` | **bold** |\n| only one |\n| 1 | 2 | 3 |",
    "| a |\n|---|\n| b |\n\nafter the table",
    "| a | b |\n|---|---|\n| 1 | 2 |\n> a quote ends it",
    "| a | b |\n|---|---|\n| 1 | 2 |\nplain line becomes a row",
    "Intro line\n| a | b |\n|---|---|\n| 1 | 2 |",
    "| a | b |\n|---|\n| 1 | 2 |",
    "| a |\n| - |",
    "- item\n\n  | a | b |\n  |---|---|\n  | 1 | 2 |",
    "| [link](https://x.example) | ![img](https://x.example/i.png) |\n|---|---|\n| \\* | ~~old~~ |",
    # strikethrough
    "~~gone~~ and ~also~ but not ~~~three~~~",
    "~~a **b** c~~ and ~~unclosed",
    "a~~b~~c and ~~ spaced ~~",
    # task lists
    "- [ ] to do\n- [x] done\n- [X] done too",
    "1. [x] first\n2. [ ] second",
    "- [ ] loose\n\n- [x] items",
    "- [x] parent\n  - [ ] child\n  - plain child",
    "- [ ]not a task\n- [] not either\n- [x]",
    # bare-URL autolinks
    "Visit https://example.com/pricing, or www.example.com.",
    "See (https://en.wikipedia.org/wiki/Foo_(bar)) and https://x.example/a).",
    "Trailing: https://example.com/path?query=1&x=2! and www.example.com/a_b_",
    "*https://example.com/emph* and **www.example.com**",
    "`https://not.a.link` and [text](https://a.example) https://b.example",
    "http://localhost:8080/x is not a domain with a dot; www.x is valid? www.example",
    "https://example.com/&amp; and https://example.com/a&hl;",
    "foohttps://example.com and _https://example.com_",
]


@pytest.mark.parametrize("markdown", GFM_CASES)
def test_gfm_extensions_match_cmark_gfm(render, markdown):
    want = canonical(cmarkgfm.github_flavored_markdown_to_html(markdown), reference=True)
    assert canonical(render(markdown)) == want
