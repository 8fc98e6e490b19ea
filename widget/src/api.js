// @ts-check
// The public `window.RepChat` object (see the README's API table): host
// pages call it, listen to its events, and may call it before widget.js has
// loaded through the README's queue snippet; those calls are replayed in
// order once the widget is up. Calls that need the conversation UI load it
// first (see loader.js), so they resolve when it is there.

/** @typedef {import("./mount.js").Mounted} Mounted */

export const EVENTS = ["open", "close", "message", "command", "compact", "error", "lead", "rating", "analytics"];

/**
 * Listeners per event; a listener that throws is logged, not fatal.
 * @returns {{on: (name: string, fn: (detail: any) => void) => () => void, emit: (name: string, detail?: unknown) => void}}
 */
export function createEvents() {
  /** @type {Record<string, ((detail: any) => void)[]>} */
  const listeners = {};
  EVENTS.forEach((name) => (listeners[name] = []));
  return {
    on(name, fn) {
      if (listeners[name] && typeof fn === "function") listeners[name].push(fn);
      return () => {
        if (listeners[name]) listeners[name] = listeners[name].filter((item) => item !== fn);
      };
    },
    emit(name, detail) {
      for (const fn of listeners[name]) {
        try {
          fn(detail);
        } catch (error) {
          console.error("[repchat] listener failed", error);
        }
      }
    },
  };
}

/**
 * @param {object} options
 * @param {string} options.version
 * @param {Mounted} options.widget
 * @param {ReturnType<typeof createEvents>} options.events
 * @param {() => void} options.onDestroy
 * @param {(show?: boolean) => Promise<unknown>} options.diagnose the embed doctor: resolves to its
 *   report, printed to the console (and shown on the page when `show`)
 */
export function createApi({ version, widget, events, onDestroy, diagnose }) {
  return {
    version,
    diagnose,
    open: () => void widget.whenReady(({ view }) => view.open(), undefined),
    close: () => widget.ifMounted(({ view }) => view.close()),
    toggle: () => widget.toggle(),
    /**
     * Send as the visitor; resolves to whether it was sent.
     * @param {string} text
     */
    send: (text) =>
      widget.whenReady(({ view, chat }) => {
        view.open(false);
        return chat.send(text);
      }, false),
    stop: () => widget.ifMounted(({ chat }) => chat.stop()),
    /**
     * Open the contact card (loading the conversation UI first if need be).
     * @param {Record<string, string>} [prefill] name, email, phone, note
     */
    contact: (prefill) => void widget.whenReady(({ leads }) => leads.openContact(prefill), undefined),
    /** Resolves to true when older messages were folded into a recap. */
    compact: () => widget.whenReady(({ chat }) => chat.compact(), false),
    /** Resolves to the conversation's context usage, or null before the first message. */
    contextUsage: () => widget.whenReady(({ chat }) => chat.contextUsage(), null),
    on: events.on,
    /**
     * @param {string} type
     * @param {(command: any) => unknown} handler
     */
    registerCommand(type, handler) {
      if (typeof type === "string" && typeof handler === "function") widget.handlers[type] = handler;
    },
    setContext: widget.setContext,
    /**
     * Who the visitor is, signed by the host's backend (see the README's "Signed-in visitors"); "" when signed out.
     * The next message of another visitor (or none) opens a new conversation upstream.
     */
    identify: widget.identify,
    destroy() {
      widget.destroy();
      onDestroy();
    },
  };
}

/** @typedef {ReturnType<typeof createApi>} Api */

/**
 * Make `api` the page's window.RepChat and replay the calls queued before.
 * @param {Window & {RepChat?: any}} win
 * @param {Api} api
 */
export function install(win, api) {
  const queue = (win.RepChat && win.RepChat.q) || [];
  win.RepChat = api;
  for (const [method, args] of queue) {
    const fn = /** @type {Record<string, unknown>} */ (api)[method];
    if (typeof fn === "function") fn(...args);
  }
}
