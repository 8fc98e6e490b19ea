// The widget's module boundaries, read from the sources: the view never
// reaches the network code, the network code never touches the page, and
// only the transport talks to the network.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const SRC = resolve(dirname(fileURLToPath(import.meta.url)), "../src");
const MODULES = readdirSync(SRC, { recursive: true }).filter((name) => name.endsWith(".js"));
const source = (name) => readFileSync(resolve(SRC, name), "utf8");

// The modules that draw; the modules that talk to the BFF.
const VIEW = ["launcher.js", "panel.js", "bubbles.js", "dom.js", "markdown.js", "styles.js", "contact.js", "rating.js"];
const NETWORK = ["transport.js", "sse.js"];
const TRANSPORT = "transport.js";

/** Source without comments, so a comment that mentions `document` does not count. */
export function code(text) {
  return text.replace(/\/\*[\s\S]*?\*\//g, "").replace(/(^|[^:"'`\\])\/\/.*$/gm, "$1");
}

/** Relative imports of a module, static or dynamic. */
export function importsOf(text) {
  const found = [];
  for (const match of code(text).matchAll(/(?:\bfrom\s*|\bimport\s*\(?\s*)["'](\.\/[^"']+)["']/g)) found.push(match[1].slice(2));
  return found;
}

/** Every module `name` reaches through imports, itself included. */
function reach(name, read = source) {
  const seen = new Set();
  const visit = (module) => {
    if (seen.has(module)) return;
    seen.add(module);
    for (const next of importsOf(read(module))) visit(join(dirname(module), next));
  };
  visit(name);
  return seen;
}

const PAGE = /\b(document|window|globalThis|self|HTMLElement|customElements|localStorage)\b|\.(createElement|querySelector|appendChild|attachShadow)\b/;
const NETWORK_CALL = /\b(fetch|XMLHttpRequest|EventSource|WebSocket|sendBeacon)\b|\bimport\s*\(/;
const SCRIPT_ELEMENT = /createElement\(\s*["'`]script/i;

test("the checks find what they look for", () => {
  const files = { "a.js": 'import { x } from "./b.js";\n// import "./c.js" in a comment\n', "b.js": 'export const x = import("./c.js");', "c.js": "" };
  assert.deepEqual([...reach("a.js", (name) => files[name])], ["a.js", "b.js", "c.js"]);
  assert.match(code("const a = document.body;"), PAGE);
  assert.doesNotMatch(code("// the document\n/* window */ const a = 1;"), PAGE);
  assert.match("navigator.sendBeacon(url)", NETWORK_CALL);
  assert.match("await fetch (url)", NETWORK_CALL);
  assert.match("new EventSource(url)", NETWORK_CALL);
  assert.match('doc.createElement("script")', SCRIPT_ELEMENT);
});

test("the view never imports the transport or the SSE code", () => {
  for (const view of VIEW) {
    const reached = reach(view);
    for (const network of NETWORK) assert.ok(!reached.has(network), `${view} reaches ${network}`);
  }
});

test("the transport and the SSE code never touch the page", () => {
  for (const module of NETWORK) {
    for (const reached of reach(module)) {
      const match = code(source(reached)).match(PAGE);
      assert.equal(match, null, `${reached} (reached from ${module}) uses ${match && match[0]}`);
    }
  }
});

test("only the transport talks to the network", () => {
  for (const module of MODULES) {
    if (module === TRANSPORT) continue;
    const match = code(source(module)).match(NETWORK_CALL);
    assert.equal(match, null, `${module} uses ${match && match[0]}; network calls belong in ${TRANSPORT}`);
  }
  assert.match(code(source(TRANSPORT)), NETWORK_CALL);
});

test("only the loader adds a script, the conversation UI's", () => {
  for (const module of MODULES) {
    if (module !== "loader.js") assert.doesNotMatch(code(source(module)), SCRIPT_ELEMENT, module);
  }
  assert.match(code(source("loader.js")), SCRIPT_ELEMENT);
});

test("every module is type-checked", () => {
  for (const module of MODULES) {
    assert.ok(source(module).startsWith("// @ts-check\n"), `${module} lacks // @ts-check`);
  }
});
