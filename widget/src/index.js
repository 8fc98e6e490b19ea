// Entry point: read the script tag, mount the widget, expose window.RepChat.
// Calls made before this file loaded (through the README's queue snippet)
// are replayed in order.
import { createChat } from "./chat.js";
import { capContext, cleanPage, collectForms, scanContext, trackClicks } from "./context.js";
import { createStore, storageKey } from "./storage.js";
import { EN, formatter, isRtl, languageFor, loadStrings } from "./strings.js";
import { createTransport } from "./transport.js";
import { createView } from "./view.js";

/* global __REPCHAT_VERSION__ */
const VERSION = typeof __REPCHAT_VERSION__ === "string" ? __REPCHAT_VERSION__ : "dev";
const EVENTS = ["open", "close", "message", "command", "compact", "error"];

function findScript(doc) {
  return doc.currentScript || doc.querySelector('script[src*="/widget.js"]');
}

function readConfig(script, win) {
  const data = (script && script.dataset) || {};
  const src = script && script.src ? new URL(script.src, win.location.href) : new URL(win.location.href);
  const base = src.origin + src.pathname.replace(/\/widget(\.min)?\.js$/, "");
  return {
    base,
    site: data.site || "default",
    profile: data.profile,
    position: data.position === "left" || data.position === "right" ? data.position : "",
    accent: /^#[0-9a-f]{3,8}$|^rgb|^hsl/i.test(data.accent || "") ? data.accent : "",
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
  };
}

function mount(win, doc, config, lang, t) {
  const listeners = {};
  EVENTS.forEach((name) => (listeners[name] = []));
  const emit = (name, detail) => {
    for (const fn of listeners[name]) {
      try {
        fn(detail);
      } catch (error) {
        console.error("[repchat] listener failed", error);
      }
    }
  };
  const handlers = {};
  let extraContext = {};

  let host = config.target ? doc.querySelector(config.target) : doc.querySelector("repchat-chat");
  let mode = config.mode;
  if (host) mode = "inline";
  else {
    host = doc.createElement("repchat-widget");
    if (mode !== "fullscreen") mode = "launcher";
  }
  const reducedMotion = !!(win.matchMedia && win.matchMedia("(prefers-reduced-motion: reduce)").matches);
  const clicks = trackClicks(doc, host);

  let chat;
  const view = createView({
    doc, win, host, t, mode,
    title: config.title, subtitle: config.subtitle, avatar: config.avatar,
    position: config.position || (doc.documentElement.dir === "rtl" ? "left" : "right"),
    theme: config.theme, accent: config.accent, dir: isRtl(lang) ? "rtl" : "ltr",
    handlers: {
      send: (text) => chat.send(text),
      beforeOpen: () => ready(),
      stop: () => chat.stop(),
      open: () => {
        chat.remember({ open: true });
        emit("open");
      },
      close: () => {
        chat.remember({ open: false });
        emit("close");
      },
    },
  });
  host.setAttribute("lang", lang);
  host.setAttribute("data-repchat-version", VERSION);
  // Built off-document, attached once.
  if (!host.isConnected) doc.body.appendChild(host);

  const context = {
    ui: () =>
      capContext({
        currentPage: cleanPage(win.location.href),
        selectedElements: clicks.list(),
        formData: collectForms(doc),
        ...extraContext,
      }),
    scan: () => scanContext(win, config.source),
  };
  const env = {
    doc, win, host, handlers, reducedMotion, accent: config.accent,
    allowedOrigins: config.allowedOrigins,
    navigate: (url) => win.location.assign(url),
  };
  const key = storageKey(config.base, config.site);
  // Tabs of the same site share one conversation (see chat.js).
  const channel = win.BroadcastChannel ? new win.BroadcastChannel(key) : null;
  chat = createChat({
    config,
    transport: createTransport(config.base),
    store: createStore(key),
    view, t, context, env, emit, channel,
  });
  // The transcript (localStorage, markdown) is restored when the browser is
  // idle, or at once when the visitor or the host needs it, so the widget
  // costs the host page almost nothing while it loads.
  let restored = false;
  function ready() {
    if (restored) return;
    restored = true;
    chat.restore();
    const hasAsked = chat.state.messages.some((message) => message.role === "user");
    if (config.starters.length && !hasAsked) view.setChips(config.starters, (text) => chat.send(text));
    // Reopen after a reload or a navigation the Representative made mid-conversation.
    if (config.open || mode === "fullscreen" || chat.state.open) view.open(mode !== "inline" && config.open);
    else if (config.previewDelay && !chat.state.previewDismissed && !hasAsked) {
      win.setTimeout(() => view.showPreview(config.greeting || t("greeting"), () => chat.remember({ previewDismissed: true })), config.previewDelay * 1000);
    }
    host.setAttribute("data-ready", "");
  }
  if (config.open || mode !== "launcher") ready();
  else if (win.requestIdleCallback) win.requestIdleCallback(ready, { timeout: 300 });
  else win.setTimeout(ready, 50);

  return {
    version: VERSION,
    open: () => {
      ready();
      view.open();
    },
    close: () => view.close(),
    toggle: () => {
      ready();
      if (view.isOpen()) view.close();
      else view.open();
    },
    send: (text) => {
      ready();
      view.open(false);
      return chat.send(text);
    },
    stop: () => chat.stop(),
    compact: () => {
      ready();
      return chat.compact();
    },
    contextUsage: () => {
      ready();
      return chat.contextUsage();
    },
    on(name, fn) {
      if (listeners[name] && typeof fn === "function") listeners[name].push(fn);
      return () => {
        if (listeners[name]) listeners[name] = listeners[name].filter((item) => item !== fn);
      };
    },
    registerCommand(type, handler) {
      if (typeof type === "string" && typeof handler === "function") handlers[type] = handler;
    },
    setContext(values) {
      extraContext = values && typeof values === "object" ? { ...values } : {};
    },
    destroy() {
      clicks.stop();
      chat.stop();
      if (channel) channel.close();
      view.destroy();
      if (win.RepChat === api) delete win.RepChat;
    },
  };
}

let api;

function start(win, doc) {
  const existing = win.RepChat;
  if (existing && existing.version) return; // already loaded on this page
  const config = readConfig(findScript(doc), win);
  const lang = languageFor(config.lang, win.navigator.language);
  const boot = (strings) => {
    const queue = (win.RepChat && win.RepChat.q) || [];
    api = mount(win, doc, config, lang, formatter(strings));
    win.RepChat = api;
    for (const [method, args] of queue) {
      if (typeof api[method] === "function") api[method](...args);
    }
  };
  const whenBody = (fn) => (doc.body ? fn() : doc.addEventListener("DOMContentLoaded", fn, { once: true }));
  if (lang === "en") whenBody(() => boot(EN));
  else loadStrings(config.base, lang).then((strings) => whenBody(() => boot(strings)));
}

start(window, document);
