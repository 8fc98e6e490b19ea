// Streaming properties of the markdown renderer, with fast-check: a reply
// drawn piece by piece ends exactly as the whole reply drawn at once, and a
// block the parser has finished is never rebuilt or changed afterwards.
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { parseHTML } from "linkedom";
import { createRenderer } from "../src/markdown.js";

const { document } = parseHTML("<!doctype html><html><body></body></html>");

// What models write, plus markdown's sharp edges.
const FRAGMENTS = [
  "# Plans", "Setext\n---", "Some *emphasis*, **strong** and ***both***.", "`code` and `` a ` b ``",
  "- one\n- two\n    - nested\n    - again", "1. step\n\n   ```js\n   run()\n   ```\n\n   More.\n2. next",
  "> quoted\n> > deeper\nlazy", "```py\nprint('x')\n\n\nend\n```", "~~~\nunclosed tilde", "    indented\n    code",
  "| Plan | Price |\n|:--|--:|\n| Pro | $9 |\n| Team | $29 |", "a [link](https://x.example/a_(b) \"t\") and www.example.com.",
  "~~gone~~ <b>raw</b> &amp; &copy; &#35;", "***", "Line  \nbreak\\\nagain", "- [ ] task\n- [x] done", "[ref]: /url 'title'",
  "use [ref] and [ref][] and ![ref]", "* a\n\n* b", "2) two\n3) three", "  \t", "", "Hello **wor", "[half](https://x",
];
const CHARS = "*_`[]()#>-+ \n|~!\\&1.:x\t<".split("");

const markdown = fc.oneof(
  fc.array(fc.constantFrom(...FRAGMENTS), { maxLength: 8 }).chain((parts) =>
    fc.array(fc.constantFrom("\n", "\n\n", "\r\n"), { minLength: parts.length, maxLength: parts.length })
      .map((seps) => parts.map((p, i) => p + seps[i]).join(""))),
  fc.array(fc.constantFrom(...CHARS), { maxLength: 80 }).map((chars) => chars.join("")),
);
const withCuts = markdown.chain((text) =>
  fc.tuple(fc.constant(text), fc.uniqueArray(fc.integer({ min: 0, max: text.length }), { maxLength: 40 }).map((cuts) => cuts.sort((a, b) => a - b))));

function stream(text, cuts, onRender) {
  const container = document.createElement("div");
  const renderer = createRenderer(document, container);
  let at = 0;
  for (const cut of cuts) {
    renderer.append(text.slice(at, cut));
    renderer.render();
    if (onRender) onRender(container);
    at = cut;
  }
  renderer.append(text.slice(at));
  renderer.finish();
  return container;
}

test("drawn token by token equals drawn whole", () => {
  fc.assert(
    fc.property(withCuts, ([text, cuts]) => {
      assert.equal(stream(text, cuts).innerHTML, stream(text, []).innerHTML, JSON.stringify(text));
    }),
    { numRuns: Number(process.env.RUNS || 400) },
  );
});

test("every character as its own token equals whole, for each fragment", () => {
  for (const fragment of FRAGMENTS) {
    const text = fragment + "\n\nafter";
    const cuts = [...text].map((_, i) => i);
    assert.equal(stream(text, cuts).innerHTML, stream(text, []).innerHTML, JSON.stringify(text));
  }
});

test("finished blocks are never rebuilt", () => {
  // Blocks separated by blank lines: once block k+2 shows, block k is finished.
  const blocks = fc.array(fc.constantFrom(...FRAGMENTS.filter((f) => f.trim() && !f.includes("[ref]") && !f.startsWith("~~~"))), { minLength: 3, maxLength: 8 });
  fc.assert(
    fc.property(blocks, fc.integer({ min: 1, max: 7 }), (parts, step) => {
      const text = parts.join("\n\n<!-- -->\n\n"); // a paragraph between, so lists and quotes end
      const cuts = [];
      for (let i = step; i < text.length; i += step) cuts.push(i);
      const seen = new Map(); // node -> its HTML when first seen finished
      stream(text, cuts, (container) => {
        const kids = [...container.childNodes];
        for (let i = 0; i + 2 < kids.length; i++) {
          const node = kids[i];
          const html = node.outerHTML ?? node.textContent;
          if (!seen.has(node)) seen.set(node, html);
          else assert.equal(html, seen.get(node), "a finished block changed");
        }
        for (const node of seen.keys()) assert.ok(node.parentNode === container, "a finished block was removed");
      });
    }),
    { numRuns: 150 },
  );
});
