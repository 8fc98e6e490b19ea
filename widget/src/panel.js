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
 * @property {{send: (text: string) => boolean, stop: () => void, open: () => void, close: () => void, reset: () => void, limit: () => number, prepare: () => Promise<unknown>, contact: () => void, expand: (on: boolean) => void}} handlers
 */

/**
 * @typedef {object} Panel
 * @property {(focus?: boolean) => void} open
 * @property {() => void} close
 * @property {(on: boolean) => void} expand the larger panel, or the usual one
 * @property {() => boolean} isOpen
 * @property {(element: HTMLElement) => HTMLElement} append add to the log, following it if the visitor is at the bottom
 * @property {() => boolean} nearBottom
 * @property {(stick: boolean) => void} follow scroll to the newest message, or offer to
 * @property {(element: HTMLElement) => void} reveal scroll the log just enough to show `element`'s end
 * @property {() => void} clear empty the log
 * @property {(text: string) => void} notice say why a message was not sent, beside the composer
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
  const fresh = h(doc, "button", { class: "new", type: "button", "aria-label": t("newChat"), title: t("newChat") }, [icon(doc, "new")]);
  // A larger panel on desktops (hidden on phones, where the panel fills the screen).
  const larger = mode === "launcher" ? h(doc, "button", { class: "hbtn grow", type: "button", "aria-label": t("expand"), title: t("expand"), "aria-pressed": "false" }, [icon(doc, "expand")]) : null;
  const expand = (/** @type {boolean} */ on) => {
    host.toggleAttribute("data-expanded", on);
    if (larger) larger.setAttribute("aria-pressed", String(on));
  };
  if (larger) larger.addEventListener("click", () => handlers.expand(!host.hasAttribute("data-expanded")));
  const log = h(doc, "div", { class: "log", role: "log", "aria-label": t("log"), tabindex: "0" });
  const live = h(doc, "div", { class: "sr", "aria-live": "polite", "aria-atomic": "true" });
  const jump = h(doc, "button", { class: "jump", type: "button", hidden: true, text: t("newMessages") });
  const input = h(doc, "textarea", { id: "rc-input", rows: "1", placeholder: t("placeholder"), autocomplete: "off", enterkeyhint: "send", "aria-describedby": "rc-count", dir: "auto" });
  const send = h(doc, "button", { class: "send", type: "submit", "aria-label": t("send") }, [icon(doc, "send")]);
  const stop = h(doc, "button", { class: "stop", type: "button", "aria-label": t("stop"), hidden: true }, [icon(doc, "stop")]);
  const count = h(doc, "p", { class: "count", id: "rc-count", hidden: true });
  const form = h(doc, "form", { part: "composer", "aria-label": t("inputLabel") }, [
    h(doc, "label", { for: "rc-input", class: "sr", text: t("inputLabel") }), input, send, stop,
  ]);
  const chips = h(doc, "div", { class: "chips", hidden: true });
  const yes = h(doc, "button", { type: "button", class: "chip", text: t("newChatYes") });
  const no = h(doc, "button", { type: "button", class: "chip", text: t("cancel") });
  const confirm = h(doc, "div", { class: "confirm", role: "group", "aria-labelledby": "rc-confirm", hidden: true }, [
    h(doc, "p", { id: "rc-confirm", text: t("newChatAsk") }), yes, no,
  ]);
  const panel = h(doc, "section", { class: "panel", id: "rc-panel", role: floating ? "dialog" : "region", "aria-labelledby": "rc-title", hidden: floating || null }, [
    h(doc, "header", { part: "header" }, [
      h(doc, "div", { class: "avatar", "aria-hidden": "true", text: options.avatar || "AI" }),
      h(doc, "div", { class: "who" }, [
        h(doc, "h2", { id: "rc-title", text: options.title || t("title") }),
        h(doc, "p", { class: "sub", text: options.subtitle || t("subtitle") }),
      ]),
      contact,
      fresh,
      larger,
      close,
    ]),
    log, jump, chips, confirm, live, count, form, h(doc, "p", { class: "foot", text: t("disclaimer") }),
  ]);
  frame.root.appendChild(panel);

  const isOpen = () => !panel.hidden;
  // Layout is only read while the panel shows; a hidden panel scrolls on open.
  const nearBottom = () => isOpen() && log.scrollHeight - log.scrollTop - log.clientHeight < 48;
  const toBottom = () => {
    log.scrollTop = log.scrollHeight;
    jump.hidden = true;
  };
  // Keep following a growing reply only if the visitor has not scrolled up;
  // otherwise leave the view alone and offer a way down.
  /** @param {boolean} stick */
  const follow = (stick) => {
    if (stick) toBottom();
    else if (isOpen() && jump.hidden && !nearBottom()) {
      jump.hidden = false;
      announce(t("newMessages"));
    }
  };
  log.addEventListener("scroll", () => {
    if (!jump.hidden && nearBottom()) jump.hidden = true;
  });
  jump.addEventListener("click", () => {
    toBottom();
    input.focus({ preventScroll: true });
  });

  /** @param {string} text */
  function announce(text) {
    live.textContent = "";
    win.setTimeout(() => (live.textContent = text), 50);
  }

  // The counter shows near the limit; over it, sending is refused, never cut.
  const number = new Intl.NumberFormat(host.getAttribute("lang") || undefined);
  let over = false;
  function countChars() {
    const length = input.value.trim().length;
    const limit = handlers.limit();
    const now = length > limit;
    count.hidden = length < limit * 0.8;
    count.textContent = t(now ? "tooLong" : "counter", { count: number.format(length), limit: number.format(limit) });
    count.classList.toggle("over", now);
    input.toggleAttribute("aria-invalid", now);
    if (now && !over) announce(count.textContent);
    over = now;
  }

  // Inline: the container gives the size. A container without a height of
  // its own (percentages resolve to nothing) gets the default height.
  if (!floating) {
    const probe = (/** @type {string} */ value) => ((host.style.height = value), host.getBoundingClientRect().height);
    host.toggleAttribute("data-fit-auto", probe("100%") === probe("200%"));
    host.style.height = "";
  }

  function ask(show = true) {
    confirm.hidden = !show;
    (show ? yes : fresh).focus();
  }
  fresh.addEventListener("click", () => ask(!!confirm.hidden));
  no.addEventListener("click", () => ask(false));
  yes.addEventListener("click", () => {
    confirm.hidden = true;
    handlers.reset();
    input.focus();
  });

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
    toBottom();
    // On a touch screen the keyboard would cover the greeting: the composer waits for a tap.
    if (focus) (win.matchMedia && win.matchMedia("(pointer: coarse)").matches ? log : input).focus({ preventScroll: true });
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
    if (event.key !== "Escape") return;
    if (!confirm.hidden) ask(false);
    else closePanel();
  });
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const text = input.value.trim();
    if (!text || !stop.hidden || !handlers.send(text)) return;
    input.value = "";
    grow();
    countChars();
  });
  input.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      form.requestSubmit();
    }
  });
  let prepared = false;
  input.addEventListener("input", () => {
    grow();
    countChars();
    if (!prepared) {
      prepared = true;
      handlers.prepare().then(countChars);
    }
  });
  stop.addEventListener("click", () => {
    // Stop hides itself: keep the visitor's place in the composer.
    input.focus({ preventScroll: true });
    handlers.stop();
  });

  return {
    open,
    close: closePanel,
    expand,
    isOpen,
    append(element) {
      const stick = nearBottom();
      log.appendChild(element);
      follow(stick);
      return element;
    },
    nearBottom,
    follow,
    reveal(element) {
      const below = element.getBoundingClientRect().bottom - log.getBoundingClientRect().bottom;
      if (below > 0) log.scrollTop += below + 12;
    },
    clear() {
      log.textContent = "";
      jump.hidden = true;
    },
    notice(text) {
      countChars();
      if (count.hidden) {
        count.hidden = false;
        count.textContent = text;
        announce(text);
      }
    },
    setChips(list, onPick) {
      chips.textContent = "";
      chips.hidden = !list.length;
      for (const text of list) {
        const chip = h(doc, "button", { class: "chip", type: "button", dir: "auto", text });
        if (onPick) chip.addEventListener("click", () => onPick(text));
        chips.appendChild(chip);
      }
    },
    setBusy(busy) {
      const focused = frame.root.activeElement === stop;
      stop.hidden = !busy;
      send.hidden = busy;
      if (focused) input.focus({ preventScroll: true });
    },
    announce,
    destroy() {
      if (viewport) viewport.removeEventListener("resize", fitViewport);
    },
  };
}
