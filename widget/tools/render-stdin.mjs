// Reads JSON lines {markdown, cuts?, imageHosts?} from stdin and answers each
// with the HTML the widget's renderer builds for it (in linkedom's DOM), so
// Python tests can score it against CommonMark's examples and cmark-gfm.
// With `cuts`, the text is streamed in those pieces with a render after each,
// as the widget does while a reply arrives. `--examples` prints the
// commonmark-spec package's examples instead.
import { createInterface } from "node:readline";
import { createRequire } from "node:module";
import { parseHTML } from "linkedom";
import { createRenderer } from "../src/markdown.js";

const { document } = parseHTML("<!doctype html><html><body></body></html>");
const examples = process.argv.includes("--examples");
if (examples) process.stdout.write(JSON.stringify(createRequire(import.meta.url)("commonmark-spec").tests) + "\n");
for await (const line of examples ? [] : createInterface({ input: process.stdin })) {
  const { markdown, cuts, imageHosts } = JSON.parse(line);
  const container = document.createElement("div");
  const renderer = createRenderer(document, container, { imageHosts: imageHosts || [] });
  let at = 0;
  for (const cut of cuts || []) {
    renderer.append(markdown.slice(at, cut));
    renderer.render();
    at = cut;
  }
  renderer.append(markdown.slice(at));
  renderer.finish();
  process.stdout.write(JSON.stringify(container.innerHTML) + "\n");
}
