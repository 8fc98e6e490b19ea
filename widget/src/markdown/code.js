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

// Lines go into blocks of this many: a growing block only reshapes its own
// text, so a 500-line fence costs the same per token as a 5-line one.
const CHUNK = 16;

/**
 * One code block. `set(text)` shows the code (appending when the text only
 * grew, as it does while it streams); `setLang` shows the language.
 * @param {Document} doc @param {RenderOptions} options
 */
export function codeBlock(doc, options) {
  const { t, announce } = options;
  const root = doc.createElement("div");
  root.className = "code";
  const bar = root.appendChild(doc.createElement("div"));
  bar.className = "code-bar";
  const label = bar.appendChild(doc.createElement("span"));
  label.className = "code-lang";
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
  pre.setAttribute("part", "code");
  pre.setAttribute("tabindex", "0"); // it may scroll sideways: keyboard users must reach it
  const code = pre.appendChild(doc.createElement("code"));
  /** @type {string[]} */
  let shown = [];
  let drawn = 0; // lines drawn for good
  /** @type {string|undefined} */
  let last; // the last of them
  let guessed = 0; // characters of unfinished lines at the end of `tail`
  /** @type {Text|null} */
  let tail = null;
  let tailLines = CHUNK;

  function newChunk() {
    tail = code.appendChild(doc.createElement("span")).appendChild(doc.createTextNode(""));
    tailLines = 0;
    return tail;
  }

  /** @param {string} line */
  function appendLine(line) {
    (!tail || tailLines >= CHUNK ? newChunk() : tail).appendData(line + "\n");
    tailLines++;
  }

  let timer = 0;
  button.addEventListener("click", async () => {
    const ok = await copyText(doc, root, shown.map((line) => line + "\n").join(""));
    show(ok);
    announce(t(ok ? "copied" : "copyFailed"));
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
  let lang = "";
  return {
    root,
    /**
     * Show `lines`, of which the first `stable` are final: those are drawn
     * once; the rest (a line still streaming) are redrawn each time.
     * @param {string[]} lines @param {number} stable
     */
    set(lines, stable) {
      shown = lines;
      if (guessed && tail) {
        tail.deleteData(tail.length - guessed, guessed);
        guessed = 0;
      }
      if (stable < drawn || (drawn && lines[drawn - 1] !== last)) {
        code.textContent = ""; // lines went away (trailing blank lines of an _indented block)
        tail = null;
        drawn = 0;
      }
      for (; drawn < stable; drawn++) appendLine(lines[drawn]);
      last = lines[drawn - 1];
      const rest = lines.slice(stable).map((line) => line + "\n").join("");
      if (rest) {
        (tail || newChunk()).appendData(rest);
        guessed = rest.length;
      }
    },
    /** @param {string} name */
    setLang(name) {
      if (name === lang) return;
      lang = label.textContent = name;
      if (name) code.setAttribute("class", "language-" + name);
      else code.removeAttribute("class");
    },
  };
}
