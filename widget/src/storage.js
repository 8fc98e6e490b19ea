// @ts-check
// The visitor's conversation in localStorage, one entry per site and BFF, so
// the transcript and token survive reloads and navigation. Storage can be
// missing or full (private modes, quotas): the chat then simply forgets.
const MAX_MESSAGES = 200;

/**
 * One entry of the transcript. A bot reply has a status; while streaming it
 * carries the last event id (`resume`), when it was saved (`at`) and whether
 * the page was left mid-reply (`left`).
 * @typedef {object} Message
 * @property {"user" | "bot" | "note" | "summary" | "error" | "link"} role
 * @property {string} text
 * @property {string} [url] a link card's page
 * @property {number} [time] when it was sent or answered (ms since the epoch), shown as a timestamp
 * @property {"streaming" | "done" | "stopped" | "interrupted"} [status]
 * @property {string} [resume]
 * @property {number} [at]
 * @property {boolean} [left]
 */

/**
 * @typedef {object} State
 * @property {string} token the visitor token
 * @property {string} expiresAt
 * @property {Message[]} messages
 * @property {boolean} scanSent
 * @property {any} [usage] the last context usage the BFF reported
 * @property {number} [compactedAt] message count at the last compaction
 * @property {boolean} [open] the panel was open
 * @property {boolean} [previewDismissed]
 * @property {boolean} [expanded] the visitor chose the larger panel
 * @property {string} [privacyUrl] the owner's privacy notice (from the session), for the contact card
 * @property {number} [maxChars] the message limit the BFF announced
 * @property {string} [who] the visitor id the token's signed identity names ("" for none)
 */

/** @typedef {{url: string, at: number, commands: any[]} | null} Pending page actions for the page a tab is navigating to */

/**
 * @typedef {object} Store
 * @property {() => State} load
 * @property {(state: State) => void} save
 * @property {() => void} clear
 * @property {(pending: Pending) => void} hold keep actions for this tab's next page (sessionStorage: this tab only)
 * @property {() => Pending} take the actions held for this page, once
 */

/**
 * @param {string} base
 * @param {string} site
 */
export function storageKey(base, site) {
  return "repchat:v1:" + base + ":" + site;
}

/**
 * @param {string} key
 * @param {Storage | null} [storage] default: localStorage, opened on first use
 * @param {Storage | null} [session] default: `storage` if given, else sessionStorage
 * @returns {Store}
 */
export function createStore(key, storage, session = storage) {
  /** @type {Storage | null | undefined} */
  let backend = storage;
  // Opening localStorage costs a few milliseconds; do it on first use, not at load.
  function open() {
    if (backend === undefined) {
      try {
        backend = window.localStorage;
      } catch (_) {
        backend = null;
      }
    }
    return backend;
  }
  return {
    load() {
      open();
      try {
        const raw = backend && backend.getItem(key);
        const state = raw ? JSON.parse(raw) : null;
        // The transcript is kept as long as the visitor token (REPCHAT_TOKEN_TTL), then both go.
        if (state && state.expiresAt && !(Date.parse(state.expiresAt) > Date.now())) backend?.removeItem(key);
        else if (state && Array.isArray(state.messages)) return state;
      } catch (_) {
        // unreadable: start afresh
      }
      return { token: "", expiresAt: "", messages: [], scanSent: false };
    },
    save(state) {
      open();
      try {
        if (!backend) return;
        const trimmed = { ...state, messages: state.messages.slice(-MAX_MESSAGES) };
        backend.setItem(key, JSON.stringify(trimmed));
      } catch (_) {
        // full or blocked: the conversation still works, it just will not survive a reload
      }
    },
    clear() {
      open();
      try {
        if (backend) backend.removeItem(key);
      } catch (_) {
        // nothing to do
      }
    },
    // Actions carried over a navigation belong to the tab that navigated: other
    // tabs of the site must neither run nor resurrect them.
    hold(pending) {
      try {
        if (session === undefined) session = window.sessionStorage;
        if (session) session.setItem(key + ":pending", JSON.stringify(pending));
      } catch (_) {
        // no session storage: the actions are simply not carried over
      }
    },
    take() {
      try {
        if (session === undefined) session = window.sessionStorage;
        if (!session) return null;
        const raw = session.getItem(key + ":pending");
        session.removeItem(key + ":pending");
        return raw ? JSON.parse(raw) : null;
      } catch (_) {
        return null;
      }
    },
  };
}
