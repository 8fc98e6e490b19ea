// @ts-check
// A code block: its language, a sideways-scrolling <pre>, and a copy button
// that uses the Clipboard API, falls back to a selected textarea and
// execCommand where that API is missing or refused, and says "Copied" to
// screen readers.

/** @typedef {import("./render.js").RenderOptions} RenderOptions */

/**
 * Copy text: the Clipboard API, else the old selection route.
 * @param {Document} doc @param {HTMLElement} near where to put the temporary textarea (inside the shadow root) @param {string} text
 * @returns {Promise<boolean>}
 */
export async function copyText(doc, near, text) {
  const clipboard = doc.defaultView?.navigator.clipboard;
  if (clipboard && clipboard.writeText) {
    try {
      await clipboard.writeText(text);
      return true;
    } catch (_) {
      // not allowed here (an iframe without permission, an old browser): fall back
    }
  }
  const area = doc.createElement("textarea");
  area.value = text;
  area.setAttribute("readonly", "");
  area.className = "sr";
  near.appendChild(area);
  area.select();
  let ok = false;
  try {
    ok = doc.execCommand("copy");
  } catch (_) {
    ok = false;
  }
  area.remove();
  return ok;
}

/**
 * The elements of one code block; the caller fills `text` and `lang`.
 * @param {Document} doc @param {RenderOptions} options
 */
export function codeBlock(doc, options) {
  const { t, announce } = options;
  const root = doc.createElement("div");
  root.className = "code";
  const bar = root.appendChild(doc.createElement("div"));
  bar.className = "code-bar";
  const lang = bar.appendChild(doc.createElement("span"));
  lang.className = "code-lang";
  const button = bar.appendChild(doc.createElement("button"));
  button.type = "button";
  button.className = "copy";
  // The accessible name always contains the visible text (WCAG 2.5.3).
  const show = (/** @type {boolean} */ copied) => {
    button.textContent = t(copied ? "copied" : "copy");
    button.setAttribute("aria-label", t(copied ? "copied" : "copyCode"));
  };
  show(false);
  const pre = root.appendChild(doc.createElement("pre"));
  pre.setAttribute("tabindex", "0"); // it may scroll sideways: keyboard users must reach it
  const code = pre.appendChild(doc.createElement("code"));
  const text = code.appendChild(doc.createTextNode(""));
  let timer = 0;
  button.addEventListener("click", async () => {
    const ok = await copyText(doc, root, text.data);
    const message = t(ok ? "copied" : "copyFailed");
    show(ok);
    announce(message);
    const win = doc.defaultView;
    if (win) {
      win.clearTimeout(timer);
      timer = win.setTimeout(() => show(false), 2000);
    }
    if (!ok) {
      // let the visitor copy by hand: select the code
      const range = doc.createRange();
      range.selectNodeContents(code);
      const selection = win?.getSelection();
      selection?.removeAllRanges();
      selection?.addRange(range);
    }
  });
  return { root, text, lang };
}
