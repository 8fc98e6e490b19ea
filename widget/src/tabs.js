// @ts-check
// Tab mirroring: every change to the transcript is an op applied to this
// tab's view and posted on a BroadcastChannel, where the site's other tabs
// apply the same op. Only the tab that sent a message holds its network
// stream; the others mirror it (and can ask it to stop).

/** @typedef {import("./bubbles.js").Reply} Reply */
/** @typedef {import("./bubbles.js").Summary} Summary */
/** @typedef {import("./chat.js").View} View */
/** @typedef {{postMessage: (message: any) => void, onmessage: ((event: MessageEvent) => void) | null}} Channel a BroadcastChannel, or a test's stand-in */

/**
 * @typedef {object} Mirror
 * @property {(op: string, ...args: any[]) => void} show apply an op here and in the other tabs
 * @property {(op: string, args: any[]) => void} post tell the other tabs only
 * @property {(reply: Reply | null) => void} follow the reply being written (restored from storage)
 */

/**
 * @param {object} options
 * @param {View} options.view
 * @param {(key: string, vars?: Record<string, unknown>) => string} options.t
 * @param {Channel | null | undefined} options.channel
 * @param {(text: string) => void} options.retry send `text` again
 * @param {(element: HTMLElement, text: string, retryText: string) => void} options.retryError
 * @param {(op: string, args: any[]) => boolean} options.onRemote an op from another tab; false: do not apply it here
 * @returns {Mirror}
 */
export function createMirror({ view, t, channel, retry, retryError, onRemote }) {
  /** @type {Reply | null} */
  let reply = null; // the reply being written, here or mirrored
  /** @type {Summary | null} */
  let summary = null; // the recap being written

  /** @type {Record<string, (...args: any[]) => void>} Everything a tab shows of the conversation. */
  const ops = {
    user: (text, time) => view.addUser(text, time),
    start: () => (reply = view.startReply()),
    token: (text) => reply && reply.append(text),
    done(text, time) {
      if (reply) reply.finish(text, time);
      reply = null;
      if (!view.isOpen()) view.setUnread(view.unread + 1);
      view.announce(t("announceReply", { text: text.slice(0, 500) }));
    },
    end(message, retryText) {
      if (reply) reply.end(message, retryText ? () => retry(retryText) : null);
      reply = null;
    },
    drop: () => {
      if (reply) reply.remove();
      reply = null;
    },
    note: (text) => view.addNote(text),
    link: (text, url) => view.addLink(text, url),
    error(text, retryText) {
      const element = view.addError(text, retryText ? () => retryError(element, text, retryText) : null);
    },
    busy: (flag) => view.setBusy(flag),
    summaryStart: () => (summary = view.addSummary(t("compacting"))),
    summaryToken: (text) => summary && summary.append(text),
    summaryDone(text) {
      if (summary) summary.finish(text, t("compacted"));
      summary = null;
    },
    summaryFailed: () => {
      if (summary) summary.remove();
      summary = null;
    },
  };

  if (channel) {
    channel.onmessage = (event) => {
      const { op, args } = event.data || {};
      if (!onRemote(op, args || [])) return;
      if (Object.prototype.hasOwnProperty.call(ops, op)) ops[op](...args);
    };
  }

  return {
    show(op, ...args) {
      ops[op](...args);
      if (channel) channel.postMessage({ op, args });
    },
    post(op, args) {
      if (channel) channel.postMessage({ op, args });
    },
    follow(shown) {
      reply = shown;
    },
  };
}
