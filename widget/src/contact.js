// @ts-check
// The contact card: name, email, optional phone and note, and consent with a
// link to the owner's privacy notice. It checks what the browser can, shows
// what the BFF says is wrong field by field, and keeps what was typed until
// the details are sent; then it is removed and nothing of it is kept.
import { h } from "./dom.js";

/** @typedef {{name: string, email: string, phone: string, note: string}} ContactFields */
/** @typedef {Partial<ContactFields>} Prefill */

/**
 * @typedef {object} ContactCard
 * @property {HTMLFormElement} element
 * @property {() => void} focus
 * @property {(message: string, fields?: Record<string, string>) => void} fail show why sending failed; the entries stay
 * @property {() => void} remove
 */

const FIELDS = /** @type {const} */ (["name", "email", "phone", "note"]);
const EMAIL = /^[^@\s]+@[^@\s.]+(\.[^@\s.]+)+$/;
const PHONE = /^\+?[0-9 ()./-]{5,32}$/;
let cards = 0;

/**
 * @param {{doc: Document, t: (key: string, vars?: Record<string, unknown>) => string, prefill?: Prefill,
 *   privacyUrl?: string, onSubmit: (fields: ContactFields) => void, onCancel: () => void}} options
 * @returns {ContactCard}
 */
export function createContactCard({ doc, t, prefill = {}, privacyUrl, onSubmit, onCancel }) {
  const id = "rc-card" + ++cards;
  /** @type {Record<string, HTMLInputElement | HTMLTextAreaElement>} */
  const inputs = {};
  /** @type {Record<string, HTMLElement>} */
  const errors = {};
  const row = (/** @type {string} */ name, /** @type {HTMLInputElement | HTMLTextAreaElement} */ input) => {
    input.id = id + name;
    inputs[name] = input;
    errors[name] = h(doc, "span", { class: "err", id: id + name + "e" });
    return h(doc, "div", { class: "row" }, [h(doc, "label", { for: input.id, text: t("c_" + name) }), input, errors[name]]);
  };
  const field = (/** @type {string} */ name, /** @type {string} */ type, /** @type {string} */ autocomplete) =>
    h(doc, "input", { type, name, autocomplete, maxlength: name === "email" ? "254" : name === "phone" ? "32" : "100" });
  const consent = h(doc, "input", { type: "checkbox", id: id + "consent" });
  const consentLabel = h(doc, "label", { for: consent.id, text: t("c_consent") + " " });
  const status = h(doc, "p", { class: "err", role: "alert" });
  const send = h(doc, "button", { class: "primary", type: "submit", text: t("c_send") });
  const cancel = h(doc, "button", { class: "plain", type: "button", text: t("cancel") });
  const consentRow = h(doc, "div", { class: "row check" }, [consent, consentLabel]);
  errors.consent = consentRow.appendChild(h(doc, "span", { class: "err", id: id + "consente" }));
  const form = h(doc, "form", { class: "lead", "aria-labelledby": id + "t", novalidate: true }, [
    h(doc, "h3", { id: id + "t", text: t("c_title") }),
    h(doc, "p", { class: "sub", text: t("c_intro") }),
    row("name", field("name", "text", "name")),
    row("email", field("email", "email", "email")),
    row("phone", field("phone", "tel", "tel")),
    row("note", h(doc, "textarea", { name: "note", rows: "2", maxlength: "1000" })),
    consentRow, status,
    h(doc, "div", { class: "actions" }, [send, cancel]),
  ]);
  if (privacyUrl && /^https?:\/\//.test(privacyUrl)) {
    consentLabel.appendChild(h(doc, "a", { href: privacyUrl, target: "_blank", rel: "noopener noreferrer", text: t("c_privacy") }));
  }
  for (const name of FIELDS) inputs[name].value = String(prefill[name] || "").slice(0, name === "note" ? 1000 : 254);

  /**
   * Mark each field as wrong or right; focus the first wrong one.
   * @param {Record<string, string>} wrong
   */
  function mark(wrong) {
    /** @type {HTMLElement | null} */
    let first = null;
    for (const name of [...FIELDS, "consent"]) {
      const control = name === "consent" ? consent : inputs[name];
      const text = wrong[name] || "";
      errors[name].textContent = text;
      if (text) {
        control.setAttribute("aria-invalid", "true");
        control.setAttribute("aria-describedby", errors[name].id);
        first = first || control;
      } else {
        control.removeAttribute("aria-invalid");
        control.removeAttribute("aria-describedby");
      }
    }
    if (first) first.focus();
    return !first;
  }

  /** @returns {Record<string, string>} what the browser can tell is wrong */
  function check() {
    /** @type {Record<string, string>} */
    const wrong = {};
    const value = (/** @type {string} */ name) => inputs[name].value.trim();
    if (!value("name")) wrong.name = t("c_needName");
    if (!EMAIL.test(value("email")) || /** @type {HTMLInputElement} */ (inputs.email).validity.typeMismatch) wrong.email = t("c_needEmail");
    if (value("phone") && (!PHONE.test(value("phone")) || value("phone").replace(/\D/g, "").length < 5)) wrong.phone = t("c_needPhone");
    if (!consent.checked) wrong.consent = t("c_needConsent");
    return wrong;
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    if (send.disabled) return; // one send at a time: a double click sends once
    status.textContent = "";
    if (!mark(check())) return;
    send.disabled = true;
    send.textContent = t("c_sending");
    const values = /** @type {ContactFields} */ ({});
    for (const name of FIELDS) values[name] = inputs[name].value.trim();
    onSubmit(values);
  });
  cancel.addEventListener("click", onCancel);

  return {
    element: form,
    focus: () => (inputs.name.value ? inputs.email : inputs.name).focus({ preventScroll: false }),
    fail(message, fields) {
      send.disabled = false;
      send.textContent = t("c_again");
      /** @type {Record<string, string>} */
      const wrong = {};
      // Our own sentence for a field we know (it is translated); the BFF's otherwise.
      for (const name in fields || {}) {
        wrong[name] = name in errors ? t("c_need" + name[0].toUpperCase() + name.slice(1)) : String(fields && fields[name]);
      }
      mark(wrong);
      status.textContent = message;
    },
    remove: () => form.remove(),
  };
}
