import { test } from "node:test";
import assert from "node:assert/strict";
import { visitorKey } from "../src/errors.js";
import { english } from "../src/strings.js";
import { TRANSLATIONS } from "../src/translations.js";

const EN = english();

// Codes the widget can meet; REPCHAT_ERROR_CODES (set by tests/test_error_words.py) adds every code in bff/.
const CODES = [
  "network", "rate_limited", "interrupted", "origin_not_allowed", "upstream_auth", "profile_unknown", "http_502",
  "http_404", "something_new", ...(process.env.REPCHAT_ERROR_CODES || "").split(",").filter(Boolean),
];

test("every error code has a visitor sentence in every shipped language", () => {
  for (const code of CODES) {
    const key = visitorKey(code);
    assert.ok(EN[key], `en has no ${key} for ${code}`);
    for (const [lang, table] of Object.entries(TRANSLATIONS)) assert.ok(table[key], `${lang} has no ${key} for ${code}`);
  }
});

test("configuration errors read as unavailable, service errors as not answering", () => {
  assert.equal(visitorKey("origin_not_allowed"), "unavailable");
  assert.equal(visitorKey("profile_unknown"), "unavailable");
  assert.equal(visitorKey("upstream_auth"), "unavailable");
  assert.equal(visitorKey("too_many_streams"), "rateLimited");
  assert.equal(visitorKey("stream_gone"), "interrupted");
  assert.equal(visitorKey("upstream_timeout"), "serviceDown");
  assert.equal(visitorKey("http_503"), "serviceDown");
  assert.equal(visitorKey("http_404"), "failed");
});
