// @ts-check
// What a visitor sees before opening the chat: the widget's shadow root on
// its host element (theme, direction, position, accent), the launcher button,
// its unread badge, the teaser, and a notice when the chat cannot load. It
// reports clicks and intent (a pointer or focus on the launcher); it knows
// nothing of the conversation or the network.
import { h } from "./dom.js";
import { applyBaseStyles } from "./styles.js";

/**
 * @typedef {object} FrameOptions
 * @property {Document} doc
 * @property {HTMLElement} host the element the shadow root is attached to
 * @property {(key: string, vars?: Record<string, unknown>) => string} t
 * @property {string} mode "launcher", "inline" or "fullscreen"
 * @property {string} [position] "left" puts the launcher on the left
 * @property {string} [theme] "light" or "dark"; default: the system's
 * @property {string} [accent]
 * @property {string} [dir] "ltr" or "rtl"
 * @property {() => void} onToggle the launcher was clicked
 * @property {() => void} onIntent a pointer or focus on the launcher: the visitor may open the chat soon
 */

/**
 * @typedef {object} Frame
 * @property {ShadowRoot} root
 * @property {HTMLButtonElement | null} launcher null when the chat is inline
 * @property {(count: number) => void} setUnread
 * @property {number} unread
 * @property {(expanded: boolean) => void} setExpanded
 * @property {(text: string, onOpen: () => void, onDismiss: () => void) => void} showPreview
 * @property {() => void} hidePreview
 * @property {(text: string, onRetry: () => void) => void} showNotice an error with a Retry, where the chat would be
 * @property {() => void} hideNotice
 * @property {() => void} destroy
 */

/**
 * Attach the widget to `host` and show the launcher (unless inline).
 * @param {FrameOptions} options
 * @returns {Frame}
 */
export function createFrame(options) {
  const { doc, host, t, mode } = options;
  const root = host.attachShadow({ mode: "open" });
  applyBaseStyles(root);
  host.setAttribute("data-mode", mode);
  if (options.position === "left") host.setAttribute("data-position", "left");
  // Dark when asked, or when the visitor's system is dark and no theme is forced (styles.js).
  if (options.theme) host.setAttribute("data-theme", options.theme);
  host.setAttribute("dir", options.dir || "ltr");
  if (options.accent) host.style.setProperty("--rc-accent", options.accent);

  // The launcher's speech bubble is drawn by CSS: no SVG to build at page load.
  const badge = h(doc, "span", { class: "badge", hidden: true, "aria-hidden": "true" });
  const launcher = mode === "inline"
    ? null
    : h(doc, "button", { class: "launcher", part: "launcher", type: "button", "aria-label": t("open"), "aria-expanded": "false", "aria-controls": "rc-panel" }, [h(doc, "i", { "data-icon": "chat", "aria-hidden": "true" }), badge]);
  if (launcher) {
    root.appendChild(launcher);
    launcher.addEventListener("click", options.onToggle);
    for (const intent of ["pointerenter", "pointerdown", "focus"]) launcher.addEventListener(intent, options.onIntent, { once: true });
  }

  let unread = 0;
  let hidePreview = () => {};
  let hideNotice = () => {};
  return {
    root,
    launcher,
    setUnread(count) {
      unread = count;
      badge.hidden = !count;
      badge.textContent = count ? String(count) : "";
      if (launcher) launcher.setAttribute("aria-label", count ? t("open") + " (" + t("unread", { count }) + ")" : t("open"));
    },
    get unread() {
      return unread;
    },
    setExpanded(expanded) {
      if (launcher) launcher.setAttribute("aria-expanded", String(expanded));
    },
    /** A short teaser beside the launcher; a click opens the chat. */
    showPreview(text, onOpen, onDismiss) {
      if (!launcher) return;
      const teaser = h(doc, "button", { class: "teaser", type: "button", dir: "auto", text });
      const dismiss = h(doc, "button", { class: "dismiss", type: "button", "aria-label": t("dismiss"), text: "×" });
      const preview = h(doc, "div", { class: "preview", role: "status" }, [teaser, dismiss]);
      root.insertBefore(preview, launcher);
      hidePreview = () => preview.remove();
      teaser.addEventListener("click", () => {
        hidePreview();
        onOpen();
      });
      dismiss.addEventListener("click", () => {
        hidePreview();
        onDismiss();
      });
    },
    hidePreview: () => hidePreview(),
    showNotice(text, onRetry) {
      hideNotice();
      hidePreview();
      const retry = h(doc, "button", { class: "retry", type: "button", text: t("retry") });
      const notice = h(doc, "div", { class: "preview notice", role: "alert" }, [h(doc, "p", { text }), retry]);
      if (launcher) root.insertBefore(notice, launcher);
      else root.appendChild(notice);
      hideNotice = () => notice.remove();
      retry.addEventListener("click", () => {
        hideNotice();
        onRetry();
      });
    },
    hideNotice: () => hideNotice(),
    destroy() {
      host.remove();
    },
  };
}
