// @ts-check
// Loading the conversation UI (panel, chat, renderer): a second script from
// the BFF, built with widget.js and named by its content hash, so it is
// cached for a year and a deploy never mixes versions. It is added as a
// <script src> from widget.js's own origin, so a Content-Security-Policy
// that allows widget.js allows it too: no eval, no inline code.

/** @typedef {{contract: number, mountConversation: typeof import("./conversation.js").mountConversation}} Chunk */
/** @typedef {{contract: number, diagnose: typeof import("./doctor/index.js").diagnose}} Doctor */

// What widget.js and the chunk agree on (mountConversation's options and what
// it returns). Raise it when that changes: a widget.js cached from an earlier
// deploy, which the BFF sends to the current chunk, then says it cannot load
// instead of running code it does not fit.
export const CONTRACT = 5; // 5: the page (clicks, setContext, identity) replaces the context object

/* global __REPCHAT_CHUNK__, __REPCHAT_DOCTOR__ */
const CHUNK = typeof __REPCHAT_CHUNK__ === "string" ? __REPCHAT_CHUNK__ : "chunk.js";
// The embed doctor (doctor/index.js), loaded the same way, only when asked.
export const DOCTOR = typeof __REPCHAT_DOCTOR__ === "string" ? __REPCHAT_DOCTOR__ : "doctor.js";

/** The chunk's URL under the BFF that served widget.js. @param {string} base */
export const chunkUrl = (base, file = CHUNK) => base + "/widget/" + file;

/**
 * Load a script of the widget (the chunk, or `file`); a failed load rejects and the next call tries again.
 * @template [T=Chunk]
 * @param {Document} doc
 * @param {Window & {__repchatChunk?: any}} win
 * @param {string} base
 * @param {string} [file]
 * @returns {Promise<T>}
 */
export function loadChunk(doc, win, base, file) {
  return new Promise((resolve, reject) => {
    const script = doc.createElement("script");
    script.src = chunkUrl(base, file);
    script.async = true;
    script.addEventListener("load", () => {
      // The chunk hands itself over on a property it sets as it runs.
      const chunk = win.__repchatChunk;
      delete win.__repchatChunk;
      script.remove();
      if (chunk && chunk.contract === CONTRACT) resolve(chunk);
      else if (chunk) reject(new Error("repchat: " + script.src + " belongs to another version of widget.js; reload the page"));
      else reject(new Error("repchat: " + script.src + " did not run"));
    });
    script.addEventListener("error", () => {
      script.remove();
      reject(new Error("repchat: could not load " + script.src));
    });
    (doc.head || doc.documentElement).appendChild(script);
  });
}
