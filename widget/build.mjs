// Bundle widget/src into one minified IIFE at bff/static/widget.js, where the
// Python package serves it from. `--check` builds in memory and fails when
// the committed file differs, so a stale bundle cannot ship.
import { build } from "esbuild";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";

const here = dirname(fileURLToPath(import.meta.url));
const out = resolve(here, "../bff/static/widget.js");
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

if (process.argv.includes("--check")) {
  let current = null;
  try {
    current = readFileSync(out);
  } catch (_) {
    // missing counts as stale
  }
  if (!current || Buffer.compare(current, Buffer.from(code)) !== 0) {
    console.error("bff/static/widget.js differs from a fresh build of widget/src: run `npm run build` in widget/ and commit it.");
    process.exit(1);
  }
  console.log(`widget.js is up to date: ${code.length} bytes, ${gzipped} gzipped`);
} else {
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, code);
  console.log(`wrote ${out}: ${code.length} bytes, ${gzipped} gzipped`);
}
