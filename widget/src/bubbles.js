// @ts-check
// The transcript's bubbles: the visitor's messages, replies that fill in as
// tokens arrive (model text through the markdown renderer, which builds
// nodes), notes, link cards, recaps and errors with their Retry buttons.
// Messages carry a timestamp (relative, exact on hover and for screen
// readers) and each answer a Copy button that copies its markdown source.
import { h } from "./dom.js";
import { createRenderer, parseImageHosts } from "./markdown.js";
import { copyText } from "./markdown/code.js";

/**
 * @typedef {object} Reply a bot reply on screen
 * @property {HTMLElement} element
 * @property {(text: string) => void} append more text; painted once per frame
 * @property {string} text
 * @property {(finalText?: string, time?: number) => void} finish done; a different final text replaces what streamed
 * @property {() => void} remove
 * @property {(text: string, retry?: (() => void) | null) => void} end cut short: say why, offer a retry
 */

/**
 * @typedef {object} Summary a recap of compacted messages on screen
 * @property {(text: string) => void} append
 * @property {(text: string, doneLabel: string) => void} finish
 * @property {() => void} remove
 */

/**
 * @typedef {object} Bubbles
 * @property {(text: string, time?: number) => HTMLElement} addUser
 * @property {(initialText?: string, typing?: boolean) => Reply} startReply
 * @property {(text: string) => HTMLElement} addNote
 * @property {(text: string, url: string) => HTMLElement} addLink a card opening a page of the site in a new tab
 * @property {(label: string) => Summary} addSummary
 * @property {(text: string, retry?: (() => void) | null) => HTMLElement} addError
 */

/**
 * Bubbles added to a log through `append`, following it while `nearBottom`.
 * @param {{doc: Document, win: Window, t: (key: string) => string, lang: string,
 *   append: (element: HTMLElement) => HTMLElement, nearBottom: () => boolean, follow: (stick: boolean) => void,
 *   reveal: (element: HTMLElement) => void, announce: (text: string) => void, imageHosts: string}} options
 * @returns {Bubbles}
 */
