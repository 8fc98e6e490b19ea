// @ts-check
// Loading the conversation UI (panel, chat, renderer): a second script from
// the BFF, built with widget.js and named by its content hash, so it is
// cached for a year and a deploy never mixes versions. It is added as a
// <script src> from widget.js's own origin, so a Content-Security-Policy
// that allows widget.js allows it too: no eval, no inline code.

/** @typedef {{contract: number, mountConversation: typeof import("./conversation.js").mountConversation}} Chunk */

// What widget.js and the chunk agree on (mountConversation's options and what
// it returns). Raise it when that changes: a widget.js cached from an earlier
// deploy, which the BFF sends to the current chunk, then says it cannot load
// instead of running code it does not fit.
export const CONTRACT = 5; // 5: the page (clicks, setContext, identity) replaces the context object

/* global __REPCHAT_CHUNK__ */
const CHUNK = typeof __REPCHAT_CHUNK__ === "string" ? __REPCHAT_CHUNK__ : "chunk.js";

/** The chunk's URL under the BFF that served widget.js. @param {string} base */
export const chunkUrl = (base) => base + "/widget/" + CHUNK;

/**
 * Load the chunk once; a failed load rejects and the next call tries again.
 * @param {Document} doc
 * @param {Window & {__repchatChunk?: Chunk}} win
 * @param {string} base
 * @returns {Promise<Chunk>}
 */
export function loadChunk(doc, win, base) {
  return new Promise((resolve, reject) => {
    const script = doc.createElement("script");
    script.src = chunkUrl(base);
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
