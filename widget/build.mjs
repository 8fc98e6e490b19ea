// Bundle widget/src into the two scripts the BFF serves, both minified IIFEs:
// bff/static/widget.js (what runs at page load: launcher, queued API, page
// context) and bff/static/widget-chunk.js (the conversation UI, loaded on
// intent from /widget/chunk.<hash>.js, the hash of its content, which the
// first script carries), and bff/static/widget-doctor.js (the embed doctor,
// RepChat.diagnose(), served as /widget/doctor.<hash>.js and loaded only when
// asked; outside the widget's budgets). `--check` builds in memory and fails when a
// committed file differs, so a stale bundle cannot ship.
import { build, transformSync } from "esbuild";
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { minify } from "terser";
import { TRANSLATIONS } from "./src/translations.js";

const here = dirname(fileURLToPath(import.meta.url));
const static_ = resolve(here, "../bff/static");
const i18n = resolve(static_, "i18n");
const version = /^version\s*=\s*"([^"]+)"/m.exec(readFileSync(resolve(here, "../pyproject.toml"), "utf8"))[1];

// The stylesheets in styles.js are CSS in template strings, which a JS
// minifier leaves as written: minify them as CSS.
const minifiedCss = {
  name: "minified-css",
  setup(builder) {
    builder.onLoad({ filter: /styles\.js$/ }, ({ path }) => ({
      contents: readFileSync(path, "utf8").replace(/(_CSS = `)([^`]*)`/g, (_, start, css) =>
        start + transformSync(css, { loader: "css", minify: true }).code.trim() + "`"),
      loader: "js",
    }));
  },
};

// esbuild bundles; terser then minifies the result about 3 % smaller gzipped
// (920 bytes over both scripts when measured), which the 32 KB budget needs.
// Properties named with a leading underscore are private to their module (the
// markdown parser's state) and shortened too: about 220 bytes more.
const TERSER = {
  ecma: 2020,
  compress: { passes: 2 },
  mangle: { properties: { regex: /^_[A-Za-z]/ } },
  format: { comments: /^ repchat widget/ },
};

/** One minified IIFE of `entry`, as bytes. */
async function bundle(entry, define) {
  const result = await build({
    entryPoints: [resolve(here, "src", entry)],
    bundle: true,
    minify: true,
    format: "iife",
    target: ["es2020", "chrome100", "firefox100", "safari15"],
    legalComments: "none",
    charset: "utf8",
    define,
    banner: { js: `/* repchat widget ${version} */` },
    write: false,
    plugins: [minifiedCss],
  });
  const smaller = await minify(result.outputFiles[0].text, TERSER);
  return Buffer.from(/** @type {string} */ (smaller.code));
}

// The BFF names the chunk the same way (bff: the widget asset's module).
const hashed = (prefix, bytes) => prefix + "." + createHash("sha256").update(bytes).digest("hex").slice(0, 16) + ".js";
const chunk = await bundle("chunk.js", {});
const chunkName = hashed("chunk", chunk);
const doctor = await bundle("doctor/entry.js", {});
const doctorName = hashed("doctor", doctor);
const eager = await bundle("index.js", {
  __REPCHAT_VERSION__: JSON.stringify(version),
  __REPCHAT_CHUNK__: JSON.stringify(chunkName),
  __REPCHAT_DOCTOR__: JSON.stringify(doctorName),
});

const outputs = new Map([
  [resolve(static_, "widget.js"), eager],
  [resolve(static_, "widget-chunk.js"), chunk],
  [resolve(static_, "widget-doctor.js"), doctor],
]);
for (const [lang, table] of Object.entries(TRANSLATIONS)) {
  outputs.set(resolve(i18n, lang + ".json"), Buffer.from(JSON.stringify(table) + "\n"));
}
const gz = (bytes) => gzipSync(bytes, { level: 9 }).length;
const sizes = `widget.js ${eager.length} bytes (${gz(eager)} gzipped), ${chunkName} ${chunk.length} bytes (${gz(chunk)} gzipped), ` +
  `${doctorName} ${doctor.length} bytes (${gz(doctor)} gzipped, loaded only when asked)`;

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
  console.log(`up to date: ${sizes}, and ${outputs.size - 3} translations`);
} else {
  for (const [path, content] of outputs) {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, content);
  }
  console.log(`wrote ${sizes}, and ${outputs.size - 3} translations`);
}
