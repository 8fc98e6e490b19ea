"""Compare markdown parsers for the widget: size, CommonMark conformance, streaming cost, safety.

    python benchmarks/markdown_parsers.py

Installs the candidates (pinned below) into a temporary directory with npm,
bundles what the widget would import from each with the widget's esbuild
(--bundle --minify, then gzip -9), renders the CommonMark 0.31.2 examples of
the sections a chat uses with each (normalised and scored exactly as
tests/test_markdown_conformance.py does), and times streaming a 2,000-token
reply: libraries without an incremental API re-parse the whole text per
token (parse only: building DOM would come on top); incremental ones append.
Prints a markdown table (docs/markdown.md holds the latest one).
"""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import cmarkgfm

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bff.emulator.composer import long_reply  # noqa: E402
from bff.emulator.tokenizer import stream_pieces  # noqa: E402
from tests.markdown_html import SECTIONS, canonical, raw_html, spec_examples  # noqa: E402

WIDGET = ROOT / "widget"
PACKAGES = ["marked@18.2.1", "micromark@4.0.3", "micromark-extension-gfm@3.0.0", "markdown-it@15.0.3",
            "streaming-markdown@0.2.15", "@incremark/core@0.3.10"]

# name -> (what the widget would import, how it yields output)
CANDIDATES = {
    "repchat (this renderer)": (f'export {{ createRenderer }} from "{WIDGET / "src" / "markdown.js"}";', "DOM nodes, incrementally"),
    "repchat before issue 14": ('export { createRenderer } from "./old-markdown.mjs";', "DOM nodes, hand-written subset"),
    "streaming-markdown": ('export * from "streaming-markdown";', "DOM nodes, incrementally"),
    "marked (Lexer only)": ('export { Lexer } from "marked";', "tokens (GFM); whole text per call"),
    "marked": ('export { marked } from "marked";', "an HTML string"),
    "micromark + gfm": ('export { micromark } from "micromark"; export { gfm, gfmHtml } from "micromark-extension-gfm";',
                        "an HTML string (or events)"),
    "markdown-it": ('export { default } from "markdown-it";', "tokens or an HTML string"),
    "@incremark/core": ('export { createIncremarkParser } from "@incremark/core";', "an mdast tree, incrementally"),
}

# Renders each example (and times streaming) with one candidate, in node.
RUNNER = r"""
import { readFileSync } from "node:fs";
import { parseHTML } from "LINKEDOM";
const [name, examplesPath, tokensPath] = process.argv.slice(2);
const examples = JSON.parse(readFileSync(examplesPath, "utf8"));
const tokens = JSON.parse(readFileSync(tokensPath, "utf8"));
const { document } = parseHTML("<!doctype html><html><body></body></html>");
globalThis.document = document; // streaming-markdown uses the global
let render, stream;
const viaRenderer = (createRenderer) => {
  render = (md) => { const c = document.createElement("div"); const r = createRenderer(document, c); r.append(md); r.finish(); return c.innerHTML; };
  stream = () => { const c = document.createElement("div"); const r = createRenderer(document, c); return (t) => { r.append(t); r.render(); }; };
};
if (name.startsWith("repchat (")) viaRenderer((await import("CURRENT")).createRenderer);
else if (name.startsWith("repchat before")) viaRenderer((await import("./old-markdown.mjs")).createRenderer);
else if (name === "streaming-markdown") {
  const smd = await import("streaming-markdown");
  render = (md) => { const c = document.createElement("div"); const p = smd.parser(smd.default_renderer(c)); smd.parser_write(p, md); smd.parser_end(p); return c.innerHTML; };
  stream = () => { const c = document.createElement("div"); const p = smd.parser(smd.default_renderer(c)); return (t) => smd.parser_write(p, t); };
} else if (name.startsWith("marked")) {
  const { marked, Lexer } = await import("marked");
  render = (md) => marked.parse(md, { gfm: true });
  stream = () => { let text = ""; return (t) => { text += t; name === "marked" ? marked.parse(text) : Lexer.lex(text); }; };
} else if (name.startsWith("micromark")) {
  const { micromark } = await import("micromark");
  const { gfm, gfmHtml } = await import("micromark-extension-gfm");
  const opts = { extensions: [gfm()], htmlExtensions: [gfmHtml()] };
  render = (md) => micromark(md, opts);
  stream = () => { let text = ""; return (t) => { text += t; micromark(text, opts); }; };
} else if (name === "markdown-it") {
  const md = (await import("markdown-it")).default({ linkify: true });
  render = (text) => md.render(text);
  stream = () => { let text = ""; return (t) => { text += t; md.parse(text, {}); }; };
} else if (name === "@incremark/core") {
  const { createIncremarkParser } = await import("@incremark/core");
  render = null;
  stream = () => { const p = createIncremarkParser({ gfm: true }); return (t) => p.append(t); };
}
const html = render ? examples.map((md) => { try { return render(md); } catch (e) { return "ERROR " + e; } }) : null;
// CPU ms per token over tokens upTo-100..upTo (CPU time: a busy machine does
// not inflate it), median of 5 runs, after one warm-up run for the JIT.
const cpu = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
{ const feed = stream(); for (const t of tokens) feed(t); }
const cost = (upTo) => {
  const runs = [];
  for (let k = 0; k < 5; k++) {
    const feed = stream();
    for (let i = 0; i < upTo - 100; i++) feed(tokens[i]);
    const start = cpu();
    for (let i = upTo - 100; i < upTo; i++) feed(tokens[i]);
    runs.push((cpu() - start) / 100);
  }
  return runs.sort((a, b) => a - b)[2];
};
process.stdout.write(JSON.stringify({ html, early: cost(200), late: cost(2000) }));
"""


