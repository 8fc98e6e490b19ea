import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { parseHTML } from "linkedom";
import { createRenderer, parseInline, safeHref } from "../src/markdown.js";
import { imageAllowed, misleads, parseImageHosts } from "../src/markdown/links.js";

const { document } = parseHTML("<!doctype html><html><body></body></html>");

/** Render markdown whole (or streamed in `cuts`) and return the container. */
function render(markdown, { cuts = [], imageHosts = [] } = {}) {
  const container = document.createElement("div");
  const renderer = createRenderer(document, container, { imageHosts });
  let at = 0;
  for (const cut of cuts) {
    renderer.append(markdown.slice(at, cut));
    renderer.render();
    at = cut;
  }
  renderer.append(markdown.slice(at));
  renderer.finish();
  return container;
}
// (dir="auto" is on every text block; left out here to keep the expectations readable)
const html = (markdown, options) => render(markdown, options).innerHTML.replaceAll(' dir="auto"', "");

test("inline: emphasis, code, links, breaks, escapes", () => {
  assert.deepEqual(parseInline("a **b** *c* `d` \\*e\\*"), [
    { t: "text", v: "a " }, { t: "strong", c: [{ t: "text", v: "b" }] }, { t: "text", v: " " },
    { t: "em", c: [{ t: "text", v: "c" }] }, { t: "text", v: " " }, { t: "code", v: "d" }, { t: "text", v: " *e*" },
  ]);
  assert.deepEqual(parseInline("*a **b** c*"), [
    { t: "em", c: [{ t: "text", v: "a " }, { t: "strong", c: [{ t: "text", v: "b" }] }, { t: "text", v: " c" }] },
  ]);
  assert.deepEqual(parseInline("***x***"), [{ t: "em", c: [{ t: "strong", c: [{ t: "text", v: "x" }] }] }]);
  assert.deepEqual(parseInline("`` a ` b ``"), [{ t: "code", v: "a ` b" }]);
  assert.deepEqual(parseInline("[x](https://e.example/a_(b))"), [
    { t: "a", href: "https://e.example/a_(b)", title: "", c: [{ t: "text", v: "x" }] },
  ]);
  assert.deepEqual(parseInline("<https://e.example>"), [
    { t: "a", href: "https://e.example", title: "", auto: true, c: [{ t: "text", v: "https://e.example" }] },
  ]);
  assert.deepEqual(parseInline("see https://x.example/p."), [
    { t: "text", v: "see " }, { t: "a", href: "https://x.example/p", title: "", auto: true, c: [{ t: "text", v: "https://x.example/p" }] },
    { t: "text", v: "." },
  ]);
  assert.deepEqual(parseInline("snake_case_name"), [{ t: "text", v: "snake_case_name" }]);
});

test("blocks the issue names: nested lists, code in numbered steps, tables", () => {
  assert.equal(html("- Plans\n    - Team\n    - Pro\n- Support"),
    "<ul><li>Plans<ul><li>Team</li><li>Pro</li></ul></li><li>Support</li></ul>");
  const steps = html("1. Install:\n\n   ```sh\n   npm i\n   ```\n\n   Then run it.\n2. Done");
  assert.match(steps, /^<ol><li><p>Install:<\/p><div class="code">.*<code class="language-sh"><span>npm i\n<\/span><\/code><\/pre><\/div><p>Then run it.<\/p><\/li><li><p>Done<\/p><\/li><\/ol>$/s);
  assert.equal(html("~~old~~ new"), "<p><del>old</del> new</p>");
  assert.match(html("| Plan | Price |\n|:--|--:|\n| Pro | $9 |"), /<div tabindex="0" class="table"><table><thead><tr><th align="left">Plan<\/th>/);
  const [done, open] = render("- [x] done\n- [ ] open").querySelectorAll("li.task input[type=checkbox][disabled]");
  assert.ok(done.hasAttribute("checked") && !open.hasAttribute("checked"));
  assert.equal(done.parentNode.textContent, "done");
});

test("hostile links never get a dangerous href", () => {
  for (const url of ["javascript:alert(1)", "JAVASCRIPT:alert(1)", " javascript:x", "java\tscript:x", "data:text/html,x",
    "vbscript:x", "//evil.example", "file:///etc/passwd", "\u0000javascript:x"]) {
    assert.equal(safeHref(url), null, url);
  }
  for (const url of ["https://a.example", "http://a.example/x?y#z", "mailto:a@b.example", "tel:+123", "/pricing", "faq#top", ""]) {
    assert.equal(safeHref(url), url);
  }
  // what a browser would read as "//" stays a path on this site
  assert.equal(safeHref("/\\evil.example"), "/%5Cevil.example");
  assert.equal(safeHref('https://x" onmouseover="x'), "https://x%22%20onmouseover=%22x");
  const out = html("[click](javascript:alert(1)) <script>alert(1)</script>");
  assert.equal(out, "<p><span>click</span> &lt;script&gt;alert(1)&lt;/script&gt;</p>");
});

