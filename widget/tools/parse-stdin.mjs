// Reads JSON lines {bytes: [..numbers], cuts: [..]} from stdin and answers each
// with the events the widget's SSE parser finds, so Python's hypothesis can
// drive the widget parser with any chunking (tests/test_properties.py)..
import { createInterface } from "node:readline";
import { lines, messages } from "../src/sse.js";

const input = createInterface({ input: process.stdin });
for await (const line of input) {
  const { data, cuts } = JSON.parse(line);
  const bytes = Buffer.from(data, "base64");
  const out = [];
  const feed = lines(messages((m) => out.push([m.event, m.data, m.id])));
  let at = 0;
  for (const cut of [...cuts, bytes.length]) {
    if (cut > at) {
      feed(new Uint8Array(bytes.subarray(at, cut)));
      at = cut;
    }
  }
  process.stdout.write(JSON.stringify(out) + "\n");
}
