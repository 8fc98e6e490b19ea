// The embed doctor's pure parts: the CSP source matching (the same cases as
// the BFF's bff/csp.py, from tests/csp-vectors.json) and how the timed
// diagnostic stream is read (live, bunched, compressed).
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { allows } from "../src/doctor/csp.js";
import { checkStream } from "../src/doctor/checks.js";

const VECTORS = JSON.parse(readFileSync(new URL("../../tests/csp-vectors.json", import.meta.url), "utf8")).cases;

test("CSP source lists match as the BFF's check matches them", () => {
  for (const [policy, kind, url, page, allowed] of VECTORS) {
    assert.equal(allows([policy], kind, new URL(url), new URL(page)).allowed, allowed, `${policy} | ${kind} ${url} on ${page}`);
  }
});

test("a refusing policy names its directive; every policy must allow", () => {
  const verdict = allows(["default-src 'self'"], "connect-src", new URL("https://chat.example.com/v1/x"), new URL("https://shop.example/"));
  assert.deepEqual(verdict, { allowed: false, directive: "default-src", sources: ["'self'"] });
  const two = ["connect-src *", "connect-src 'self'"];
  assert.equal(allows(two, "connect-src", new URL("https://chat.example.com/v1/x"), new URL("https://shop.example/")).allowed, false);
  // 'strict-dynamic': a script added by a trusted script (the doctor, the chunk) is allowed whatever the host list says.
  assert.equal(allows(["script-src 'nonce-abc' 'strict-dynamic'"], "script-src-elem", new URL("https://chat.example.com/w.js"), new URL("https://shop.example/")).allowed, true);
});

/** Ticks sent 250 ms apart, arriving at `arrivals` (ms after the first). */
const probe = (arrivals, encoding = "") => ({
  status: 200, error: {}, started: 0, encoding, url: "https://chat.example.com/v1/diagnostics/stream",
  ticks: arrivals.map((at, i) => ({ n: i + 1, sentAt: 1000 + i * 250, at: 5000 + at })),
});

test("events that arrive as they were sent are live; bunched ones name a buffering proxy and its fix", () => {
  const [live, packed] = checkStream(probe([0, 251, 499, 752, 1001, 1249]), { encoded: 348, decoded: 348 });
  assert.equal(live.status, "ok");
  assert.equal(packed.status, "ok");
  assert.match(packed.detail, /348 bytes on the wire for 348 decoded/);
  const [held, plain] = checkStream(probe([0, 1, 1, 2, 2, 3]), { encoded: 348, decoded: 348 });
  assert.equal(held.status, "fail");
  assert.match(held.detail, /6 events sent over 1250 ms arrived within 3 ms/);
  assert.match(held.fix, /proxy_buffering off/);
  assert.equal(plain.status, "ok");
});

test("a compressed stream is told by Resource Timing or by Content-Encoding, and named as the cause when bunched", () => {
  const [held, packed] = checkStream(probe([0, 0, 0, 0, 0, 0]), { encoded: 120, decoded: 348 });
  assert.equal(packed.status, "fail");
  assert.match(held.detail, /compressed on the way/);
  const [live, flushed] = checkStream(probe([0, 250, 500, 750, 1000, 1250], "br"), null);
  assert.equal(live.status, "ok");
  assert.equal(flushed.status, "warn");
  assert.match(flushed.detail, /Content-Encoding: br/);
  const [skipped] = checkStream({ ...probe([]), status: 403 }, null);
  assert.equal(skipped.status, "skip");
});
