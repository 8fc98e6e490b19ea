// The widget's DOM, inside its shadow root. It shows what it is told and
// reports what the visitor does; it never talks to the network. Every piece
// of text goes in as a text node (model text through the markdown renderer,
// which builds nodes too).
import { createRenderer } from "./markdown.js";
import { applyBaseStyles, applyPanelStyles } from "./styles.js";

const SVG = "http://www.w3.org/2000/svg";
const ICONS = {
  chat: "M4 4h16v12H9l-5 4z",
  send: "M3.4 20.4 21 12 3.4 3.6l-.1 6.5L15 12 3.3 13.9z",
  stop: "M7 7h10v10H7z",
};

function h(doc, tag, attrs, children) {
  const element = doc.createElement(tag);
  for (const name in attrs || {}) {
    const value = attrs[name];
    if (value === false || value == null) continue;
    if (name === "text") element.textContent = value;
    else element.setAttribute(name, value === true ? "" : value);
  }
  for (const child of children || []) if (child) element.appendChild(child);
  return element;
}

function icon(doc, name) {
  const svg = doc.createElementNS(SVG, "svg");
  svg.setAttribute("viewBox", "0 0 24 24");
  svg.setAttribute("aria-hidden", "true");
  svg.setAttribute("focusable", "false");
  const path = doc.createElementNS(SVG, "path");
  path.setAttribute("d", ICONS[name]);
  path.setAttribute("fill", "currentColor");
  svg.appendChild(path);
  return svg;
}

/**
 * Build the widget into `host`. options: {doc, win, host, t, mode, title,
 * subtitle, avatar, position, theme, handlers: {send, stop, retry, open, close}}.
 */
