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

test("selectors never resolve to the widget", () => {
  const host = { contains: (el) => el === inner };
  const inner = { id: "inner" };
  const outside = { id: "outside", contains: () => false };
  const doc = { querySelector: (sel) => ({ "#inner": inner, "#outside": outside, "repchat-widget": host })[sel] || null };
  assert.equal(findTarget(doc, "#outside", host), outside);
  assert.equal(findTarget(doc, "#inner", host), null);
  assert.equal(findTarget(doc, "repchat-widget", host), null);
  assert.equal(findTarget({ querySelector: () => { throw new Error("bad selector"); } }, "::(", host), null);
  assert.equal(findTarget(doc, "x".repeat(300), host), null);
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
  const doc = { getElementById: () => null, querySelector: () => null, links: [], location: new URL("https://shop.example/") };
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
