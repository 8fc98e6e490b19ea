import { test } from "node:test";
import assert from "node:assert/strict";
import { parseAll, lines, messages } from "../src/sse.js";

const STREAM =
  ': ok\n\nevent: token\nid: a.1\ndata: {"content":"Hel"}\n\nevent: token\nid: a.2\ndata: {"content":"lo\\u2028"}\n\n' +
  'event: done\nid: a.3\ndata: {"message":{"content":"Hello"}}\n\n';
const EXPECTED = [
  { event: "token", data: '{"content":"Hel"}', id: "a.1" },
  { event: "token", data: '{"content":"lo\\u2028"}', id: "a.2" },
  { event: "done", data: '{"message":{"content":"Hello"}}', id: "a.3" },
];

test("LF, CRLF and CR line ends read the same", () => {
  assert.deepEqual(parseAll(STREAM), EXPECTED);
  assert.deepEqual(parseAll(STREAM.replaceAll("\n", "\r\n")), EXPECTED);
  assert.deepEqual(parseAll(STREAM.replaceAll("\n", "\r")), EXPECTED);
});

test("frames split at every byte read the same", () => {
  for (const ending of ["\n", "\r\n", "\r"]) {
    const text = STREAM.replaceAll("\n", ending);
    assert.deepEqual(parseAll(text, [1]), EXPECTED, "1-byte chunks " + JSON.stringify(ending));
    const bytes = new TextEncoder().encode(text);
    for (let cut = 1; cut < bytes.length; cut++) {
      assert.deepEqual(parseAll(bytes, [cut, bytes.length]), EXPECTED, "cut at " + cut);
    }
  }
});

test("a CRLF split across two chunks is one line end", () => {
  const out = [];
  const feed = lines(messages((m) => out.push(m.data)));
  const enc = new TextEncoder();
  feed(enc.encode("data: a\r"));
  feed(enc.encode("\ndata: b\r"));
  feed(enc.encode("\n\r"));
  feed(enc.encode("\n"));
  assert.deepEqual(out, ["a\nb"]);
});

test("a leading BOM is dropped, once", () => {
  const bom = "\ufeff";
  assert.deepEqual(parseAll(bom + "data: x\n\n"), [{ event: "", data: "x", id: "" }]);
  assert.deepEqual(parseAll(bom + ": c\n\ndata: y\n\n"), [{ event: "", data: "y", id: "" }]);
  const split = new TextEncoder().encode(bom + "data: z\n\n");
  assert.deepEqual(parseAll(split, [1]), [{ event: "", data: "z", id: "" }]);
  assert.deepEqual(parseAll("data: " + bom + "k\n\n")[0].data, bom + "k");
});

test("comments, multi-line data, ids and unknown fields", () => {
  const comments = [];
  const out = [];
  const feed = lines(messages((m) => out.push({ ...m }), (c) => comments.push(c)));
  feed(new TextEncoder().encode(": ping\n\ndata: one\ndata:two\nfoo: bar\nid: 7\nretry: 100\n\ndata\n\nid: 8\n\ndata: after\n\n"));
  assert.deepEqual(comments, [" ping"]);
  assert.deepEqual(out.map((m) => [m.data, m.id]), [["one\ntwo", "7"], ["", "7"], ["after", "8"]]);
});

test("an event without data is not dispatched", () => {
  assert.deepEqual(parseAll("event: token\n\nid: 1\n\n"), []);
});
