// @ts-check
// Runs the UI commands a reply carries, each through a guard: navigation
// stays on the site, selectors name only visible things in the host document
// (never the widget), forms never get secrets nor lose what the visitor typed.
// Each run returns what happened, in the widget's own words (never the
// model's), so the transcript can say it and server:true commands can be reported.
import { isPrivateField, isVisible } from "./context.js";

// Ids, classes and data-* attribute names, joined by descendant or child
// combinators: what a page author writes to point at a visible thing. No
// attribute values, pseudo-classes or tag names, so no selector can test the
// value of a hidden input, a <meta> or a <link>. The BFF checks the same pattern.
const SIMPLE = "(?:[#.][A-Za-z_][\\w-]*|\\[data-[a-z0-9_-]+\\])+";
const SELECTOR = new RegExp("^" + SIMPLE + "(?:(?:\\s*>\\s*|\\s+)" + SIMPLE + ")*$");
// Elements a command never reports on, even when a selector finds them.
const UNSEEN = /^(HEAD|META|LINK|SCRIPT|STYLE|TEMPLATE|TITLE)$/;

/**
 * Where commands run: the host page, its registered handlers and the guards' settings.
 * @typedef {object} Env
 * @property {Document} doc
 * @property {Window} win
 * @property {HTMLElement | null} host the widget's element, which commands never touch
 * @property {Record<string, (command: any) => unknown>} handlers
 * @property {string[]} allowedOrigins
 * @property {(url: string) => void} navigate
 * @property {boolean} reducedMotion
 * @property {string} [accent]
 */

/**
 * @typedef {object} Outcome what a command did, for the transcript and the BFF
 * @property {"executed" | "blocked" | "failed" | "ignored"} result
 * @property {string} [key] the strings.js key that says it
 * @property {string} [note]
 * @property {number} [count]
 * @property {string} [url] where to navigate
 */

/**
 * The absolute URL to navigate to, or a {blocked} reason.
 * @param {unknown} url
 * @param {string} pageHref
 * @param {string[]} [allowedOrigins]
 * @returns {{url: string, blocked?: undefined} | {blocked: string, url?: undefined}}
 */
export function checkNavigate(url, pageHref, allowedOrigins = []) {
  if (typeof url !== "string" || !url) return { blocked: "no URL" };
  let target;
  try {
    target = new URL(url, pageHref);
  } catch (_) {
    return { blocked: "not a URL" };
  }
  if (target.protocol !== "http:" && target.protocol !== "https:") return { blocked: target.protocol + " links" };
  const here = new URL(pageHref).origin;
  if (target.origin !== here && !allowedOrigins.includes(target.origin)) return { blocked: target.origin };
  return { url: target.href };
}

/**
 * An element of the host document for a selector; never the widget or inside it.
 * @param {Document} doc
 * @param {unknown} selector
 * @param {Node | null} [host]
 * @returns {HTMLElement | null}
 */
export function findTarget(doc, selector, host) {
  if (typeof selector !== "string" || selector.length > 200 || !SELECTOR.test(selector.trim()) || /repchat/i.test(selector)) return null;
  /** @type {HTMLElement | null} */
  const element = doc.querySelector(selector);
  if (!element || UNSEEN.test(element.tagName) || /** @type {any} */ (element).type === "hidden" || !isVisible(element)) return null;
  if (host && (element === host || host.contains(element) || element.contains(host))) return null;
  return element;
}

/**
 * Whether the Representative may fill this field: an ordinary one the visitor can see and has not typed into.
 * @param {any} field
 */
const fillable = (field) =>
  !isPrivateField(field) && !field.disabled && !field.readOnly && isVisible(field) &&
  (field.options ? Array.from(field.options).every((option) => option.selected === option.defaultSelected) : field.value === field.defaultValue);

/**
 * @param {HTMLInputElement} field
 * @param {string} value
 */
function setValue(field, value) {
  // Use the native setter so frameworks that track value changes notice.
  const proto = Object.getPrototypeOf(field);
  const descriptor = Object.getOwnPropertyDescriptor(proto, "value");
  if (descriptor && descriptor.set) descriptor.set.call(field, value);
  else field.value = value;
  field.dispatchEvent(new Event("input", { bubbles: true }));
  field.dispatchEvent(new Event("change", { bubbles: true }));
}

