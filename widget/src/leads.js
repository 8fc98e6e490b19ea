// @ts-check
// What a visitor leaves for the owner: the contact card's details (sent once,
// whatever the clicks and retries, by an idempotency key per card) and the
// ratings of answers. Nothing typed into the card is stored in the browser:
// on success the transcript keeps only a note that the details were sent.
import { createContactCard } from "./contact.js";
import { RENEWABLE } from "./errors.js";
import { createRating } from "./rating.js";

/** @typedef {import("./transport.js").Transport} Transport */
/** @typedef {import("./contact.js").Prefill} Prefill */
/** @typedef {import("./contact.js").ContactCard} ContactCard */

/** A random key for one card: what makes a double submit or a retry save once. */
function newKey() {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * @param {object} options
 * @param {Document} options.doc
 * @param {(key: string, vars?: Record<string, unknown>) => string} options.t
 * @param {Transport} options.transport
 * @param {(fresh?: boolean) => Promise<string>} options.session a visitor token (a fresh one when asked)
 * @param {() => string} options.privacyUrl
 * @param {string} [options.profile]
 * @param {(element: HTMLElement) => HTMLElement} options.append
 * @param {(text: string) => void} options.note a line in the transcript, stored
 * @param {(open: boolean) => void} options.show open the panel
 * @param {(name: string, detail?: unknown) => void} options.emit the public events (a lead sent, a rating)
 */
export function createLeads({ doc, t, transport, session, privacyUrl, profile, append, note, show, emit }) {
  /** @type {ContactCard | null} */
  let card = null;

  /**
   * Call the BFF with a token, renewing it once if it expired.
   * @param {(token: string) => Promise<any>} call
   */
  async function withToken(call) {
    try {
      return await call(await session());
    } catch (error) {
      if (!error || !RENEWABLE.test(error.code)) throw error;
      return call(await session(true));
    }
  }

  /**
   * Show the contact card (one at a time), optionally with what the visitor already said.
   * @param {Prefill} [prefill]
   */
  async function openContact(prefill) {
    show(true);
    if (card) return card.focus();
    try {
      await session(); // the session names the owner's privacy notice
    } catch (_) {
      // offline: the card still shows; sending will say what failed
    }
    const raced = /** @type {ContactCard | null} */ (card); // opened again while the session came
    if (raced) return raced.focus();
    const key = newKey();
    const current = createContactCard({
      doc, t, prefill: prefill || {}, privacyUrl: privacyUrl(),
      onCancel() {
        current.remove();
        card = null;
      },
      async onSubmit(fields) {
        // Where the visitor came from (a QR code, its campaign) the BFF reads from the signed token.
        /** @type {Record<string, unknown>} */
        const body = { ...fields, consent: true };
        if (profile) body.profile = profile;
        try {
          await withToken((token) => transport.saveContact(token, body, key));
        } catch (error) {
          const failure = error || {};
          const reason = failure.code === "network" ? t("network") : failure.message || t("failed");
          current.fail(failure.fields ? t("c_check") : t("c_failed", { reason }), failure.fields);
          return;
        }
        current.remove();
        card = null;
        note(t("c_sent"));
        emit("lead");
      },
    });
    card = current;
    append(current.element);
    current.focus();
  }

  /**
   * Thumbs up and down under the answer `messageId`.
   * @param {string} messageId
   */
  function addRating(messageId) {
    append(createRating({
      doc, t,
      async onRate(rating, comment) {
        try {
          await withToken((token) => transport.feedback(token, { messageId, rating, comment: comment || undefined, profile }));
          emit("rating", { rating, messageId });
          return true;
        } catch (_) {
          return false;
        }
      },
    }));
  }

  return { openContact, addRating };
}
