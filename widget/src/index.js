// Entry point: read the script tag, mount the widget, expose window.RepChat.
// Calls made before this file loaded (through the README's queue snippet)
// are replayed in order.
import { createChat } from "./chat.js";
import { capContext, cleanPage, collectForms, scanContext, trackClicks } from "./context.js";
import { createStore, storageKey } from "./storage.js";
import { pickStrings } from "./strings.js";
import { createTransport } from "./transport.js";
import { createView } from "./view.js";

/* global __REPCHAT_VERSION__ */
const VERSION = typeof __REPCHAT_VERSION__ === "string" ? __REPCHAT_VERSION__ : "dev";
const EVENTS = ["open", "close", "message", "command", "error"];

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
    position: data.position === "left" ? "left" : "right",
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
    allowedOrigins: (data.allowedOrigins || "").split(",").map((s) => s.trim()).filter(Boolean),
  };
}

function mount(win, doc, config) {
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
  const { lang, t } = pickStrings(config.lang, win.navigator.language);
  const reducedMotion = !!(win.matchMedia && win.matchMedia("(prefers-reduced-motion: reduce)").matches);
  const clicks = trackClicks(doc, host);

  let chat;
  const view = createView({
    doc, win, host, t, mode,
    title: config.title, subtitle: config.subtitle, avatar: config.avatar,
    position: config.position, theme: config.theme, accent: config.accent,
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
  chat = createChat({
    config,
    transport: createTransport(config.base),
    store: createStore(storageKey(config.base, config.site)),
    view, t, context, env, emit,
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
      view.destroy();
      if (win.RepChat === api) delete win.RepChat;
    },
  };
}

let api;

function start(win, doc) {
  const existing = win.RepChat;
  if (existing && existing.version) return; // already loaded on this page
  const queue = (existing && existing.q) || [];
  const config = readConfig(findScript(doc), win);
  const boot = () => {
    api = mount(win, doc, config);
    win.RepChat = api;
    for (const [method, args] of queue) {
      if (typeof api[method] === "function") api[method](...args);
    }
  };
  if (doc.body) boot();
  else doc.addEventListener("DOMContentLoaded", boot, { once: true });
}

start(window, document);
