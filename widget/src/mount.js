// @ts-check
// The widget on a page, as loaded with widget.js: its host element and
// launcher, page-context tracking, the unread badge and the teaser. The
// conversation UI (loader.js) comes on intent: a pointer or focus on the
// launcher, idle time, an API call that needs it, or a stored conversation
// that is open or has a reply in flight.
import { trackClicks } from "./clicks.js";
import { formatter, isRtl, LAUNCHER_EN } from "./i18n.js";
import { createFrame } from "./launcher.js";
import { loadChunk } from "./loader.js";
import { keepPlaced } from "./placement.js";
import { createStore, storageKey } from "./storage.js";

/** @typedef {import("./conversation.js").Conversation} Conversation */

/**
 * What the embedding script tag says (see the README's attribute table).
 * @typedef {object} Config
 * @property {string} base the BFF's URL, from the script's own src
 * @property {string} site
 * @property {string} [profile]
 * @property {string} [landing]
 * @property {string} identity the host's signed identity of its visitor (data-identity), "" when none
 * @property {string} [analytics] data-analytics: the window array analytics events are pushed to
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
 * @property {boolean} yieldToBanners lift the launcher above a banner fixed to the bottom (data-yield="false": never)
 * @property {boolean} [doctor] run the embed doctor at load and show its report (data-doctor, or #repchat-doctor in the URL)
 */

/**
 * @typedef {object} Mounted
 * @property {<T, F>(use: (ui: Conversation) => T, fallback: F) => Promise<T | F>} whenReady
 *   run `use` once the conversation UI is up (loading it if need be); if it
 *   cannot load, the visitor sees why, with a Retry, and this resolves to `fallback`
 * @property {(use: (ui: Conversation) => void) => void} ifMounted run `use` only if the UI is already up
 * @property {() => void} toggle
 * @property {Record<string, (command: any) => unknown>} handlers host-registered command handlers
 * @property {(values: Record<string, unknown>) => void} setContext
 * @property {(signed: unknown) => void} identify
 * @property {() => void} destroy
 */

/**
 * The visitor id a signed identity names (its payload is base64url JSON; the BFF checks the signature).
 * @param {string} signed
 * @returns {string}
 */
function who(signed) {
  try {
    return String(JSON.parse(atob(signed.split(".")[1].replace(/-/g, "+").replace(/_/g, "/"))).id);
  } catch (_) {
    return signed; // not readable here: the BFF says what is wrong with it
  }
}

/**
 * @param {object} options
 * @param {Window} options.win
 * @param {Document} options.doc
 * @param {Config} options.config
 * @param {string} options.lang
 * @param {Record<string, string>} options.strings the visitor's language (empty for English): each
 *   script falls back to its own English strings
 * @param {string} options.version
 * @param {(name: string, detail?: unknown) => void} options.emit
 * @returns {Mounted}
 */
