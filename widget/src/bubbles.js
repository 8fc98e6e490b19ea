// @ts-check
// The transcript's bubbles: the visitor's messages, replies that fill in as
// tokens arrive (model text through the markdown renderer, which builds
// nodes), notes, recaps and errors with their Retry buttons.
import { h } from "./dom.js";
import { createRenderer, parseImageHosts } from "./markdown.js";

/**
 * @typedef {object} Reply a bot reply on screen
 * @property {HTMLElement} element
 * @property {(text: string) => void} append more text; painted once per frame
 * @property {string} text
 * @property {(finalText?: string) => void} finish done; a different final text replaces what streamed
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
 * @property {(text: string) => HTMLElement} addUser
 * @property {(initialText?: string, typing?: boolean) => Reply} startReply
 * @property {(text: string) => HTMLElement} addNote
 * @property {(label: string) => Summary} addSummary
 * @property {(text: string, retry?: (() => void) | null) => HTMLElement} addError
 */

/**
 * Bubbles added to a log through `append`, following it while `nearBottom`.
 * @param {{doc: Document, win: Window, t: (key: string) => string, append: (element: HTMLElement) => HTMLElement, nearBottom: () => boolean,
 *   follow: (stick: boolean) => void, announce: (text: string) => void, imageHosts: string}} options
 * @returns {Bubbles}
 */
export function createBubbles({ doc, win, t, append, nearBottom, follow, announce, imageHosts }) {
  // What the markdown renderer needs: strings, the live region (a copy
  // button's "Copied"), and the owner's image hosts.
  const markdown = { t, announce, imageHosts: parseImageHosts(imageHosts) };
  /** @param {string} role */
  const bubble = (role) => h(doc, "div", { class: "msg " + role });

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
      finish(finalText) {
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
    const body = h(doc, "div", { class: "msg" }); // not "bot": it is a note, not a reply
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
    addUser: (text) => append(h(doc, "div", { class: "msg user", text })),
    startReply,
    addNote: (text) => append(h(doc, "p", { class: "note", text })),
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
