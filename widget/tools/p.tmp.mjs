import { readFileSync } from "node:fs";
import { BlockParser } from "../src/markdown/blocks.js";
const tokens = JSON.parse(readFileSync("/tmp/code_tokens.json", "utf8"));
const parser = new BlockParser(new Map());
let text = "", fed = 0; const times = [];
for (const tok of tokens) {
  const t0 = performance.now();
  text += tok;
  let end; while ((end = text.indexOf("\n", fed)) !== -1) { parser.addLineText(text.slice(fed, end)); fed = end + 1; }
  const rest = text.slice(fed); const view = rest ? parser.fork() : parser; if (rest) view.addLineText(rest);
  const code = view.doc.children[0]; code && code.text.startsWith("x");
  times.push(performance.now() - t0);
}
const avg = (a) => (a.reduce((x, y) => x + y, 0) / a.length).toFixed(4);
console.log(avg(times.slice(50, 150)), avg(times.slice(-100)));