export function createBubbles({ doc, win, t, lang, append, nearBottom, follow, reveal, announce, imageHosts }) {
  // What the markdown renderer needs: strings, the live region (a copy
  // button's "Copied"), and the owner's image hosts.
  const markdown = { t, announce, imageHosts: parseImageHosts(imageHosts) };
  // dir=auto: each bubble takes the direction of its own text, so an English
  // reply in a right-to-left widget keeps its punctuation where it belongs.
  /** @param {string} role */
  const bubble = (role) => h(doc, "div", { class: "msg " + role, part: "bubble " + role, dir: "auto" });
  const relative = new Intl.RelativeTimeFormat(lang, { numeric: "auto" });
  const exact = new Intl.DateTimeFormat(lang, { dateStyle: "medium", timeStyle: "short" });
  /** @type {Set<HTMLTimeElement>} */
  const stamps = new Set();
  let ticking = 0;

  /** "now", "5 minutes ago", "yesterday", in the visitor's language. */
  function ago(/** @type {number} */ time) {
    const seconds = (time - Date.now()) / 1000;
    for (const [unit, size, below] of /** @type {[Intl.RelativeTimeFormatUnit, number, number][]} */ ([["second", 1, 45], ["minute", 60, 2700], ["hour", 3600, 79200]])) {
      if (Math.abs(seconds) < below) return relative.format(unit === "second" ? 0 : Math.round(seconds / size), unit);
    }
    return relative.format(Math.round(seconds / 86400), "day");
  }

  function refresh() {
    stamps.forEach((s) => (s.isConnected ? (/** @type {Node} */ (s.firstChild).textContent = ago(Date.parse(s.dateTime))) : stamps.delete(s)));
    if (!stamps.size) ticking = (win.clearInterval(ticking), 0);
  }

  /**
   * A line under a message: when it was written, and for answers a Copy button.
   * @param {string} side "user" or "bot"
   * @param {number | undefined} time
   * @param {string} [source] the answer's markdown, to copy
   */
  function meta(side, time, source) {
    if (!time && source == null) return;
    const line = h(doc, "div", { class: "meta " + side });
    if (time) {
      const when = new Date(time);
      const shown = h(doc, "span", { "aria-hidden": "true", text: ago(time) });
      const stamp = h(doc, "time", { datetime: when.toISOString(), title: exact.format(when) }, [shown, h(doc, "span", { class: "sr", text: exact.format(when) })]);
      stamps.add(stamp);
      line.appendChild(stamp);
      // Keep "2 minutes ago" true while the chat stays open; stop once no stamp is left on screen.
      if (!ticking) ticking = win.setInterval(refresh, 30000);
    }
    if (source != null) {
      const copy = h(doc, "button", { class: "copy", type: "button", text: t("copy"), "aria-label": t("copyAnswer") });
      copy.addEventListener("click", () => {
        copyText(doc, line, source).then((ok) => {
          copy.textContent = t(ok ? "copied" : "answerNotCopied");
          announce(t(ok ? "copied" : "answerNotCopied"));
          win.setTimeout(() => (copy.textContent = t("copy")), 2000);
        });
      });
      line.appendChild(copy);
    }
    append(line);
  }

  /**
   * A state line under a bubble ("interrupted"), with a Retry that removes both.
   * @param {HTMLElement} element
   * @param {string} text
   * @param {(() => void) | null} [retry]
   */
  function state(element, text, retry) {
    const note = h(doc, "span", { class: "state", text });
    element.appendChild(note);
    if (retry) {
      const button = h(doc, "button", { class: "retry", type: "button", text: t("retry") });
      button.addEventListener("click", () => {
        element.removeChild(button);
        element.removeChild(note);
        retry();
      });
      element.appendChild(button);
    }
    reveal(element);
  }

  /** @type {Bubbles["startReply"]} */
  function startReply(initialText, typing = true) {
    const element = append(bubble("bot"));
    element.setAttribute("aria-busy", "true");
    const renderer = createRenderer(doc, element, markdown);
    /** @type {HTMLElement | null} */
    let dots = typing ? element.appendChild(h(doc, "span", { class: "typing", role: "img", "aria-label": t("typing") }, [h(doc, "i"), h(doc, "i"), h(doc, "i")])) : null;
    let scheduled = 0;
    const paint = () => {
      scheduled = 0;
      const stick = nearBottom();
      renderer.render();
      follow(stick);
    };
    function clearDots() {
      if (dots) {
        dots.remove();
        dots = null;
      }
    }
    function settle() {
      if (scheduled) win.cancelAnimationFrame(scheduled);
      scheduled = 0;
      clearDots();
      const stick = nearBottom();
      renderer.finish();
      element.removeAttribute("aria-busy");
      follow(stick);
    }
    if (initialText) {
      clearDots();
      renderer.append(initialText);
    }
    return {
      element,
      append(text) {
        clearDots();
        renderer.append(text);
        if (!scheduled) scheduled = win.requestAnimationFrame(paint);
      },
      get text() {
        return renderer.text;
      },
      finish(finalText, time) {
        if (time) meta("bot", time, finalText != null ? finalText : renderer.text);
        if (finalText != null && finalText !== renderer.text) {
          // The upstream's final text wins; redraw once from it.
          if (scheduled) win.cancelAnimationFrame(scheduled);
          scheduled = 0;
          while (element.firstChild) element.removeChild(element.firstChild);
          const fresh = createRenderer(doc, element, markdown);
          fresh.append(finalText);
          fresh.finish();
          dots = null;
          element.removeAttribute("aria-busy");
          return;
        }
        settle();
      },
      remove() {
        if (scheduled) win.cancelAnimationFrame(scheduled);
        element.remove();
      },
      end(text, retry) {
        settle();
        if (!renderer.text) element.classList.add("error");
        state(element, text, retry);
      },
    };
  }

  /** @type {Bubbles["addSummary"]} */
  function addSummary(label) {
    const title = h(doc, "summary", { text: label });
    const body = h(doc, "div", { class: "msg", dir: "auto" }); // not "bot": it is a note, not a reply
    const element = append(h(doc, "details", { class: "recap" }, [title, body]));
    let renderer = createRenderer(doc, body, markdown);
    return {
      append(text) {
        renderer.append(text);
        renderer.render();
      },
      finish(text, doneLabel) {
        body.textContent = "";
        renderer = createRenderer(doc, body, markdown);
        renderer.append(text);
        renderer.finish();
        title.textContent = doneLabel;
      },
      remove: () => element.remove(),
    };
  }

  return {
    addUser(text, time) {
      follow(true); // the visitor just spoke: bring it and the reply into view, wherever they were reading
      const element = append(h(doc, "div", { class: "msg user", part: "bubble user", dir: "auto", text }));
      meta("user", time);
      return element;
    },
    startReply,
    addNote: (text) => append(h(doc, "p", { class: "note", dir: "auto", text })),
    addLink(text, url) {
      // Only web links, whatever storage says.
      const safe = /^https?:/i.test(url);
      return append(h(doc, "a", { class: "card", href: safe ? url : null, target: "_blank", rel: "noopener", dir: "auto", text }));
    },
    addSummary,
    addError(text, retry) {
      const element = append(bubble("bot error"));
      element.setAttribute("role", "alert");
      element.appendChild(doc.createTextNode(text));
      if (retry) state(element, "", retry);
      return element;
    },
  };
}
