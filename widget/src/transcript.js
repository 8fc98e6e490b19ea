// @ts-check
// Restoring a stored transcript after a reload or a navigation: every
// message back on screen, and a decision about a reply that was still being
// written when the page went away (resume it, follow the tab writing it, or
// mark it interrupted with a Retry).

/** @typedef {import("./chat.js").Message} Message */
/** @typedef {import("./chat.js").View} View */
/** @typedef {import("./bubbles.js").Reply} Reply */

export const LIVE_MS = 3000; // a streaming reply saved this recently is still being written
export const RESUME_WITHIN_MS = 25000; // the BFF keeps a dropped reply for 30 s by default

/**
 * The last user message at or before index, for retries of restored replies.
 * @param {Message[]} messages
 * @param {number} index
 */
export function lastUserText(messages, index) {
  for (let i = index; i >= 0; i--) if (messages[i].role === "user") return messages[i].text;
  return "";
}

/**
 * @typedef {object} Restored
 * @property {Reply | null} reply the reply still being written, on screen
 * @property {{message: Message, text: string} | null} resume a reply this page left mid-way: go on with it
 * @property {boolean} following another tab is writing `reply`
 * @property {boolean} changed messages were updated and should be saved
 */

/**
 * Show `messages` in `view`; updates cut-off replies in place.
 * @param {object} options
 * @param {Message[]} options.messages
 * @param {View} options.view
 * @param {(key: string) => string} options.t
 * @param {(text: string) => void} options.retry
 * @param {(element: HTMLElement, text: string, retryText: string) => void} options.retryError
 * @param {number} options.now
 * @returns {Restored}
 */
export function showTranscript({ messages, view, t, retry, retryError, now }) {
  /** @type {Restored} */
  const restored = { reply: null, resume: null, following: false, changed: false };
  const last = messages.length - 1;
  messages.forEach((message, index) => {
    const retryText = index === last ? lastUserText(messages, index) : "";
    if (message.role === "user") view.addUser(message.text, message.time);
    else if (message.role === "note") view.addNote(message.text);
    else if (message.role === "link") view.addLink(message.text, message.url || "");
    else if (message.role === "summary") view.addSummary(t("compacted")).finish(message.text, t("compacted"));
    else if (message.role === "error") {
      const element = view.addError(message.text, retryText ? () => retryError(element, message.text, retryText) : null);
    } else {
      const age = now - (message.at || 0);
      if (message.status === "streaming" && message.left && message.resume && age < RESUME_WITHIN_MS) {
        // This page was left mid-reply: pick the reply up where it stopped.
        delete message.left;
        restored.reply = view.startReply(message.text, false);
        restored.resume = { message, text: lastUserText(messages, index) };
        return;
      }
      if (message.status === "streaming" && !message.left && age < LIVE_MS) {
        // Another tab is writing this reply right now: follow it.
        restored.reply = view.startReply(message.text, false);
        restored.following = true;
        return;
      }
      // A reply still "streaming" in storage was cut off by a reload or navigation.
      if (message.status === "streaming") {
        message.status = "interrupted";
        restored.changed = true;
      }
      const shown = view.startReply(message.text, false);
      if (message.status === "done") shown.finish(undefined, message.time);
      else shown.end(t(message.status === "stopped" ? "stopped" : "interrupted"), retryText ? () => retry(retryText) : null);
    }
  });
  return restored;
}
