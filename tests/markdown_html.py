"""Compare rendered markdown with reference HTML, modulo what the widget does on purpose.

The widget renders into a chat bubble, under a safety policy, so these
differences are normalised away on both sides before comparing:
- headings are shifted two levels (h1 -> h3; h4-h6 -> h6): the panel's title is h2;
- a soft line break is shown as a line break (<br>), as chat UIs do;
- images are shown as links to them (their alt text, or "image"), and as
  plain alt text inside a link, unless the owner lists image hosts;
- links to schemes outside http(s), mailto and tel are shown as their text;
- the code block's bar (language label, copy button) and wrappers (<div>,
  <span>) are dropped; attributes other than the ones markdown means
  (href, title, src, alt, start, align, type, checked, disabled and a code
  element's language class) are dropped;
- whitespace the reference serialiser puts between block tags is dropped.
Raw HTML is never rendered as HTML, so examples whose reference output holds
raw HTML are not compared at all (see `raw_html`).
"""

from __future__ import annotations

import html
import json
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TOOL = ROOT / "widget" / "tools" / "render-stdin.mjs"  # the widget's renderer, driven over stdin
NODE = shutil.which("node") or "node"

BLOCK = "p|ul|ol|li|blockquote|pre|h[1-6]|hr|table|thead|tbody|tr|th|td|div"
BLOCK_NEWLINE = re.compile(rf"\n(?=</?(?:{BLOCK})\b)|(</?(?:{BLOCK})\b[^>]*>)\n")
VOID = {"br", "hr", "img", "input"}
KEEP = {"href", "title", "src", "alt", "start", "align", "type", "checked", "disabled"}
BOOLEAN = {"checked", "disabled"}
SAFE_HREF = re.compile(r"^(?:https?:|mailto:|tel:|(?![a-z][a-z0-9+.-]*:))", re.IGNORECASE)


class _Canon(HTMLParser):
    def __init__(self, reference: bool) -> None:
        super().__init__(convert_charrefs=True)
        self.reference = reference
        self.out: list[str] = []
        self.stack: list[str] = []  # what each open tag became: a tag name, "" (unwrapped) or "drop"
        self.pre = 0
        self.link_depth = 0
        self.image: dict[str, str] | None = None
        self.after_br = False

    def dropping(self) -> bool:
        return "drop" in self.stack

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {name: value or "" for name, value in attrs}
        classes = attributes.get("class", "").split()
        if tag in ("button",) or "code-lang" in classes:
            self.stack.append("drop")
            return
        if tag == "img":
            self.image_as_link(attributes)
            return
        if tag in ("div", "span") or (tag == "a" and not SAFE_HREF.match(attributes.get("href", ""))):
            if tag not in VOID:
                self.stack.append("")
            return
        if self.dropping():
            if tag not in VOID:
                self.stack.append("drop")
            return
        match = re.fullmatch(r"h([1-6])", tag)
        if match and self.reference:
            tag = f"h{min(6, int(match[1]) + 2)}"
        kept = {name: ("" if name in BOOLEAN else value) for name, value in attributes.items() if name in KEEP}
        if tag == "code" and any(c.startswith("language-") for c in classes):
            kept["class"] = next(c for c in classes if c.startswith("language-"))
        rendered = "".join(f' {name}="{html.escape(value)}"' for name, value in sorted(kept.items()))
        self.out.append(f"<{tag}{rendered}>")
        self.after_br = tag == "br"
        if tag == "pre":
            self.pre += 1
        if tag == "a":
            self.link_depth += 1
        if tag not in VOID:
            self.stack.append(tag)

    def image_as_link(self, attributes: dict[str, str]) -> None:
        alt = attributes.get("alt", "")
        if self.link_depth or not SAFE_HREF.match(attributes.get("src", "")):
            self.out.append(html.escape(alt or "image", quote=False))
            return
        title = attributes.get("title")
        rendered = f' href="{html.escape(attributes.get("src", ""))}"' + (f' title="{html.escape(title)}"' if title else "")
        self.out.append(f"<a{rendered}>{html.escape(alt or 'image', quote=False)}</a>")
        self.after_br = False

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if tag in VOID or not self.stack:
            return
        became = self.stack.pop()
        if became and became != "drop":
            self.out.append(f"</{became}>")
            if became == "pre":
                self.pre -= 1
            if became == "a":
                self.link_depth -= 1
        self.after_br = False

    def handle_data(self, data: str) -> None:
        if self.dropping():
            return
        if not self.pre:
            if self.after_br:
                data = data.removeprefix("\n")
            parts = data.split("\n")
            data = "<br>".join(html.escape(part, quote=False) for part in parts)
        else:
            data = html.escape(data, quote=False)
        if data:
            self.out.append(data)
            self.after_br = data.endswith("<br>")

    def handle_comment(self, data: str) -> None:
        pass


def canonical(markup: str, reference: bool = False) -> str:
    """One spelling for equivalent HTML, with the widget's deliberate differences removed.

    `reference` marks the reference implementation's output, whose headings are shifted here.
    """
    parser = _Canon(reference)
    parser.feed(BLOCK_NEWLINE.sub(r"\1", markup))
    parser.close()
    text = "".join(parser.out)
    # an input's trailing space (cmark-gfm's task items) is spelling, not content
    return re.sub(r'(<input[^>]*>) ', r"\1", text).strip()


def raw_html(reference_markdown_html: str) -> bool:
    """Does cmark's safe-mode output say the markdown holds raw HTML?"""
    return "raw HTML omitted" in reference_markdown_html


# The sections a chat uses (issue 14); the score is over these.
SECTIONS = [
    "Backslash escapes", "Entity and numeric character references", "Thematic breaks", "ATX headings",
    "Setext headings", "Indented code blocks", "Fenced code blocks", "Paragraphs", "Block quotes",
    "List items", "Lists", "Code spans", "Emphasis and strong emphasis", "Links", "Images", "Autolinks",
    "Hard line breaks", "Soft line breaks",
]


def spec_examples() -> list[dict[str, object]]:
    """CommonMark 0.31.2's own examples, read from the `commonmark-spec` npm package."""
    result = subprocess.run([NODE, str(TOOL), "--examples"], capture_output=True, text=True, check=True, cwd=ROOT / "widget")
    return list(json.loads(result.stdout))
