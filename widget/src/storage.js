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
 * @property {"user" | "bot" | "note" | "summary" | "error"} role
 * @property {string} text
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
 * @property {string} [privacyUrl] the owner's privacy notice (from the session), for the contact card
 */

/** @typedef {{load: () => State, save: (state: State) => void, clear: () => void}} Store */

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
 * @returns {Store}
 */
export function createStore(key, storage) {
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
        if (state && Array.isArray(state.messages)) return state;
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
  };
}
