// Bundle widget/src into one minified IIFE at bff/static/widget.js, where the
// Python package serves it from. `--check` builds in memory and fails when
// the committed file differs, so a stale bundle cannot ship.
import { build } from "esbuild";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { TRANSLATIONS } from "./src/translations.js";

const here = dirname(fileURLToPath(import.meta.url));
const out = resolve(here, "../bff/static/widget.js");
const i18n = resolve(here, "../bff/static/i18n");
const version = /^version\s*=\s*"([^"]+)"/m.exec(readFileSync(resolve(here, "../pyproject.toml"), "utf8"))[1];

const result = await build({
  entryPoints: [resolve(here, "src/index.js")],
  bundle: true,
  minify: true,
  format: "iife",
  target: ["es2020", "chrome100", "firefox100", "safari15"],
  legalComments: "none",
  charset: "utf8",
  define: { __REPCHAT_VERSION__: JSON.stringify(version) },
  banner: { js: `/* repchat widget ${version} */` },
  write: false,
});
const code = result.outputFiles[0].contents;
const gzipped = gzipSync(code, { level: 9 }).length;
const outputs = new Map([[out, Buffer.from(code)]]);
for (const [lang, table] of Object.entries(TRANSLATIONS)) {
  outputs.set(resolve(i18n, lang + ".json"), Buffer.from(JSON.stringify(table) + "\n"));
}

if (process.argv.includes("--check")) {
  for (const [path, content] of outputs) {
    let current = null;
    try {
      current = readFileSync(path);
    } catch (_) {
      // missing counts as stale
    }
    if (!current || Buffer.compare(current, content) !== 0) {
      console.error(`${path} differs from a fresh build of widget/src: run \`npm run build\` in widget/ and commit it.`);
      process.exit(1);
    }
  }
  console.log(`widget.js and ${outputs.size - 1} translations are up to date: ${code.length} bytes, ${gzipped} gzipped`);
} else {
  for (const [path, content] of outputs) {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, content);
  }
  console.log(`wrote ${out}: ${code.length} bytes, ${gzipped} gzipped, and ${outputs.size - 1} translations`);
}