test("a link whose text is another site's address shows where it really goes", () => {
  assert.ok(misleads("https://bank.example/login", "https://evil.example/login"));
  assert.ok(misleads("bank.example", "/login"));
  assert.ok(!misleads("https://www.bank.example/", "https://bank.example/login"));
  assert.ok(!misleads("our pricing", "https://evil.example"));
  const a = render("[https://bank.example/login](https://evil.example/login)").querySelector("a");
  assert.equal(a.getAttribute("href"), "https://evil.example/login");
  assert.equal(a.textContent, "https://evil.example/login");
  assert.equal(a.getAttribute("rel"), "noopener noreferrer nofollow");
});

test("images are links unless the owner lists their host", () => {
  const link = render("![chart](https://cdn.example/c.png)").querySelector("p > a");
  assert.equal(link.getAttribute("href"), "https://cdn.example/c.png");
  assert.equal(link.textContent, "chart");
  const hosts = parseImageHosts("cdn.example, .pics.example");
  assert.deepEqual(hosts, ["cdn.example", ".pics.example"]);
  assert.ok(imageAllowed("https://a.pics.example/x.png", hosts));
  assert.ok(!imageAllowed("https://evil.example/cdn.example.png", hosts));
  assert.ok(!imageAllowed("/local.png", hosts));
  const img = render("![chart](https://cdn.example/c.png)", { imageHosts: hosts }).querySelector("p > img");
  assert.equal(img.getAttribute("src"), "https://cdn.example/c.png");
  assert.equal(img.getAttribute("alt"), "chart");
  assert.equal(img.getAttribute("referrerpolicy"), "no-referrer");
});

test("every XSS vector renders as inert nodes", () => {
  const vectors = JSON.parse(readFileSync(new URL("../../tests/xss-vectors.json", import.meta.url), "utf8"));
  assert.ok(vectors.length >= 50);
  const allowed = new Set(["P", "A", "SPAN", "EM", "STRONG", "DEL", "CODE", "PRE", "BR", "HR", "UL", "OL", "LI", "BLOCKQUOTE",
    "H3", "H4", "H5", "H6", "DIV", "BUTTON", "TABLE", "THEAD", "TBODY", "TR", "TH", "TD", "INPUT"]);
  for (const vector of vectors) {
    for (const cuts of [[], [...vector].map((_, i) => i)]) {
      const container = render(vector, { cuts });
      for (const element of container.querySelectorAll("*")) {
        assert.ok(allowed.has(element.tagName), `${element.tagName} from ${vector}`);
        for (const { name } of element.attributes) assert.ok(!name.startsWith("on"), `${name} from ${vector}`);
        if (element.tagName === "A") assert.equal(safeHref(element.getAttribute("href")), element.getAttribute("href"));
      }
    }
  }
});

test("pathological input neither overflows the stack nor goes quadratic", () => {
  const start = Date.now();
  for (const text of ["*_`[".repeat(3000), "- a\n".repeat(5000), "[".repeat(5000) + "]".repeat(5000), "[a](".repeat(3000),
    "`a ``b ".repeat(3000), "<a ".repeat(5000), "*a ".repeat(5000)]) html(text);
  // nesting: quotes and lists stop at 32 levels, inline markup at 48
  for (const text of [">".repeat(2000) + " deep", "  - ".repeat(500) + "x", "![".repeat(5000) + "a" + "](x)".repeat(5000),
    "*a **".repeat(3000) + "b" + "** a*".repeat(3000), "**".repeat(5000) + "a" + "**".repeat(5000)]) {
    assert.ok(render(text).textContent.length > 0);
  }
  // generous: each input takes milliseconds; quadratic behaviour takes seconds
  assert.ok(Date.now() - start < 5000, `${Date.now() - start} ms`);
});

test("while a line streams, open emphasis and code show as they will end, without flipping", () => {
  const streamed = (text) => {
    const container = document.createElement("div");
    const renderer = createRenderer(document, container);
    renderer.append(text);
    renderer.render();
    const during = container.innerHTML.replaceAll(' dir="auto"', "");
    renderer.finish();
    return [during, container.innerHTML.replaceAll(' dir="auto"', "")];
  };
  assert.deepEqual(streamed("Hello **wor"), ["<p>Hello <strong>wor</strong></p>", "<p>Hello **wor</p>"]);
  assert.deepEqual(streamed("Run `npm i"), ["<p>Run <code>npm i</code></p>", "<p>Run `npm i</p>"]);
  assert.deepEqual(streamed("**Note: `x"), ["<p><strong>Note: <code>x</code></strong></p>", "<p>**Note: `x</p>"]);
  assert.deepEqual(streamed("a ~~b"), ["<p>a <del>b</del></p>", "<p>a ~~b</p>"]);
  assert.deepEqual(streamed("2 * 3 = 6"), ["<p>2 * 3 = 6</p>", "<p>2 * 3 = 6</p>"]);
  assert.deepEqual(streamed("snake_case"), ["<p>snake_case</p>", "<p>snake_case</p>"]);
});