export function mount({ win, doc, config, lang, strings, version, emit }) {
  const t = formatter(strings, LAUNCHER_EN);
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
    doc, host, t, mode,
    position: config.position || (doc.documentElement.dir === "rtl" ? "left" : "right"),
    theme: config.theme, accent: config.accent, dir: isRtl(lang) ? "rtl" : "ltr",
    onToggle: () => toggle(),
    onIntent: () => prefetch(),
  });
  host.setAttribute("lang", lang);
  host.setAttribute("data-repchat-version", version);
  const placed = keepPlaced({
    win, doc, host, inline: mode === "inline", target: config.target || "repchat-chat",
    launcher: frame.launcher, yieldToBanners: config.yieldToBanners,
  });

  const key = storageKey(config.base, config.site);
  const store = createStore(key);
  let identity = config.identity;
  /** Signed in as another visitor, or signed out: one visitor never sees another's conversation. @param {{who?: string}} state */
  const otherVisitor = (state) => !!state.who && state.who !== who(identity);
  // What the conversation UI reads of the page when it needs it (context.js, in the chunk).
  const page = {
    clicks: clicks.elements,
    extra: () => extraContext,
    /** The signed identity for a new session, and the id it vouches for (a change of visitor means a new session). */
    identity: () => [identity, who(identity)],
  };
  const env = {
    doc, win, host, handlers,
    // Read when a command runs, not at load.
    get reducedMotion() {
      return !!(win.matchMedia && win.matchMedia("(prefers-reduced-motion: reduce)").matches);
    },
    accent: config.accent,
    lang,
    allowedOrigins: config.allowedOrigins,
    /** @param {string} url */
    navigate: (url) => win.location.assign(url),
  };

  /** @type {Conversation | null} */
  let mounted = null;
  /** @type {Promise<Conversation> | null} */
  let loading = null;
  let destroyed = false;
  let auto = false; // the widget is opening the panel itself (data-open, full screen, a conversation left open)

  /** Remember a choice (the teaser dismissed) whether or not the conversation is up. */
  function remember(/** @type {Record<string, unknown>} */ values) {
    if (mounted) mounted.chat.remember(values);
    else store.save({ ...store.load(), ...values });
  }

  /** The conversation UI, loaded and mounted once; a failed load is tried again on the next call. */
  function conversation() {
    if (!loading) {
      loading = loadChunk(doc, win, config.base).then((chunk) => {
        if (destroyed) throw new Error("destroyed");
        if (otherVisitor(store.load())) store.clear();
        // An open the widget makes itself (below) is not the visitor's: its event says so ({auto: true}).
        const ui = chunk.mountConversation({
          doc, win, host: element, frame, strings: { ...LAUNCHER_EN, ...strings }, mode, config, store, key, page, env,
          emit: (name, detail) => emit(name, auto ? { auto } : detail),
        });
        mounted = ui;
        const { chat, view } = ui;
        const hasAsked = chat.state.messages.some((message) => message.role === "user");
        if (config.starters.length && !hasAsked) view.setChips(config.starters, (text) => chat.send(text));
        // Reopen after a reload or a navigation the Representative made mid-conversation.
        auto = config.open || mode === "fullscreen" || !!chat.state.open;
        if (auto) view.open(mode !== "inline" && config.open);
        auto = false;
        element.setAttribute("data-ready", "");
        return ui;
      });
      loading.catch((error) => {
        loading = null;
        if (!destroyed) console.error("[repchat] the chat could not load:", error);
      });
    }
    return loading;
  }

  /** Load ahead of need; a failure shows nothing yet (the visitor has not asked). */
  function prefetch() {
    conversation().catch(() => {});
  }

  /** @type {Mounted["whenReady"]} */
  function whenReady(use, fallback) {
    return conversation().then(
      (ui) => {
        frame.hideNotice();
        return use(ui);
      },
      () => {
        if (destroyed) return fallback;
        emit("error", { code: "load_failed", message: t("loadFailed") });
        frame.showNotice(t("loadFailed"), () => whenReady(use, fallback));
        return fallback;
      },
    );
  }

  // A second click while the UI is still on its way is the same request, not "close".
  let toggling = false;
  function toggle() {
    if (toggling) return;
    toggling = true;
    const launcher = frame.launcher;
    if (launcher) launcher.setAttribute("aria-busy", "true");
    whenReady(({ view }) => (view.isOpen() ? view.close() : view.open()), undefined).finally(() => {
      toggling = false;
      if (launcher) launcher.removeAttribute("aria-busy");
    });
  }

  if (config.open || mode !== "launcher") whenReady(() => {}, undefined);
  else {
    // When the browser is idle (opening localStorage costs milliseconds, never
    // at load): a conversation that was open, or whose reply was still coming,
    // carries on, and says so if it cannot; otherwise the UI loads ahead of need.
    const atIdle = () => {
      const state = store.load();
      if (state.open || state.messages.some((message) => message.status === "streaming")) whenReady(() => {}, undefined);
      else prefetch();
    };
    if (win.requestIdleCallback) win.requestIdleCallback(atIdle, { timeout: 300 });
    else win.setTimeout(atIdle, 50);
  }
  if (config.previewDelay && mode === "launcher") {
    win.setTimeout(() => {
      const state = mounted ? mounted.chat.state : store.load();
      if (state.previewDismissed || state.messages.some((message) => message.role === "user")) return;
      if (mounted && mounted.view.isOpen()) return;
      frame.showPreview(config.greeting || t("greeting"), () => whenReady(({ view }) => view.open(), undefined), () => remember({ previewDismissed: true }));
    }, config.previewDelay * 1000);
  }

  return {
    whenReady,
    ifMounted(use) {
      if (mounted) use(mounted);
    },
    toggle,
    handlers,
    setContext(values) {
      extraContext = values && typeof values === "object" ? { ...values } : {};
    },
    identify(signed) {
      identity = typeof signed === "string" ? signed : "";
      if (mounted && otherVisitor(mounted.chat.state)) mounted.chat.reset();
    },
    destroy() {
      destroyed = true;
      placed();
      clicks.stop();
      if (mounted) mounted.destroy();
      frame.destroy();
    },
  };
}
