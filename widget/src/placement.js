// @ts-check
// Where the widget's element lives on the host page, and staying there:
// sites that swap their <body> (Turbo, Astro view transitions, routers that
// re-render the page) must not take the chat with it, and a banner fixed to
// the bottom of the page (cookie consent, most often) must not sit on the
// launcher nor under it.

// Checks for a banner after load, as consent tools insert theirs late.
const LOOKS = [600, 2000, 5000, 10000];

/**
 * Attach `host` and keep it attached; lift the launcher above a bottom banner.
 * A floating widget hangs from <html>, outside <body>: a body swapped or
 * copied into a cache never holds it. An inline one goes back into the new
 * page's placeholder (`target`) when its page is swapped.
 * @param {object} options
 * @param {Window} options.win
 * @param {Document} options.doc
 * @param {HTMLElement} options.host
 * @param {boolean} options.inline
 * @param {string} options.target the inline placeholder's selector
 * @param {HTMLElement | null} options.launcher
 * @param {boolean} options.yieldToBanners
 * @returns {() => void} stop
 */
export function keepPlaced({ win, doc, host, inline, target, launcher, yieldToBanners }) {
  const attach = () => {
    if (host.isConnected) return;
    if (!inline) doc.documentElement.appendChild(host);
    else {
      const spot = doc.querySelector(target);
      if (spot && spot !== host) spot.replaceWith(host);
    }
  };
  attach();
  const Observer = /** @type {any} */ (win).MutationObserver;
  /** @type {MutationObserver | null} */
  const watcher = Observer ? new Observer(attach) : null;
  if (watcher) watcher.observe(doc.documentElement, { childList: true, subtree: inline });
  if (!launcher || !yieldToBanners) return () => watcher && watcher.disconnect();

  // Measured where the launcher would be without a lift, so a lift never undoes itself.
  const look = () => {
    const box = launcher.getBoundingClientRect();
    const lifted = parseFloat(host.style.getPropertyValue("--rc-lift")) || 0;
    const top = bannerTop(win, doc, host, box.left + box.width / 2, box.top + box.height / 2 + lifted);
    if (top < win.innerHeight) host.style.setProperty("--rc-lift", win.innerHeight - top + "px");
    else host.style.removeProperty("--rc-lift");
  };
  const timers = LOOKS.map((delay) => win.setTimeout(look, delay));
  // A banner goes when it is clicked away: look again just after any click.
  let again = 0;
  const later = () => {
    win.clearTimeout(again);
    again = win.setTimeout(look, 400);
  };
  doc.addEventListener("click", later, true);
  win.addEventListener("resize", look);
  return () => {
    if (watcher) watcher.disconnect();
    timers.concat(again).forEach((timer) => win.clearTimeout(timer));
    doc.removeEventListener("click", later, true);
    win.removeEventListener("resize", look);
  };
}

/**
 * The top edge of a fixed or sticky element at (x, y), above or below the
 * widget, if it lies in the lower half of the window (a banner, not a
 * full-window overlay); the window's height if there is none.
 * @param {Window} win
 * @param {Document} doc
 * @param {HTMLElement} host
 * @param {number} x
 * @param {number} y
 */
export function bannerTop(win, doc, host, x, y) {
  for (const element of doc.elementsFromPoint(x, y)) {
    for (let up = /** @type {Element | null} */ (element); up && up !== host && up !== doc.body; up = up.parentElement) {
      if (!/fixed|sticky/.test(win.getComputedStyle(up).position)) continue;
      const top = up.getBoundingClientRect().top;
      if (top > win.innerHeight / 2) return top;
      break;
    }
  }
  return win.innerHeight;
}
