import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { capContext, cleanPage, describe, isSecretName, isSecretParam, scanContext, useRules } from "../src/context.js";
import { createStore } from "../src/storage.js";
import { formatter, isRtl, languageFor, LAUNCHER_EN } from "../src/i18n.js";
import { english } from "../src/strings.js";
import { TRANSLATIONS } from "../src/translations.js";

const EN = english();

const read = (path) => JSON.parse(readFileSync(new URL(path, import.meta.url), "utf8"));

test("without the BFF's rules every name counts as secret", () => {
  assert.equal(isSecretName("email"), true);
  assert.equal(cleanPage("https://a.example/p?plan=team"), "/p");
});

test("the shared vectors: secret names and parameters, in every spelling", () => {
  useRules(read("../../bff/static/redaction.json"));
  const vectors = read("../../tests/redaction-vectors.json");
  assert.deepEqual(vectors.secret_names.filter((name) => !isSecretName(name)), []);
  assert.deepEqual(vectors.ordinary_names.filter(isSecretName), []);
  assert.deepEqual(vectors.secret_params.filter((name) => !isSecretParam(name)), []);
  assert.deepEqual(vectors.kept_params.filter((name) => isSecretParam(name)), []);
});

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

test("the transcript expires with the visitor token, and both are cleared together", () => {
  const memory = new Map();
  const backend = { getItem: (k) => memory.get(k) ?? null, setItem: (k, v) => memory.set(k, v), removeItem: (k) => memory.delete(k) };
  const store = createStore("k", backend);
  const past = new Date(Date.now() - 1000).toISOString();
  store.save({ token: "t", expiresAt: past, messages: [{ role: "user", text: "my address is ..." }], scanSent: true });
  assert.deepEqual(store.load(), { token: "", expiresAt: "", messages: [], scanSent: false });
  assert.equal(memory.has("k"), false);
  const future = new Date(Date.now() + 60000).toISOString();
  store.save({ token: "t", expiresAt: future, messages: [{ role: "user", text: "hi" }], scanSent: true });
  assert.equal(store.load().token, "t");
  store.save({ token: "t", expiresAt: "garbage", messages: [{ role: "user", text: "hi" }], scanSent: true });
  assert.equal(store.load().token, "", "an unreadable expiry counts as expired");
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
  assert.equal(formatter(EN, EN)("filled", { fields: "name and email", form: "contact form" }), "Filled in your name and email on the contact form");
  assert.equal(formatter(TRANSLATIONS.es, EN)("send"), "Enviar");
  assert.equal(formatter({}, EN)("send"), "Send");
  // widget.js knows only the launcher's English; the chunk brings the rest.
  assert.equal(formatter({}, LAUNCHER_EN)("open"), "Open chat");
  assert.equal(formatter({}, LAUNCHER_EN)("send"), "send");
  assert.equal(formatter(TRANSLATIONS.es, LAUNCHER_EN)("send"), "Enviar");
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
