// @ts-check
// What the Representative may know about the page: where the visitor is,
// what they clicked, and what they typed into ordinary form fields. Secrets
// never leave the page: password, hidden, one-time-code and card fields, and
// anything marked data-repchat-private, are not even read.

// Which names are secret is the BFF's to say (bff/static/redaction.json,
// fetched by mount.js before the first message); until the rules are here every
// name counts as secret, so nothing is read on a guess. Names are folded
// first (fullwidth forms, accents, invisible characters, camelCase, Cyrillic
// and Greek look-alikes), so "pаssword" with a Cyrillic "а" is a password.
import { fetchRules } from "./transport.js";

/**
 * @typedef {object} RawRules the JSON of bff/static/redaction.json
 * @property {string[]} confusables look-alike letters, and the Latin ones they read as
 * @property {string[]} secretWords
 * @property {string[]} secretPieces
 * @property {string} secretValue
 * @property {string[]} secretParams
 * @property {string[]} secretParamEnds
 * @typedef {RawRules & {pieces: RegExp, value: RegExp}} Rules
 */
/** @type {Rules | null} */
let rules = null;

/** @param {RawRules} raw take the rules */
export function useRules(raw) {
  rules = { ...raw, pieces: new RegExp(raw.secretPieces.join("|")), value: new RegExp(raw.secretValue) };
}

/**
 * The words of a field or parameter name, folded for comparison.
 * @param {unknown} name
 * @param {Rules} known
 */
export function nameWords(name, known) {
  const plain = String(name).normalize("NFKD").replace(/[\p{M}\p{Cf}]/gu, "").replace(/([a-z0-9])([A-Z])/g, "$1 $2");
  const [from, to] = known.confusables;
  return Array.from(plain.toLowerCase(), (c) => to[from.indexOf(c)] || c).join("").match(/\p{L}+|[0-9]+/gu) || [];
}

/**
 * Whether a field, key or parameter with this name may hold a secret (any name, until the rules are here).
 * @param {unknown} name
 */
export function isSecretName(name) {
  const known = rules;
  if (!known) return true;
  const words = nameWords(name, known);
  return words.some((word) => known.secretWords.includes(word)) || known.pieces.test(words.join(""));
}

/**
 * Whether a URL query parameter carries a credential, by its name or a token-shaped value.
 * @param {string} name
 * @param {string} [value]
 */
export function isSecretParam(name, value = "") {
  const known = rules;
  if (!known || isSecretName(name)) return true;
  const words = nameWords(name, known);
  return known.secretParams.includes(words.join("")) || known.secretParamEnds.includes(words.pop() || "") || known.value.test(value);
}

const SKIPPED_TYPES = new Set(["password", "hidden", "file", "submit", "button", "reset", "image"]);
const MAX_FIELDS = 30;
const MAX_VALUE = 300;
const MAX_TEXT = 60;
export const MAX_CONTEXT_BYTES = 8000;

/**
 * Path and query of a URL (with `origin`, its origin first), without
 * userinfo, fragment or credential-carrying parameters.
 */
export function cleanPage(href, origin) {
  let url;
  try {
    url = new URL(href);
  } catch (_) {
    return "";
  }
  const query = new URLSearchParams([...url.searchParams].filter(([name, value]) => !isSecretParam(name, value))) + "";
  return (origin ? url.origin : "") + url.pathname + (query ? "?" + query : "");
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
    /one-time-code|(^|\s)cc-|-password/.test(autocomplete) ||
    isSecretName(field.name || field.id || "") ||
    !!field.closest("[data-repchat-private]")
  );
}

/**
 * Whether the visitor can see this element itself (not only its form): laid
 * out, not hidden by CSS (display, visibility, opacity, content-visibility),
 * bigger than a dot and not pushed off the page.
 */
export function isVisible(element) {
  const rect = element.getBoundingClientRect();
  const win = element.ownerDocument.defaultView;
  return !element.hidden && element.checkVisibility?.({ checkOpacity: true, checkVisibilityCSS: true }) !== false &&
    rect.width > 1 && rect.height > 1 && rect.right + win.scrollX > 0 && rect.bottom + win.scrollY > 0;
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
      if (!name || field.disabled || isPrivateField(field) || !isVisible(field)) continue;
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
    pageUrl: cleanPage(url.href, 1),
  };
  const campaign = params.get("c") || params.get("campaign") || utm.utm_campaign;
  if (campaign) context.campaign = campaign.slice(0, 100);
  if (win.document.referrer) context.referrer = cleanPage(win.document.referrer, 1).slice(0, 500);
  if (Object.keys(utm).length) context.utm = utm;
  return context;
}

/**
 * What each message tells the Representative about the page (uiContext) and,
 * once, how the visitor arrived (scanContext). Which names are secret is the
 * BFF's to say: its rules are fetched once, when the panel opens or before
 * the first message (again after a failure); until then nothing is read.
 * @param {object} options
 * @param {Window} options.win
 * @param {Document} options.doc
 * @param {string} options.base the BFF
 * @param {string} [options.source] data-source
 * @param {() => Element[]} options.clicks what the visitor clicked, newest last
 * @param {() => Record<string, unknown>} options.extra what the host page set with RepChat.setContext
 */
export function createPageContext({ win, doc, base, source, clicks, extra }) {
  /** @type {Promise<void> | null} */
  let fetched = null;
  const ready = () =>
    (fetched ||= fetchRules(base).then((raw) => {
      if (raw) useRules(raw);
      else fetched = null;
    }));
  return {
    ready,
    ui: async () => {
      await ready();
      return capContext({
        currentPage: cleanPage(win.location.href),
        selectedElements: clicks().filter((target) => target.tagName !== "INPUT" || !isPrivateField(target)).map(describe),
        formData: collectForms(doc),
        ...extra(),
      });
    },
    scan: async () => {
      await ready();
      return scanContext(win, source);
    },
  };
}
