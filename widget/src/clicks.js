// @ts-check
// The last few things the visitor clicked on the host page, remembered from
// page load: what they looked at before opening the chat is context too.
// They are described (and private fields left out) only when a message is
// sent, by context.js in the conversation UI.

const MAX_CLICKS = 5;

/**
 * @param {Document} doc
 * @param {HTMLElement} host the widget's own element, whose clicks are not the page's
 * @returns {{elements: () => Element[], stop: () => void}}
 */
export function trackClicks(doc, host) {
  /** @type {Element[]} */
  const clicks = [];
  /** @param {Event} event */
  function onClick(event) {
    if (event.composedPath().includes(host)) return;
    const target = /** @type {Element | null} */ (event.target);
    const found = target && target.closest && target.closest("[data-repchat-id],a,button,[role=button],summary,label,input,select");
    if (!found) return;
    clicks.push(found);
    if (clicks.length > MAX_CLICKS) clicks.shift();
  }
  doc.addEventListener("click", onClick, true);
  return {
    elements: () => clicks.slice(),
    stop: () => doc.removeEventListener("click", onClick, true),
  };
}
