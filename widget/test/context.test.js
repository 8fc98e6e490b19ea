import { test } from "node:test";
import assert from "node:assert/strict";
import { capContext, cleanPage, describe, scanContext } from "../src/context.js";
import { createStore } from "../src/storage.js";
import { EN, formatter, isRtl, languageFor } from "../src/strings.js";
import { TRANSLATIONS } from "../src/translations.js";

test("current page keeps path and query, minus secrets and fragment", () => {
  assert.equal(cleanPage("https://a.example/p/q?x=1&token=abc&reset_key=9&utm_source=ad#top"), "/p/q?x=1&utm_source=ad");
  assert.equal(cleanPage("https://a.example/"), "/");
  assert.equal(cleanPage("not a url"), "");
});

test("clicked elements are described briefly", () => {
  const el = (attrs, extra = {}) => ({ getAttribute: (n) => attrs[n] || null, ...extra });
  assert.equal(describe(el({ "data-repchat-id": "plan-team" }, { id: "x" })), "plan-team");
  assert.equal(describe(el({}, { id: "buy" })), "#buy");
  assert.equal(describe(el({ "aria-label": "Close menu" })), "Close menu");
  assert.equal(describe(el({}, { textContent: "  Choose   Team\n plan " + "x".repeat(100) })).length, 60);
});

test("context is capped by trimming form data, then clicks", () => {
  const context = { currentPage: "/", selectedElements: ["a", "b"], formData: {} };
  for (let i = 0; i < 50; i++) context.formData["f" + i] = "v".repeat(300);
  capContext(context, 2000);
  assert.ok(JSON.stringify(context).length <= 2000);
  assert.ok(Object.keys(context.formData).length < 50);
  assert.deepEqual(context.selectedElements, ["a", "b"]);
});

test("scan context says how the visitor arrived", () => {
  const win = (href, referrer = "") => ({ location: { href }, document: { title: "Maya · Lumen", referrer } });
  assert.deepEqual(scanContext(win("https://b.example/r/maya?src=qr&c=booth-42&token=x")), {
    source: "qr_scan", tabTitle: "Maya · Lumen", pageUrl: "https://b.example/r/maya?src=qr&c=booth-42", campaign: "booth-42",
  });
  const web = scanContext(win("https://b.example/?utm_source=news&utm_campaign=fall", "https://news.example/post#c"));
  assert.equal(web.source, "web");
  assert.equal(web.campaign, "fall");
  assert.equal(web.referrer, "https://news.example/post");
  assert.deepEqual(web.utm, { utm_source: "news", utm_campaign: "fall" });
});

test("storage survives a broken backend and round-trips state", () => {
  const memory = new Map();
  const backend = { getItem: (k) => memory.get(k) ?? null, setItem: (k, v) => memory.set(k, v), removeItem: (k) => memory.delete(k) };
  const store = createStore("k", backend);
  assert.deepEqual(store.load().messages, []);
  store.save({ token: "t", expiresAt: "", messages: [{ role: "user", text: "hi" }], scanSent: true });
  assert.equal(store.load().messages[0].text, "hi");
  memory.set("k", "{not json");
  assert.deepEqual(store.load().messages, []);
  const broken = createStore("k", { getItem() { throw new Error("denied"); }, setItem() { throw new Error("full"); } });
  assert.deepEqual(broken.load().messages, []);
  broken.save({ messages: [] });
});

test("strings follow the language, English as fallback", () => {
  assert.equal(languageFor("es-MX"), "es");
  assert.equal(languageFor(undefined, "de-AT"), "de");
  assert.equal(languageFor("xx", "yy"), "en");
  assert.ok(isRtl("ar") && !isRtl("en"));
  assert.equal(formatter(EN)("filled", { fields: "name and email", form: "contact form" }), "Filled in your name and email on the contact form");
  assert.equal(formatter(TRANSLATIONS.es)("send"), "Enviar");
  assert.equal(formatter({})("send"), "Send");
});

test("every translation has exactly the English keys and placeholders", () => {
  for (const [lang, table] of Object.entries(TRANSLATIONS)) {
    assert.deepEqual(Object.keys(table).sort(), Object.keys(EN).sort(), lang);
    for (const key of Object.keys(EN)) {
      const holes = (text) => (text.match(/\{\w+\}/g) || []).sort().join();
      assert.equal(holes(table[key]), holes(EN[key]), lang + "." + key);
    }
  }
});
