// @ts-check
// Chat events for the owner's analytics, opt-in: pushed to the array the
// script tag names (data-analytics="dataLayer") and given to
// RepChat.on("analytics") listeners; nothing happens without one of the two.
// An analytics event says what kind of thing happened, with counts and
// durations: never message text, form values, names or emails (the README's
// table lists every event and field).

/** @typedef {{event: string, repchat: Record<string, unknown>}} AnalyticsEvent */

/** A command type or result as analytics may carry it: one of the known words (never the model's own), else "other". @param {unknown} word */
const plain = (word) => (/^(navigate|open_modal|scroll_to|highlight|fill_form|collect_contact|executed|blocked|failed)$/.test(String(word)) ? word : "other");
const KINDS = /** @type {Record<string, string>} */ ({ open: "opened", close: "closed", lead: "lead_sent", rating: "rating", command: "command_run" });

/**
 * `emit` for the widget's public events, which also sends each as an analytics event.
 * @param {Window & Record<string, any>} win
 * @param {string | undefined} layer data-analytics: the name of an array on window ("" means dataLayer)
 * @param {string} site
 * @param {(name: string, detail?: any) => void} emit
 * @returns {(name: string, detail?: any) => void}
 */
export function withAnalytics(win, layer, site, emit) {
  let sentAt = 0; // when the visitor's last message went, for the reply's duration
  return (name, detail) => {
    emit(name, detail);
    const d = detail || {};
    /** @type {Record<string, unknown>} */
    const fields = { site };
    let kind = KINDS[name];
    if (name === "rating") fields.rating = d.rating === "up" ? "up" : "down";
    if (name === "command") {
      fields.commandType = plain(d.command && d.command.type);
      fields.result = plain(d.result);
    }
    if (name === "message") {
      fields.characters = String(d.text).length;
      kind = d.role === "user" ? "message_sent" : "reply_finished";
      if (sentAt && d.role !== "user") fields.durationMs = Date.now() - sentAt;
      sentAt = d.role === "user" ? Date.now() : 0;
    }
    if (!kind || d.auto) return; // the widget reopening a conversation on the next page is no new opening
    /** @type {AnalyticsEvent} */
    const event = { event: "repchat_" + kind, repchat: fields };
    emit("analytics", event);
    if (layer != null) {
      const list = (win[layer || "dataLayer"] ||= []);
      if (list.push) list.push(event);
    }
  };
}
