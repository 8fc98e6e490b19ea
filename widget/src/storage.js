// The visitor's conversation in localStorage, one entry per site and BFF, so
// the transcript and token survive reloads and navigation. Storage can be
// missing or full (private modes, quotas): the chat then simply forgets.
const MAX_MESSAGES = 200;

export function storageKey(base, site) {
  return "repchat:v1:" + base + ":" + site;
}

export function createStore(key, storage) {
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
