// @ts-check
// Thumbs up or down under a finished answer; a thumbs down asks what was
// missing (optional) before it is sent. One rating per answer.
import { h, icon } from "./dom.js";

/**
 * @param {{doc: Document, t: (key: string) => string, onRate: (rating: "up" | "down", comment: string) => Promise<boolean>}} options
 * @returns {HTMLElement}
 */
export function createRating({ doc, t, onRate }) {
  const up = h(doc, "button", { type: "button", class: "thumb", "aria-label": t("r_up"), "aria-pressed": "false" }, [icon(doc, "thumb")]);
  const down = h(doc, "button", { type: "button", class: "thumb down", "aria-label": t("r_down"), "aria-pressed": "false" }, [icon(doc, "thumb")]);
  const said = h(doc, "span", { class: "state", role: "status" });
  const element = h(doc, "div", { class: "rate", role: "group", "aria-label": t("r_label") }, [up, down, said]);
  /** @type {HTMLFormElement | null} */
  let ask = null;

  /**
   * @param {"up" | "down"} rating
   * @param {string} comment
   */
  async function rate(rating, comment) {
    up.disabled = down.disabled = true;
    (rating === "up" ? up : down).setAttribute("aria-pressed", "true");
    const sent = await onRate(rating, comment);
    said.textContent = t(sent ? "r_thanks" : "r_failed");
    if (sent) {
      if (ask) ask.remove();
      return;
    }
    up.disabled = down.disabled = false;
    (rating === "up" ? up : down).setAttribute("aria-pressed", "false");
  }

  up.addEventListener("click", () => rate("up", ""));
  down.addEventListener("click", () => {
    if (ask) return ask.querySelector("textarea")?.focus();
    const id = "rc-why" + Math.random().toString(36).slice(2, 8);
    const box = h(doc, "textarea", { id, rows: "2", maxlength: "1000" });
    ask = h(doc, "form", { class: "lead why" }, [
      h(doc, "label", { for: id, text: t("r_why") }), box,
      h(doc, "div", { class: "actions" }, [h(doc, "button", { class: "primary", type: "submit", text: t("r_send") })]),
    ]);
    ask.addEventListener("submit", (event) => {
      event.preventDefault();
      rate("down", box.value.trim());
    });
    element.after(ask);
    box.focus();
  });
  return element;
}
