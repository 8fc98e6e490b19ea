import { test } from "node:test";
import assert from "node:assert/strict";
import { checkNavigate, findTarget, runCommand } from "../src/commands.js";

const PAGE = "https://shop.example/products?x=1";

test("navigation stays on the site or configured origins", () => {
  assert.deepEqual(checkNavigate("/pricing", PAGE), { url: "https://shop.example/pricing" });
  assert.deepEqual(checkNavigate("pricing#plans", PAGE), { url: "https://shop.example/pricing#plans" });
  assert.deepEqual(checkNavigate("https://docs.example/a", PAGE, ["https://docs.example"]), { url: "https://docs.example/a" });
  for (const url of ["javascript:alert(1)", "JavaScript:alert(1)", "java\tscript:alert(1)", " javascript:x", "data:text/html,<b>",
    "//other.example/x", "http://other.example", "https://shop.example.evil.example/", "http://shop.example/", "vbscript:x",
    "file:///etc/passwd", "", null, 5]) {
    assert.ok(checkNavigate(url, PAGE).blocked, String(url));
  }
});

/** A laid-out, visible element for findTarget (width and height in px). */
const shown = (extra, width = 100, height = 20) => ({
  tagName: "DIV", contains: () => false, checkVisibility: () => true,
  getBoundingClientRect: () => ({ width, height, right: width, bottom: height }),
  ownerDocument: { defaultView: { scrollX: 0, scrollY: 0 } }, ...extra,
});

test("selectors never resolve to the widget", () => {
  const host = { contains: (el) => el === inner };
  const inner = shown({ id: "inner" });
  const outside = shown({ id: "outside" });
  const doc = { querySelector: (sel) => ({ "#inner": inner, "#outside": outside, "repchat-widget": host })[sel] || null };
  assert.equal(findTarget(doc, "#outside", host), outside);
  assert.equal(findTarget(doc, "#inner", host), null);
  assert.equal(findTarget(doc, "repchat-widget", host), null);
  assert.equal(findTarget({ querySelector: () => { throw new Error("bad selector"); } }, "::(", host), null);
  assert.equal(findTarget(doc, "x".repeat(300), host), null);
});

test("selectors name only ids, classes and data-* attributes of visible elements", () => {
  const seen = [];
  const element = shown({ id: "a" });
  const doc = { querySelector: (sel) => (seen.push(sel), element) };
  for (const good of ["#faq", ".plan-pro", "[data-plan]", "#pricing > .plan.pro", "#a [data-x] .b", "#ok_1"]) {
    assert.equal(findTarget(doc, good, null), element, good);
  }
  const bad = ["input[name=csrf][value^=a]", "[data-x=y]", "#a:has(input)", "meta", "a", "#a:not(.b)", "[name]",
    "link[rel=preload]", "#a, #b", "* ", "#a ~ .b", "[data-repchat-id]", "#x\\:y"];
  for (const selector of bad) assert.equal(findTarget(doc, selector, null), null, selector);
  assert.deepEqual(seen.length, 6, "a refused selector is never even tried");
  const hidden = (extra) => findTarget({ querySelector: () => shown(extra) }, "#x", null);
  assert.equal(hidden({ tagName: "META" }), null);
  assert.equal(hidden({ tagName: "INPUT", type: "hidden" }), null);
  assert.equal(hidden({ checkVisibility: () => false }), null);
  assert.equal(hidden({ getBoundingClientRect: () => ({ width: 0, height: 0, right: 0, bottom: 0 }) }), null);
});

test("host handlers run before built-ins, unknown types are ignored", async () => {
  const seen = [];
  const env = { handlers: { open_modal: (c) => seen.push(c.id) }, doc: {}, win: {}, host: null };
  assert.equal((await runCommand({ type: "open_modal", id: "pricing" }, env)).result, "executed");
  assert.deepEqual(seen, ["pricing"]);
  assert.equal((await runCommand({ type: "launch_rockets" }, { ...env, handlers: {} })).result, "ignored");
  const failing = { ...env, handlers: { highlight: () => false } };
  assert.equal((await runCommand({ type: "highlight", selector: "#x" }, failing)).result, "failed");
});

test("collect_contact opens the chat's card with only its own fields; a missing window is said, not faked", async () => {
  const opened = [];
  const doc = { getElementById: () => null, querySelector: () => null, querySelectorAll: () => [], links: [], location: new URL("https://shop.example/") };
  const env = { handlers: {}, doc, win: {}, host: null, contact: (prefill) => opened.push(prefill) };
  const command = { type: "collect_contact", prefill: { name: "Ada", email: "ada@example.com", password: "x", phone: 5 } };
  assert.deepEqual(await runCommand(command, env), { result: "executed", key: "c_offered" });
  assert.deepEqual(opened, [{ name: "Ada", email: "ada@example.com" }]);
  // The chat, not the command, offers its own card for a window the page lacks (chat.js, env.contact).
  const missing = await runCommand({ type: "open_modal", id: "contact" }, env);
  assert.equal(missing.result, "blocked");
  assert.equal(missing.key, "noModal");
  assert.equal(opened.length, 1);
  assert.equal((await runCommand({ type: "collect_contact" }, { ...env, contact: undefined })).result, "blocked");
});