def bundle_gzip(directory: Path, entry: str) -> tuple[int, int]:
    source = directory / "entry.js"
    source.write_text(entry)
    out = subprocess.run([str(WIDGET / "node_modules" / ".bin" / "esbuild"), str(source), "--bundle", "--minify",
                          "--format=esm", "--log-level=error"], capture_output=True, check=True, cwd=directory).stdout
    return len(out), len(gzip.compress(out, 9))


def main() -> int:
    examples = [e for e in spec_examples() if e["section"] in SECTIONS]
    compared = [e for e in examples if not raw_html(cmarkgfm.markdown_to_html(str(e["markdown"]).replace("\u2192", "\t")))]
    tokens = stream_pieces(long_reply(2000))
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        subprocess.run(["npm", "init", "-y"], capture_output=True, check=True, cwd=directory)
        subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--loglevel=error", *PACKAGES], check=True, cwd=directory)
        old = subprocess.run(["git", "show", "ee47077:widget/src/markdown.js"], capture_output=True, text=True, check=True, cwd=ROOT)
        (directory / "old-markdown.mjs").write_text(old.stdout)
        runner = RUNNER.replace("LINKEDOM", str(WIDGET / "node_modules" / "linkedom" / "esm" / "index.js"))
        runner = runner.replace("CURRENT", str(WIDGET / "src" / "markdown.js"))
        (directory / "run.mjs").write_text(runner)
        (directory / "examples.json").write_text(json.dumps([str(e["markdown"]).replace("\u2192", "\t") for e in compared]))
        (directory / "tokens.json").write_text(json.dumps(tokens))
        for name, (entry, output) in CANDIDATES.items():
            minified, gzipped = bundle_gzip(directory, entry)
            run = subprocess.run(["node", "run.mjs", name, "examples.json", "tokens.json"], capture_output=True, text=True,
                                 cwd=directory)
            if run.returncode:
                raise SystemExit(f"{name}: {run.stderr[-2000:]}")
            result = json.loads(run.stdout)
            passed = None
            if result["html"] is not None:
                # Other parsers' HTML gets the same treatment as the reference's (headings
                # shifted, images as links); the widget's renderers do that themselves.
                theirs = not name.startswith("repchat")
                verdicts = [
                    canonical(got, reference=theirs) == canonical(str(e["html"]).replace("\u2192", "\t"), reference=True)
                    for got, e in zip(result["html"], compared)
                ]
                passed = sum(verdicts)
                if os.environ.get("SHOW_FAILURES") == name:
                    for ok, got, e in zip(verdicts, result["html"], compared):
                        if not ok:
                            print(e["number"], repr(e["markdown"]), canonical(got), sep="\n  ", file=sys.stderr)
            rows.append((name, output, minified, gzipped, passed, result["early"], result["late"]))
    print(f"CommonMark 0.31.2, {len(compared)} examples of the sections a chat uses (raw-HTML examples left out)\n")
    print("| parser | gives | min KB | gzip KB | conformance | ms/token at 200 | at 2,000 | late/early |")
    print("|---|---|--:|--:|--:|--:|--:|--:|")
    for name, output, minified, gzipped, passed, early, late in rows:
        score = "n/m" if passed is None else f"{passed / len(compared):.1%}"
        print(f"| {name} | {output} | {minified / 1024:.1f} | {gzipped / 1024:.1f} | {score} | {early:.3f} | {late:.3f} | {late / early:.1f}x |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
