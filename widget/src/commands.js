// @ts-check
// Runs the UI commands a reply carries, each through a guard: navigation
// stays on the site, selectors stay in the host document (never the
// widget), forms never get secrets. Each run returns what happened, so the
// transcript can say it and server:true commands can be reported.
import { isPrivateField } from "./context.js";

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
 * @property {(prefill: Record<string, string>) => void} [contact] the chat's own contact card
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
  if (typeof selector !== "string" || !selector || selector.length > 200) return null;
  /** @type {HTMLElement | null} */
  let element = null;
  try {
    element = doc.querySelector(selector);
  } catch (_) {
    return null;
  }
  if (!element || (host && (element === host || host.contains(element) || element.contains(host)))) return null;
  return element;
}

/** @param {any} field */
const fillable = (field) => !isPrivateField(field) && !field.disabled && !field.readOnly;

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
      return { result: ok === false ? "failed" : "executed", key: "navigated", note: command.label || type };
    }
    if (type === "navigate") {
      const checked = checkNavigate(command.url, env.win.location.href, env.allowedOrigins);
      if (checked.blocked) return { result: "blocked", key: "blocked", note: "navigate to " + checked.blocked };
      return { result: "executed", key: "navigated", note: command.label || new URL(/** @type {string} */ (checked.url)).pathname, url: checked.url };
    }
    if (type === "open_modal") {
      const id = String(command.id || "");
      const byId = /** @type {HTMLDialogElement | null} */ (id ? env.doc.getElementById(id) : null);
      if (byId && byId.tagName === "DIALOG" && !(env.host && env.host.contains(byId))) {
        if (!byId.open) byId.showModal();
        return { result: "executed", key: "openedModal", note: label(byId, id) };
      }
      const optedIn = id && findTarget(env.doc, "[data-repchat-modal=\"" + id.replace(/["\\]/g, "") + "\"]", env.host);
      if (optedIn) {
        if (optedIn.tagName === "DIALOG") /** @type {HTMLDialogElement} */ (optedIn).showModal();
        else optedIn.hidden = false;
        optedIn.dispatchEvent(new CustomEvent("repchat:open", { bubbles: true, detail: command }));
        return { result: "executed", key: "openedModal", note: label(optedIn, id) };
      }
      // No such window on this page (a QR landing page, say): the chat's own contact card stands in.
      if (env.contact && /contact|sales|lead/i.test(id)) {
        env.contact({});
        return { result: "executed", key: "c_offered" };
      }
      return { result: "blocked", key: "blocked", note: "open " + (id || "a window") };
    }
    if (type === "collect_contact") {
      if (!env.contact) return { result: "blocked", key: "blocked", note: "collect_contact" };
      const prefill = command.prefill && typeof command.prefill === "object" ? command.prefill : {};
      /** @type {Record<string, string>} */
      const fields = {};
      for (const name of ["name", "email", "phone", "note"]) if (typeof prefill[name] === "string") fields[name] = prefill[name];
      env.contact(fields);
      return { result: "executed", key: "c_offered" };
    }
    if (type === "scroll_to" || type === "highlight") {
      const target = findTarget(env.doc, command.selector, env.host);
      if (!target) return { result: "blocked", key: "blocked", note: String(command.selector).slice(0, 60) };
      target.scrollIntoView({ behavior: env.reducedMotion ? "auto" : "smooth", block: "center" });
      if (type === "highlight") highlight(target, env);
      return { result: "executed", key: type === "highlight" ? "highlighted" : "scrolled", note: label(target, command.selector) };
    }
    if (type === "fill_form") {
      const form = findTarget(env.doc, command.form, env.host);
      if (!form || form.tagName !== "FORM" || form.closest("[data-repchat-private]")) {
        return { result: "blocked", key: "blocked", note: "fill " + String(command.form).slice(0, 60) };
      }
      let filled = 0;
      for (const [name, value] of Object.entries(command.fields || {})) {
        const field = /** @type {any} */ (form).elements.namedItem(name);
        if (!field || !field.tagName || !fillable(field)) continue;
        setValue(field, String(value).slice(0, 500));
        filled++;
      }
      if (!filled) return { result: "blocked", key: "blocked", note: "fill " + String(command.form).slice(0, 60) };
      return { result: "executed", key: "filled", count: filled, note: String(filled) };
    }
  } catch (error) {
    return { result: "failed", key: "blocked", note: type + ": " + (error && error.message) };
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
