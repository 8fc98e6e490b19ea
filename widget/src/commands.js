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
 * @property {string} [lang] the widget's language, for lists of field names
 * @property {(prefill?: Record<string, string>) => void} [contact] the chat's own contact card (issue 16), offered
 *   when the Representative asks for a window this page lacks
 */

/**
 * What a command did, for the transcript and the BFF. The transcript speaks
 * from `key` and `vars` (visitor words: a page's or a form's name, never a
 * selector); `note` is the technical reason, for the owner's console.
 * @typedef {object} Outcome
 * @property {"executed" | "blocked" | "failed" | "ignored"} result
 * @property {string} [key] the strings.js key that says it
 * @property {Record<string, string>} [vars]
 * @property {string} [note]
 * @property {string} [url] where to navigate
 * @property {string} [link] a page of the site that offers what this page lacks
 * @property {HTMLDialogElement} [modal] a host dialog now open as a modal
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
 * What to call an element in the transcript: its accessible name or heading, or "".
 * @param {Element} element
 */
function label(element) {
  const labelledBy = element.getAttribute("aria-labelledby");
  const named = labelledBy && element.ownerDocument.getElementById(labelledBy.split(" ")[0]);
  const heading = element.querySelector("h1,h2,h3,h4,h5,h6");
  const name = element.getAttribute("aria-label") || (named || heading || {}).textContent;
  return (name && name.trim().slice(0, 60)) || "";
}

/**
 * Words from an id or a path segment: "contact-form" -> "contact form".
 * @param {string} text
 */
const words = (text) => decodeURIComponent(text).replace(/[-_]+/g, " ").trim().toLowerCase();

/**
 * What a visitor calls a page of the site: the text of a link to it on this
 * page ("Pricing"), else its last path segment, else "home".
 * @param {Document} doc
 * @param {string} url absolute
 */
export function pageName(doc, url) {
  const target = new URL(url);
  const bare = (/** @type {string} */ href) => href.split("#")[0];
  for (const link of Array.from(doc.links)) {
    const text = (link.textContent || "").trim();
    if (text && text.length <= 30 && bare(link.href) === bare(target.href)) return text.toLowerCase();
  }
  return words(target.pathname.split("/").filter(Boolean).pop() || "") || "home";
}

/**
 * A link on this page to a page named like `word` ("contact" -> /contact), for
 * a visitor whose page lacks the window or form the Representative meant.
 * @param {Document} doc
 * @param {string} word
 */
function pageFor(doc, word) {
  const key = words(word).split(" ")[0];
  if (!key) return "";
  const link = Array.from(doc.links).find((a) => a.origin === doc.location.origin && words(a.pathname.split("/").pop() || "") === key);
  return link ? link.href : "";
}

/**
 * What a visitor calls a form field: its label's own words, else its name.
 * @param {any} field
 */
function fieldName(field) {
  const own = field.labels && field.labels[0]
    ? Array.from(/** @type {NodeListOf<ChildNode>} */ (field.labels[0].childNodes)).filter((n) => n.nodeType === 3).map((n) => n.textContent).join(" ")
    : "";
  return (own.trim() || field.getAttribute("aria-label") || words(field.name || "")).toLowerCase().slice(0, 40);
}

/**
 * Run one command. Resolves to what happened (see Outcome); a command that
 * cannot run here says why in visitor words and, where the site has one,
 * points to the page that can.
 * @param {any} command
 * @param {Env} env
 * @returns {Promise<Outcome>}
 */
export async function runCommand(command, env) {
  const type = command && command.type;
  const handler = env.handlers[type];
  try {
    if (handler) {
      // The host did it its own way: say only that it was done.
      const ok = await handler(command);
      return ok === false ? { result: "failed", key: "notDone", note: type + " handler returned false" } : { result: "executed", key: "done" };
    }
    if (type === "navigate") {
      const checked = checkNavigate(command.url, env.win.location.href, env.allowedOrigins);
      if (checked.blocked) return { result: "blocked", key: "noPage", note: "navigate to " + checked.blocked };
      const url = /** @type {string} */ (checked.url);
      return { result: "executed", key: "navigated", vars: { page: pageName(env.doc, url) }, url };
    }
    if (type === "open_modal") {
      // Only a modal the owner marked for the Representative: never any <dialog> the page has.
      const id = String(command.id || "");
      const optedIn = /** @type {HTMLElement | undefined} */ (Array.from(env.doc.querySelectorAll("[data-repchat-modal]"))
        .find((element) => element.getAttribute("data-repchat-modal") === id && !(env.host && env.host.contains(element))));
      if (optedIn) {
        const dialog = optedIn.tagName === "DIALOG" ? /** @type {HTMLDialogElement} */ (optedIn) : null;
        if (!dialog) optedIn.hidden = false;
        else if (!dialog.open) dialog.showModal();
        optedIn.dispatchEvent(new CustomEvent("repchat:open", { bubbles: true, detail: command }));
        return opened(optedIn, dialog);
      }
      return { result: "blocked", key: "noModal", note: "open " + (id || "a window") + ": not on this page", link: pageFor(env.doc, id) };
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
      if (!target) return { result: "blocked", key: "noTarget", note: String(command.selector).slice(0, 60) + ": not on this page" };
      target.scrollIntoView({ behavior: env.reducedMotion ? "auto" : "smooth", block: "center" });
      if (type === "highlight") highlight(target, env);
      const name = label(target);
      return { result: "executed", key: !name ? "shown" : type === "highlight" ? "highlighted" : "scrolled", vars: { target: name } };
    }
    if (type === "fill_form") {
      const form = findTarget(env.doc, command.form, env.host);
      const formId = String(command.form || "").replace(/^#/, "");
      if (!form || form.tagName !== "FORM" || form.closest("[data-repchat-private]")) {
        return { result: "blocked", key: "noForm", note: "fill " + String(command.form).slice(0, 60) + ": not on this page", link: pageFor(env.doc, formId) };
      }
      /** @type {string[]} */
      const filled = [];
      for (const [name, value] of Object.entries(command.fields || {})) {
        const field = /** @type {any} */ (form).elements.namedItem(name);
        if (!field || !field.tagName || !fillable(field)) continue;
        setValue(field, String(value).slice(0, 500));
        filled.push(fieldName(field));
      }
      if (!filled.length) return { result: "blocked", key: "noFields", note: "fill " + String(command.form).slice(0, 60) + ": no fillable field" };
      const formName = words(form.id || formId);
      const list = new Intl.ListFormat(env.lang, { type: "conjunction" }).format(filled);
      return { result: "executed", key: "filled", vars: { fields: list, form: !formName ? "form" : /form$/.test(formName) ? formName : formName + " form" } };
    }
  } catch (error) {
    console.warn("[repchat] a command failed", type, error);
    return { result: "failed", key: "notDone", note: type + ": " + (error && error.message) };
  }
  return { result: "ignored" };
}

/**
 * @param {HTMLElement} element
 * @param {HTMLDialogElement | null} dialog
 * @returns {Outcome}
 */
function opened(element, dialog) {
  const name = label(element);
  /** @type {Outcome} */
  const outcome = { result: "executed", key: name ? "openedModal" : "openedWindow", vars: { target: name } };
  if (dialog && dialog.matches(":modal")) outcome.modal = dialog;
  return outcome;
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
