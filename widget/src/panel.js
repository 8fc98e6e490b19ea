// @ts-check
// The conversation panel: header, message log, starter chips, the composer
// and the screen-reader announcer. It shows what it is told and reports what
// the visitor does; the bubbles inside the log are bubbles.js's.
import { h, icon } from "./dom.js";
import { applyPanelStyles } from "./styles.js";

/** @typedef {import("./launcher.js").Frame} Frame */

/**
 * @typedef {object} PanelOptions
 * @property {Document} doc
 * @property {Window} win
 * @property {HTMLElement} host
 * @property {Frame} frame
 * @property {(key: string, vars?: Record<string, unknown>) => string} t
 * @property {string} mode
 * @property {string} [title]
 * @property {string} [subtitle]
 * @property {string} [avatar]
 * @property {{send: (text: string) => void, stop: () => void, open: () => void, close: () => void, contact: () => void}} handlers
 */

/**
 * @typedef {object} Panel
 * @property {(focus?: boolean) => void} open
 * @property {() => void} close
 * @property {() => boolean} isOpen
 * @property {(element: HTMLElement) => HTMLElement} append add to the log, following it if the visitor is at the bottom
 * @property {() => boolean} nearBottom
 * @property {(stick: boolean) => void} follow
 * @property {(list: string[], onPick?: (text: string) => void) => void} setChips
 * @property {(busy: boolean) => void} setBusy
 * @property {(text: string) => void} announce
 * @property {() => void} destroy
 */

/**
 * Build the panel into the frame's shadow root (hidden when floating).
 * @param {PanelOptions} options
 * @returns {Panel}
 */
export function createPanel(options) {
  const { doc, win, host, frame, t, mode, handlers } = options;
  const floating = mode !== "inline";
  applyPanelStyles(frame.root);
  const close = floating ? h(doc, "button", { class: "close", type: "button", "aria-label": t("close"), text: "×" }) : null;
  const contact = h(doc, "button", { class: "hbtn", type: "button", "aria-label": t("c_title"), title: t("c_title") }, [icon(doc, "mail")]);
  contact.addEventListener("click", () => handlers.contact());
  const log = h(doc, "div", { class: "log", role: "log", "aria-label": t("log"), tabindex: "0" });
  const live = h(doc, "div", { class: "sr", "aria-live": "polite", "aria-atomic": "true" });
  const input = h(doc, "textarea", { id: "rc-input", rows: "1", placeholder: t("placeholder"), autocomplete: "off", enterkeyhint: "send" });
  const send = h(doc, "button", { class: "send", type: "submit", "aria-label": t("send") }, [icon(doc, "send")]);
  const stop = h(doc, "button", { class: "stop", type: "button", "aria-label": t("stop"), hidden: true }, [icon(doc, "stop")]);
  const form = h(doc, "form", { "aria-label": t("inputLabel") }, [
    h(doc, "label", { for: "rc-input", class: "sr", text: t("inputLabel") }), input, send, stop,
  ]);
  const chips = h(doc, "div", { class: "chips", hidden: true });
  const panel = h(doc, "section", { class: "panel", id: "rc-panel", role: floating ? "dialog" : "region", "aria-labelledby": "rc-title", hidden: floating || null }, [
    h(doc, "header", {}, [
      h(doc, "div", { class: "avatar", "aria-hidden": "true", text: options.avatar || "AI" }),
      h(doc, "div", { class: "who" }, [
        h(doc, "h2", { id: "rc-title", text: options.title || t("title") }),
        h(doc, "p", { class: "sub", text: options.subtitle || t("subtitle") }),
      ]),
      contact,
      close,
    ]),
    log, chips, live, form, h(doc, "p", { class: "foot", text: t("disclaimer") }),
  ]);
  frame.root.appendChild(panel);

  const isOpen = () => !panel.hidden;
  // Layout is only read while the panel shows; a hidden panel scrolls on open.
  const nearBottom = () => isOpen() && log.scrollHeight - log.scrollTop - log.clientHeight < 48;
  // Keep following a growing reply only if the visitor has not scrolled up.
  /** @param {boolean} stick */
  const follow = (stick) => {
    if (stick) log.scrollTop = log.scrollHeight;
  };

  function grow() {
    input.style.height = "auto";
    input.style.height = Math.min(input.scrollHeight + 2, 140) + "px";
  }

  // Phones: size the panel to the visual viewport so the on-screen keyboard
  // never hides the composer.
  const viewport = win.visualViewport;
  function fitViewport() {
    if (viewport && isOpen()) host.style.setProperty("--rc-vh", Math.round(viewport.height) + "px");
  }
  if (viewport) viewport.addEventListener("resize", fitViewport);

  function open(focus = true) {
    if (isOpen()) return;
    frame.hidePreview();
    panel.hidden = false;
    fitViewport();
    frame.setExpanded(true);
    frame.setUnread(0);
    log.scrollTop = log.scrollHeight;
    if (focus) input.focus({ preventScroll: true });
    handlers.open();
  }
  function closePanel() {
    if (!floating || !isOpen()) return;
    panel.hidden = true;
    frame.setExpanded(false);
    if (frame.launcher) frame.launcher.focus({ preventScroll: true });
    handlers.close();
  }

  if (close) close.addEventListener("click", closePanel);
  panel.addEventListener("keydown", (event) => {
    if (event.key === "Escape") closePanel();
  });
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const text = input.value.trim();
    if (!text || !stop.hidden) return;
    input.value = "";
    grow();
    handlers.send(text);
  });
  input.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      form.requestSubmit();
    }
  });
  input.addEventListener("input", grow);
  stop.addEventListener("click", () => handlers.stop());

  return {
    open,
    close: closePanel,
    isOpen,
    append(element) {
      const stick = nearBottom();
      log.appendChild(element);
      follow(stick);
      return element;
    },
    nearBottom,
    follow,
    setChips(list, onPick) {
      chips.textContent = "";
      chips.hidden = !list.length;
      for (const text of list) {
        const chip = h(doc, "button", { class: "chip", type: "button", text });
        if (onPick) chip.addEventListener("click", () => onPick(text));
        chips.appendChild(chip);
      }
    },
    setBusy(busy) {
      stop.hidden = !busy;
      send.hidden = busy;
    },
    announce(text) {
      live.textContent = "";
      win.setTimeout(() => (live.textContent = text), 50);
    },
    destroy() {
      if (viewport) viewport.removeEventListener("resize", fitViewport);
    },
  };
}
