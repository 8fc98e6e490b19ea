// @ts-check
// The widget on a page: its host element and launcher, page-context
// tracking, and the conversation UI mounted when first needed (idle time,
// or at once when the visitor or the host page asks for it).
import { capContext, cleanPage, collectForms, scanContext, trackClicks, useRules } from "./context.js";
import { mountConversation } from "./conversation.js";
import { createFrame } from "./launcher.js";
import { createStore, storageKey } from "./storage.js";
import { isRtl } from "./strings.js";
import { fetchRules } from "./transport.js";

/** @typedef {import("./conversation.js").Conversation} Conversation */
/** @typedef {import("./strings.js").Translate} Translate */

/**
 * What the embedding script tag says (see the README's attribute table).
 * @typedef {object} Config
 * @property {string} base the BFF's URL, from the script's own src
 * @property {string} site
 * @property {string} [profile]
 * @property {string} [landing]
 * @property {string} position
 * @property {string} accent
 * @property {string} [greeting]
 * @property {string} [lang]
 * @property {boolean} open
 * @property {string} [mode]
 * @property {string} [target]
 * @property {string} [title]
 * @property {string} [subtitle]
 * @property {string} [avatar]
 * @property {string} theme
 * @property {string} [source]
 * @property {string[]} starters
 * @property {number} compactAt
 * @property {number} previewDelay
 * @property {string[]} allowedOrigins
 * @property {string} imageHosts hosts whose images replies may show (data-image-hosts), else images are links
 */

/**
 * @typedef {object} Mounted
 * @property {() => Conversation} conversation the conversation UI, mounted on first call
 * @property {() => void} toggle
 * @property {Record<string, (command: any) => unknown>} handlers host-registered command handlers
 * @property {(values: Record<string, unknown>) => void} setContext
 * @property {() => void} destroy
 */

/**
 * @param {object} options
 * @param {Window} options.win
 * @param {Document} options.doc
 * @param {Config} options.config
 * @param {string} options.lang
 * @param {Translate} options.t
 * @param {string} options.version
 * @param {(name: string, detail?: unknown) => void} options.emit
 * @returns {Mounted}
 */
export function mount({ win, doc, config, lang, t, version, emit }) {
  /** @type {Record<string, (command: any) => unknown>} */
  const handlers = {};
  /** @type {Record<string, unknown>} */
  let extraContext = {};

  /** @type {HTMLElement | null} */
  let host = config.target ? doc.querySelector(config.target) : doc.querySelector("repchat-chat");
  let mode = config.mode || "";
  if (host) mode = "inline";
  else {
    host = doc.createElement("repchat-widget");
    if (mode !== "fullscreen") mode = "launcher";
  }
  const element = host;
  const clicks = trackClicks(doc, host);
  const frame = createFrame({
    doc, win, host, t, mode,
    position: config.position || (doc.documentElement.dir === "rtl" ? "left" : "right"),
    theme: config.theme, accent: config.accent, dir: isRtl(lang) ? "rtl" : "ltr",
    onToggle: () => toggle(),
  });
  host.setAttribute("lang", lang);
  host.setAttribute("data-repchat-version", version);
  // Built off-document, attached once.
  if (!host.isConnected) doc.body.appendChild(host);

  const key = storageKey(config.base, config.site);
  const store = createStore(key);
  // Which names are secret is the BFF's to say: its rules are fetched once,
  // when the panel opens or before the first message (again after a failure).
  /** @type {Promise<void> | null} */
  let rules = null;
  const ready = () =>
    (rules ||= fetchRules(config.base).then((raw) => {
      if (raw) useRules(raw);
      else rules = null;
    }));
  const context = {
    ready,
    ui: async () => {
      await ready();
      return capContext({
        currentPage: cleanPage(win.location.href),
        selectedElements: clicks.list(),
        formData: collectForms(doc),
        ...extraContext,
      });
    },
    scan: async () => {
      await ready();
      return scanContext(win, config.source);
    },
  };
  const env = {
    doc, win, host, handlers,
    reducedMotion: !!(win.matchMedia && win.matchMedia("(prefers-reduced-motion: reduce)").matches),
    accent: config.accent,
    allowedOrigins: config.allowedOrigins,
    /** @param {string} url */
    navigate: (url) => win.location.assign(url),
  };

  /** @type {Conversation | null} */
  let mounted = null;
  // The transcript (localStorage, markdown) is restored when the browser is
  // idle, or at once when the visitor or the host needs it, so the widget
  // costs the host page almost nothing while it loads.
  function conversation() {
    if (mounted) return mounted;
    const ui = mountConversation({ doc, win, host: element, frame, t, mode, config, store, key, context, env, emit });
    mounted = ui;
    const { chat, view } = ui;
    const hasAsked = chat.state.messages.some((message) => message.role === "user");
    if (config.starters.length && !hasAsked) view.setChips(config.starters, (text) => chat.send(text));
    // Reopen after a reload or a navigation the Representative made mid-conversation.
    if (config.open || mode === "fullscreen" || chat.state.open) view.open(mode !== "inline" && config.open);
    else if (config.previewDelay && !chat.state.previewDismissed && !hasAsked) {
      win.setTimeout(() => {
        if (!view.isOpen()) frame.showPreview(config.greeting || t("greeting"), () => view.open(), () => chat.remember({ previewDismissed: true }));
      }, config.previewDelay * 1000);
    }
    element.setAttribute("data-ready", "");
    return ui;
  }
  function toggle() {
    const { view } = conversation();
    if (view.isOpen()) view.close();
    else view.open();
  }
  if (config.open || mode !== "launcher") conversation();
  else if (win.requestIdleCallback) win.requestIdleCallback(conversation, { timeout: 300 });
  else win.setTimeout(conversation, 50);

  return {
    conversation,
    toggle,
    handlers,
    setContext(values) {
      extraContext = values && typeof values === "object" ? { ...values } : {};
    },
    destroy() {
      clicks.stop();
      if (mounted) mounted.destroy();
      frame.destroy();
    },
  };
}
