import { test } from "node:test";
import assert from "node:assert/strict";
import { parseBlocks, parseInline, safeHref } from "../src/markdown.js";

const types = (text, final = true) => parseBlocks(text, final).blocks.map((b) => b.type);

test("blocks: paragraphs, headings, lists, code, quotes, rules", () => {
  const text = "# Title\n\nHello **world**.\nSecond line.\n\n- one\n- two\n\n3. three\n4. four\n\n```js\nlet a = 1;\n```\n\n> quoted\n\n---\n";
  assert.deepEqual(types(text), ["h", "p", "ul", "ol", "code", "quote", "hr"]);
  const blocks = parseBlocks(text, true).blocks;
  assert.equal(blocks[3].start, 3);
  assert.deepEqual(blocks[2].items, ["one", "two"]);
  assert.equal(blocks[4].text, "let a = 1;");
  assert.equal(blocks[4].lang, "js");
});

test("only blocks that later text cannot change are done", () => {
  assert.deepEqual(parseBlocks("Hello wor", false), { blocks: [{ type: "p", text: "Hello wor" }], done: 0, doneLength: 0 });
  const two = parseBlocks("First.\n\nSecond", false);
  assert.equal(two.done, 1);
  assert.equal(two.doneLength, "First.\n\n".length);
  const fence = parseBlocks("```py\nprint(1)\n", false);
  assert.equal(fence.done, 0);
  assert.equal(fence.blocks[0].open, true);
  const closed = parseBlocks("```py\nprint(1)\n```\n", false);
  assert.equal(closed.done, 1);
  const list = parseBlocks("- a\n- b", false);
  assert.equal(list.done, 0);
});

test("inline: emphasis, code, links, breaks, escapes", () => {
  assert.deepEqual(parseInline("a **b** *c* `d` \\*e\\*"), [
    { t: "text", v: "a " }, { t: "strong", c: [{ t: "text", v: "b" }] }, { t: "text", v: " " },
    { t: "em", c: [{ t: "text", v: "c" }] }, { t: "text", v: " " }, { t: "code", v: "d" }, { t: "text", v: " *e*" },
  ]);
  assert.deepEqual(parseInline("[site](https://x.example/a)"), [
    { t: "a", href: "https://x.example/a", c: [{ t: "text", v: "site" }] },
  ]);
  assert.deepEqual(parseInline("see https://x.example/p."), [
    { t: "text", v: "see " }, { t: "a", href: "https://x.example/p", c: [{ t: "text", v: "https://x.example/p" }] }, { t: "text", v: "." },
  ]);
  assert.deepEqual(parseInline("snake_case_name"), [{ t: "text", v: "snake_case_name" }]);
});

test("unclosed markers render closed while streaming, literal when final", () => {
  assert.deepEqual(parseInline("a **bo", true), [{ t: "text", v: "a " }, { t: "strong", c: [{ t: "text", v: "bo" }] }]);
  assert.deepEqual(parseInline("a **bo", false), [{ t: "text", v: "a **bo" }]);
  assert.deepEqual(parseInline("[label](https://x.ex", true), [{ t: "span", c: [{ t: "text", v: "label" }] }]);
});

test("hostile links never get a dangerous href", () => {
  for (const url of ["javascript:alert(1)", "JAVASCRIPT:alert(1)", " javascript:x", "java\tscript:x", "data:text/html,x",
    "vbscript:x", "//evil.example", "/\\evil.example", "file:///etc/passwd", "\u0000javascript:x", 'https://x" onmouseover="x']) {
    assert.equal(safeHref(url), null, url);
  }
  for (const url of ["https://a.example", "http://a.example/x?y#z", "mailto:a@b.example", "tel:+123", "/pricing"]) {
    assert.equal(safeHref(url), url);
  }
  const nodes = parseInline("[click](javascript:alert(1)) ![img](https://t.example/p.png) <script>alert(1)</script>");
  const flat = JSON.stringify(nodes);
  assert.ok(!flat.includes('"href":"javascript'));
  assert.ok(flat.includes("<script>alert(1)</script>"), "raw HTML stays text");
  assert.equal(nodes[0].t, "span");
});

test("pathological input stays linear enough", () => {
  const start = Date.now();
  parseInline("*_`[".repeat(3000), true);
  parseBlocks("- a\n".repeat(5000), false);
  assert.ok(Date.now() - start < 2000);
});

test("every XSS vector renders as inert nodes", async () => {
  const { readFileSync } = await import("node:fs");
  const vectors = JSON.parse(readFileSync(new URL("../../tests/xss-vectors.json", import.meta.url), "utf8"));
  assert.ok(vectors.length >= 50);
  const allowed = new Set(["text", "strong", "em", "code", "a", "span", "br"]);
  const walk = (nodes) => {
    for (const node of nodes) {
      assert.ok(allowed.has(node.t), node.t);
      if (node.t === "a") assert.equal(safeHref(node.href), node.href, node.href);
      if (node.c) walk(node.c);
    }
  };
  for (const vector of vectors) {
    for (const block of parseBlocks(vector, true).blocks) {
      if (block.type === "code" || block.type === "hr") continue;
      for (const text of block.items || [block.text]) {
        walk(parseInline(text, false));
        walk(parseInline(text, true));
      }
    }
  }
});
