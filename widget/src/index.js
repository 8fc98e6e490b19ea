// @ts-check
// Entry point: read the script tag, load the visitor's language, mount the
// widget and expose window.RepChat.
import { withAnalytics } from "./analytics.js";
import { createApi, createEvents, install } from "./api.js";
import { DOCTOR, loadChunk } from "./loader.js";
import { mount } from "./mount.js";
import { languageFor } from "./i18n.js";
import { fetchTranslation } from "./transport.js";

/** @typedef {import("./mount.js").Config} Config */

/* global __REPCHAT_VERSION__ */
const VERSION = typeof __REPCHAT_VERSION__ === "string" ? __REPCHAT_VERSION__ : "dev";

/** @param {Document} doc */
function findScript(doc) {
  return /** @type {HTMLScriptElement | null} */ (doc.currentScript || doc.querySelector('script[src*="/widget.js"]'));
}

/**
 * @param {HTMLScriptElement | null} script
 * @param {Window} win
 * @returns {Config}
 */
function readConfig(script, win) {
  const data = (script && script.dataset) || {};
  const src = script && script.src ? new URL(script.src, win.location.href) : new URL(win.location.href);
  const base = src.origin + src.pathname.replace(/\/widget(\.min)?\.js$/, "");
  return {
    base,
    site: /^[\w.-]{1,64}$/.test(data.site || "") ? data.site || "" : (data.site && console.warn(`[repchat] data-site "${data.site}": use 1-64 of A-Za-z0-9._-`), "default"),
    profile: data.profile,
    landing: data.landing,
    identity: data.identity || "",
    analytics: data.analytics,
    position: data.position === "left" || data.position === "right" ? data.position : "",
    accent: /^#[0-9a-f]{3,8}$|^rgb|^hsl/i.test(data.accent || "") ? data.accent || "" : "",
    greeting: data.greeting,
    lang: data.lang,
    open: data.open === "true" || data.open === "",
    mode: data.mode,
    target: data.target,
    title: data.title,
    subtitle: data.subtitle,
    avatar: data.avatar,
    theme: data.theme === "dark" || data.theme === "light" ? data.theme : "",
    source: data.source,
    starters: (data.starters || "").split("|").map((s) => s.trim()).filter(Boolean),
    compactAt: data.compactAt === undefined ? 80 : Number(data.compactAt) || 0,
    previewDelay: Number(data.preview) || 0,
    allowedOrigins: (data.allowedOrigins || "").split(",").map((s) => s.trim()).filter(Boolean),
    imageHosts: data.imageHosts || "",
    yieldToBanners: data.yield !== "false",
    doctor: data.doctor != null || /repchat-doctor/.test(win.location.hash),
  };
}

/**
 * @param {Window & {RepChat?: any}} win
 * @param {Document} doc
 */
function start(win, doc) {
  const existing = win.RepChat;
  if (existing && existing.version) return; // already loaded on this page
  const config = readConfig(findScript(doc), win);
  const lang = languageFor(config.lang, win.navigator.language);
  /** @param {Record<string, string>} strings */
  const boot = (strings) => {
    const events = createEvents();
    const widget = mount({ win, doc, config, lang, strings, version: VERSION, emit: withAnalytics(win, config.analytics, config.site, events.emit) });
    const api = createApi({
      version: VERSION, widget, events,
      onDestroy: () => {
        if (win.RepChat === api) delete win.RepChat;
      },
      // The embed doctor is its own script, loaded only when asked (see doctor/index.js).
      diagnose: (/** @type {boolean | undefined} */ show) =>
        /** @type {Promise<import("./loader.js").Doctor>} */ (loadChunk(doc, win, config.base, DOCTOR)).then((d) => d.diagnose({ config, show })),
    });
    install(win, api);
    if (config.doctor) api.diagnose(true);
  };
  /** @param {() => void} fn */
  const whenBody = (fn) => (doc.body ? fn() : doc.addEventListener("DOMContentLoaded", fn, { once: true }));
  if (lang === "en") whenBody(() => boot({}));
  else fetchTranslation(config.base, lang).then((table) => whenBody(() => boot(table || {})));
}

start(window, document);