export function createView(options) {
  const { doc, win, host, t, handlers } = options;
  const mode = options.mode || "launcher";
  const root = host.attachShadow({ mode: "open" });
  applyBaseStyles(root);
  host.setAttribute("data-mode", mode);
  if (options.position === "left") host.setAttribute("data-position", "left");
  // Dark when asked, or when the visitor's system is dark and no theme is forced.
  const scheme = win.matchMedia && win.matchMedia("(prefers-color-scheme: dark)");
  const paint = () => host.toggleAttribute("data-dark", options.theme ? options.theme === "dark" : !!(scheme && scheme.matches));
  paint();
  if (scheme && !options.theme) scheme.addEventListener("change", paint);
  host.setAttribute("dir", options.dir || "ltr");
  if (options.accent) host.style.setProperty("--rc-accent", options.accent);

  const floating = mode !== "inline";
  const badge = h(doc, "span", { class: "badge", hidden: true, "aria-hidden": "true" });
  const launcher = floating
    ? h(doc, "button", { class: "launcher", type: "button", "aria-label": t("open"), "aria-expanded": "false", "aria-controls": "rc-panel" }, [icon(doc, "chat"), badge])
    : null;
  if (launcher) root.appendChild(launcher);

  // The panel is built on first need (open, or the idle restore), so loading
  // the widget costs the host page only a button.
  let panel, log, live, input, send, stop, chips;
  function build() {
    if (panel) return;
    applyPanelStyles(root);
    const close = mode === "inline" ? null : h(doc, "button", { class: "close", type: "button", "aria-label": t("close"), text: "×" });
    log = h(doc, "div", { class: "log", role: "log", "aria-label": t("log"), tabindex: "0" });
    live = h(doc, "div", { class: "sr", "aria-live": "polite", "aria-atomic": "true" });
    input = h(doc, "textarea", { id: "rc-input", rows: "1", placeholder: t("placeholder"), autocomplete: "off", enterkeyhint: "send" });
    send = h(doc, "button", { class: "send", type: "submit", "aria-label": t("send") }, [icon(doc, "send")]);
    stop = h(doc, "button", { class: "stop", type: "button", "aria-label": t("stop"), hidden: true }, [icon(doc, "stop")]);
    const form = h(doc, "form", { "aria-label": t("inputLabel") }, [
      h(doc, "label", { for: "rc-input", class: "sr", text: t("inputLabel") }), input, send, stop,
    ]);
    chips = h(doc, "div", { class: "chips", hidden: true });
    panel = h(doc, "section", { class: "panel", id: "rc-panel", role: floating ? "dialog" : "region", "aria-labelledby": "rc-title", hidden: floating || null }, [
      h(doc, "header", {}, [
        h(doc, "div", { class: "avatar", "aria-hidden": "true", text: options.avatar || "AI" }),
        h(doc, "div", { class: "who" }, [
          h(doc, "h2", { id: "rc-title", text: options.title || t("title") }),
          h(doc, "p", { class: "sub", text: options.subtitle || t("subtitle") }),
        ]),
        close,
      ]),
      log, chips, live, form, h(doc, "p", { class: "foot", text: t("disclaimer") }),
    ]);
    root.appendChild(panel);
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
  }

  let unread = 0;
  const isOpen = () => !!panel && !panel.hidden;
  // Layout is only read while the panel shows; a hidden panel scrolls on open.
  const nearBottom = () => isOpen() && log.scrollHeight - log.scrollTop - log.clientHeight < 48;
  function append(element) {
    build();
    const stick = nearBottom();
    log.appendChild(element);
    if (stick) log.scrollTop = log.scrollHeight;
    return element;
  }
  // Keep following a growing reply only if the visitor has not scrolled up.
  function follow(stick) {
    if (stick) log.scrollTop = log.scrollHeight;
  }

  function open(focus = true) {
    if (isOpen()) return;
    if (handlers.beforeOpen) handlers.beforeOpen();
    build();
    previewHide();
    panel.hidden = false;
    fitViewport();
    if (launcher) launcher.setAttribute("aria-expanded", "true");
    setUnread(0);
    log.scrollTop = log.scrollHeight;
    if (focus) input.focus({ preventScroll: true });
    handlers.open();
  }
  function closePanel() {
    if (!floating || !isOpen()) return;
    panel.hidden = true;
    if (launcher) {
      launcher.setAttribute("aria-expanded", "false");
      launcher.focus({ preventScroll: true });
    }
    handlers.close();
  }
  function setUnread(count) {
    unread = count;
    badge.hidden = !count;
    badge.textContent = count ? String(count) : "";
    if (launcher) launcher.setAttribute("aria-label", count ? t("open") + " (" + t("unread", { count }) + ")" : t("open"));
  }

  /** A short teaser beside the launcher; a click opens the chat. */
  function showPreview(text, onDismiss) {
    if (!launcher || isOpen()) return;
    const teaser = h(doc, "button", { class: "teaser", type: "button", text });
    const dismiss = h(doc, "button", { class: "dismiss", type: "button", "aria-label": t("dismiss"), text: "×" });
    const preview = h(doc, "div", { class: "preview", role: "status" }, [teaser, dismiss]);
    root.insertBefore(preview, launcher);
    const hide = () => preview.remove();
    teaser.addEventListener("click", () => {
      hide();
      open();
    });
    dismiss.addEventListener("click", () => {
      hide();
      onDismiss();
    });
    previewHide = hide;
  }
  let previewHide = () => {};

  if (launcher) launcher.addEventListener("click", () => (isOpen() ? closePanel() : open()));
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

  function bubble(role) {
    return h(doc, "div", { class: "msg " + role });
  }

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

  function addUser(text) {
    return append(h(doc, "div", { class: "msg user", text }));
  }

  /** A bot reply that fills in as tokens arrive; rendering is batched per frame. */
  function startReply(initialText, typing = true) {
    const element = append(bubble("bot"));
    element.setAttribute("aria-busy", "true");
    const renderer = createRenderer(doc, element);
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
          while (element.firstChild) element.removeChild(element.firstChild);
          const fresh = createRenderer(doc, element);
          fresh.append(finalText);
          fresh.finish();
          clearDots();
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

  function addNote(text) {
    return append(h(doc, "p", { class: "note", text }));
  }

  /** A recap of compacted messages: a collapsible note that fills in as it streams. */
  function addSummary(label) {
    const title = h(doc, "summary", { text: label });
    const body = h(doc, "div", { class: "msg" }); // not "bot": it is a note, not a reply
    const element = append(h(doc, "details", { class: "recap" }, [title, body]));
    let renderer = createRenderer(doc, body);
    return {
      append(text) {
        renderer.append(text);
        renderer.render();
      },
      finish(text, doneLabel) {
        body.textContent = "";
        renderer = createRenderer(doc, body);
        renderer.append(text);
        renderer.finish();
        title.textContent = doneLabel;
      },
      remove: () => element.remove(),
    };
  }

  function addError(text, retry) {
    const element = append(bubble("bot error"));
    element.setAttribute("role", "alert");
    element.appendChild(doc.createTextNode(text));
    if (retry) state(element, "", retry);
    return element;
  }

  function setChips(list, onPick) {
    build();
    chips.textContent = "";
    chips.hidden = !list.length;
    for (const text of list) {
      const chip = h(doc, "button", { class: "chip", type: "button", text });
      chip.addEventListener("click", () => onPick(text));
      chips.appendChild(chip);
    }
  }

  return {
    open,
    close: closePanel,
    isOpen,
    addUser,
    startReply,
    addNote,
    addSummary,
    addError,
    setChips,
    setBusy(busy) {
      build();
      stop.hidden = !busy;
      send.hidden = busy;
    },
    announce(text) {
      build();
      live.textContent = "";
      win.setTimeout(() => (live.textContent = text), 50);
    },
    setUnread,
    showPreview,
    get unread() {
      return unread;
    },
    destroy() {
      if (viewport) viewport.removeEventListener("resize", fitViewport);
      host.remove();
    },
  };
}