/**
 * What to call an element in the transcript: its accessible name if it has one.
 * @param {Element} element
 * @param {string} fallback
 */
function label(element, fallback) {
  const labelledBy = element.getAttribute("aria-labelledby");
  const named = labelledBy && element.ownerDocument.getElementById(labelledBy.split(" ")[0]);
  const heading = element.querySelector("h1,h2,h3,h4,h5,h6");
  const name = element.getAttribute("aria-label") || (named || heading || {}).textContent;
  return (name && name.trim().slice(0, 60)) || (element.id ? "#" + element.id : fallback);
}

/**
 * Run one command. env: {doc, win, host, handlers, allowedOrigins, navigate,
 * reducedMotion}. Resolves to {result: executed|blocked|failed|ignored, note, key}.
 * @param {any} command
 * @param {Env} env
 * @returns {Promise<Outcome>}
 */
export async function runCommand(command, env) {
  const type = command && command.type;
  const handler = env.handlers[type];
  try {
    if (handler) {
      const ok = await handler(command);
      return { result: ok === false ? "failed" : "executed", key: "navigated", note: type };
    }
    if (type === "navigate") {
      const checked = checkNavigate(command.url, env.win.location.href, env.allowedOrigins);
      if (checked.blocked) return { result: "blocked", key: "blocked", note: type };
      return { result: "executed", key: "navigated", note: new URL(/** @type {string} */ (checked.url)).pathname, url: checked.url };
    }
    if (type === "open_modal") {
      // Only a modal the owner marked for the Representative: never any <dialog> the page has.
      const id = String(command.id || "");
      const optedIn = /** @type {HTMLElement | undefined} */ (Array.from(env.doc.querySelectorAll("[data-repchat-modal]"))
        .find((element) => element.getAttribute("data-repchat-modal") === id && !(env.host && env.host.contains(element))));
      if (optedIn) {
        const dialog = /** @type {HTMLDialogElement} */ (optedIn);
        if (optedIn.tagName !== "DIALOG") optedIn.hidden = false;
        else if (!dialog.open) dialog.showModal();
        optedIn.dispatchEvent(new CustomEvent("repchat:open", { bubbles: true, detail: command }));
        return { result: "executed", key: "openedModal", note: label(optedIn, id) };
      }
      return { result: "blocked", key: "blocked", note: type };
    }
    if (type === "scroll_to" || type === "highlight") {
      const target = findTarget(env.doc, command.selector, env.host);
      if (!target) return { result: "blocked", key: "blocked", note: type };
      target.scrollIntoView({ behavior: env.reducedMotion ? "auto" : "smooth", block: "center" });
      if (type === "highlight") highlight(target, env);
      return { result: "executed", key: type === "highlight" ? "highlighted" : "scrolled", note: label(target, command.selector) };
    }
    if (type === "fill_form") {
      const form = findTarget(env.doc, command.form, env.host);
      if (!form || form.tagName !== "FORM" || form.closest("[data-repchat-private]")) {
        return { result: "blocked", key: "blocked", note: type };
      }
      let filled = 0;
      for (const [name, value] of Object.entries(command.fields || {})) {
        const field = /** @type {any} */ (form).elements.namedItem(name);
        if (!field || !field.tagName || !fillable(field)) continue;
        setValue(field, String(value).slice(0, 500));
        filled++;
      }
      if (!filled) return { result: "blocked", key: "blocked", note: type };
      return { result: "executed", key: "filled", count: filled, note: String(filled) };
    }
  } catch (error) {
    console.warn("[repchat] a command failed", type, error);
    return { result: "failed", key: "blocked", note: type };
  }
  return { result: "ignored" };
}

/**
 * @param {HTMLElement} element
 * @param {Env} env
 */
function highlight(element, env) {
  const style = element.style;
  const before = [style.outline, style.outlineOffset, style.transition];
  // CSSOM property writes are allowed under a strict CSP (style attributes in markup are not).
  style.transition = env.reducedMotion ? "" : "outline-color .4s";
  style.outline = "3px solid " + (env.accent || "#2563eb");
  style.outlineOffset = "4px";
  element.setAttribute("data-repchat-highlight", "");
  env.win.setTimeout(() => {
    [style.outline, style.outlineOffset, style.transition] = before;
    element.removeAttribute("data-repchat-highlight");
  }, 4000);
}
