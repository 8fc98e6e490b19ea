// @ts-check
// What the Representative may know about the page: where the visitor is,
// what they clicked, and what they typed into ordinary form fields. Secrets
// never leave the page: password, hidden, one-time-code and card fields, and
// anything marked data-repchat-private, are not even read.

const SECRET_PARAM = /^(.*token.*|.*secret.*|.*key|pass.*|pwd|auth.*|code|sig|signature|session.*|sid|otp)$/i;
const SECRET_NAME = /pass(word|wd|code)?|pwd|secret|token|api.?key|ssn|cvv|cvc|csc|card.?(num|no)|iban|otp|one.?time/i;
const SKIPPED_TYPES = new Set(["password", "hidden", "file", "submit", "button", "reset", "image"]);
const MAX_CLICKS = 5;
const MAX_FIELDS = 30;
const MAX_VALUE = 300;
const MAX_TEXT = 60;
export const MAX_CONTEXT_BYTES = 8000;

/** Path and query of a URL, without secret-looking parameters or the fragment. */
export function cleanPage(href) {
  let url;
  try {
    url = new URL(href);
  } catch (_) {
    return "";
  }
  const kept = new URLSearchParams();
  for (const [name, value] of url.searchParams) if (!SECRET_PARAM.test(name)) kept.append(name, value);
  const query = kept.toString();
  return url.pathname + (query ? "?" + query : "");
}

/** A short, human description of a clicked element. */
export function describe(element) {
  const attr = (name) => (element.getAttribute && element.getAttribute(name)) || "";
  if (attr("data-repchat-id")) return attr("data-repchat-id");
  if (element.id) return "#" + element.id;
  if (attr("aria-label")) return attr("aria-label").slice(0, MAX_TEXT);
  // A form control is named by its label, never by what was typed into it.
  const owner = element.labels && element.labels[0];
  const text = String((owner || element).textContent || attr("name") || "").replace(/\s+/g, " ").trim();
  return text ? text.slice(0, MAX_TEXT) : (element.tagName || "element").toLowerCase();
}

/** Fields the widget never reads nor fills: secrets by type, autocomplete, name or opt-out. */
export function isPrivateField(field) {
  const type = String(field.type || "").toLowerCase();
  const autocomplete = String(field.getAttribute("autocomplete") || "").toLowerCase();
  return (
    SKIPPED_TYPES.has(type) ||
    autocomplete.includes("one-time-code") ||
    /(^|\s)cc-/.test(autocomplete) ||
    autocomplete.includes("current-password") ||
    autocomplete.includes("new-password") ||
    SECRET_NAME.test(field.name || "") ||
    !!field.closest("[data-repchat-private]")
  );
}

function isVisible(element) {
  return !element.hidden && element.getClientRects().length > 0;
}

/** {name: value} of ordinary fields in visible forms. */
export function collectForms(doc) {
  const data = {};
  let count = 0;
  for (const form of Array.from(doc.forms)) {
    if (!isVisible(form) || form.closest("[data-repchat-private]")) continue;
    for (const field of Array.from(form.elements)) {
      if (count >= MAX_FIELDS) return data;
      const name = field.name || field.id;
      if (!name || field.disabled || isPrivateField(field)) continue;
      let value;
      if (field.type === "checkbox" || field.type === "radio") {
        if (!field.checked) continue;
        value = field.value === "on" ? "yes" : field.value;
      } else if (field.tagName === "SELECT" && field.multiple) {
        value = Array.from(field.selectedOptions, (option) => option.value).join(", ");
      } else {
        value = field.value;
      }
      if (!value) continue;
      data[name] = String(value).slice(0, MAX_VALUE);
      count++;
    }
  }
  return data;
}

/** Remembers the last few things the visitor clicked on the host page. */
export function trackClicks(doc, host) {
  const clicks = [];
  function onClick(event) {
    const path = event.composedPath ? event.composedPath() : [];
    if (host && path.includes(host)) return;
    const target = event.target && event.target.closest &&
      event.target.closest("[data-repchat-id],a,button,[role=button],summary,label,input,select");
    if (!target || (target.tagName === "INPUT" && isPrivateField(target))) return;
    clicks.push(describe(target));
    if (clicks.length > MAX_CLICKS) clicks.shift();
  }
  doc.addEventListener("click", onClick, true);
  return {
    list: () => clicks.slice(),
    stop: () => doc.removeEventListener("click", onClick, true),
  };
}

/**
 * Keep a context object under the byte budget by trimming form data, then clicks.
 * @template {{formData?: Record<string, unknown>, selectedElements?: string[]}} C
 * @param {C} context
 * @returns {C}
 */
export function capContext(context, limit = MAX_CONTEXT_BYTES) {
  const size = () => new TextEncoder().encode(JSON.stringify(context)).length;
  const form = context.formData || {};
  const names = Object.keys(form);
  while (size() > limit && names.length) delete form[/** @type {string} */ (names.pop())];
  while (size() > limit && context.selectedElements && context.selectedElements.length) context.selectedElements.shift();
  return context;
}

/** How the visitor arrived: sent once, with the first message of a session. */
export function scanContext(win, forcedSource) {
  const url = new URL(win.location.href);
  const params = url.searchParams;
  const utm = {};
  for (const [name, value] of params) if (name.startsWith("utm_")) utm[name] = value.slice(0, 100);
  const marker = (params.get("src") || "").toLowerCase();
  const context = {
    source: forcedSource || (marker === "qr" ? "qr_scan" : "web"),
    tabTitle: String(win.document.title || "").slice(0, 200),
    pageUrl: url.origin + cleanPage(url.href),
  };
  const campaign = params.get("c") || params.get("campaign") || utm.utm_campaign;
  if (campaign) context.campaign = campaign.slice(0, 100);
  if (win.document.referrer) context.referrer = win.document.referrer.split("#")[0].slice(0, 500);
  if (Object.keys(utm).length) context.utm = utm;
  return context;
}
