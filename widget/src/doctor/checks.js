// @ts-check
// The embed doctor's checks, each a plain-words finding with its fix: what
// the BFF said about this origin, the page's Content-Security-Policy, whether
// the event stream arrives live and uncompressed, whether the launcher can be
// seen and reached, the viewport, and body-swapping navigation. Each check
// reads what it is given (the probe of the diagnostic stream, the policies,
// the page); index.js gathers those and runs them.
import { allows } from "./csp.js";

/**
 * @typedef {object} Finding
 * @property {string} id a stable name: origin, csp-script, csp-connect, styles, stream-live, stream-compressed,
 *   launcher-visible, launcher-keyboard, viewport, body-swap
 * @property {"ok" | "warn" | "fail" | "skip"} status
 * @property {string} title what was checked
 * @property {string} detail what was found, in plain words
 * @property {string} [fix] what to change, when something is wrong
 */

/** @typedef {import("../transport.js").Probe} Probe */

/**
 * @param {Finding["id"]} id
 * @param {Finding["status"]} status
 * @param {string} title
 * @param {string} detail
 * @param {string} [fix]
 * @returns {Finding}
 */
const finding = (id, status, title, detail, fix) => (fix ? { id, status, title, detail, fix } : { id, status, title, detail });

/** The origin of a URL (the BFF's, from widget.js's own src). @param {string} url */
const originOf = (url) => new URL(url).origin;

/**
 * Is this page's origin allowed by the BFF? Read from its answer to the diagnostic stream.
 * @param {Probe} probe
 * @param {string} origin this page's origin
 * @param {string} base
 * @param {boolean} blocked the page's CSP blocked the request
 */
export function checkOrigin(probe, origin, base, blocked) {
  const title = "This site may use the chat";
  if (probe.error.code === "origin_not_allowed") {
    return finding("origin", "fail", title, `The BFF at ${base} refuses this page's origin ${origin}: visitors here who open the chat read "The chat isn't available on this page right now."`,
      `Add ${origin} to REPCHAT_ALLOWED_ORIGINS on the BFF (a comma list, e.g. REPCHAT_ALLOWED_ORIGINS=${origin}) and restart it; ` +
      "`repchat snippet --origin " + origin + "` prints the line.");
  }
  if (probe.status >= 200 && probe.status < 300) return finding("origin", "ok", title, `The BFF at ${base} accepts ${origin}.`);
  if (blocked) return finding("origin", "skip", title, "Not checked: the page's Content-Security-Policy kept the doctor from asking the BFF (see below).");
  if (probe.status === 429) return finding("origin", "skip", title, "Not checked: the BFF says the doctor ran too often from here; try again in a minute.");
  if (probe.status) {
    return finding("origin", "fail", title, `The BFF at ${base} answered ${probe.status}${probe.error.message ? ": " + probe.error.message : ""}.`,
      "Check that the script tag's src points at the BFF, and that a proxy in front of it passes /v1/ through.");
  }
  return finding("origin", "fail", title, `The BFF at ${base} could not be reached from this page (no answer, or one without CORS headers).`,
    `Check that ${base} is up and reachable from visitors' browsers, and that a proxy or CDN in front of it keeps its ` +
    "Access-Control-Allow-Origin headers (it must not answer /v1/ itself).");
}

/**
 * What the page's Content-Security-Policy says about the widget: its scripts, its connections, its styles.
 * @param {object} input
 * @param {string[]} input.policies the enforced policies (header and meta)
 * @param {string[]} input.sources where they came from ("the Content-Security-Policy header", "a <meta> tag")
 * @param {boolean} [input.unread] the page's headers could not be read (its own policy may forbid the doctor's fetch)
 * @param {URL} input.page
 * @param {string} input.base
 * @param {SecurityPolicyViolationEvent[]} input.violations seen while the doctor ran, for the BFF's URLs
 * @param {Probe} input.probe
 * @param {boolean} input.styled the launcher has the widget's styles
 * @returns {Finding[]}
 */
export function checkCsp({ policies, sources, unread, page, base, violations, probe, styled }) {
  const bff = originOf(base);
  const none = unread ? "The page's Content-Security-Policy header could not be read, so what the browser did is the answer:"
    : "This page sets no Content-Security-Policy:";
  const joined = sources.join(" and ");
  const where = joined.charAt(0).toUpperCase() + joined.slice(1);
  const found = [];
  // widget.js and this doctor did load from the BFF, so scripts are allowed, whatever a reading of the policy says.
  const script = allows(policies, "script-src-elem", new URL(base + "/widget.js"), page);
  found.push(finding("csp-script", "ok", "The page's CSP allows the widget's scripts",
    !policies.length ? `${none} scripts from ${bff} load.`
      : script.allowed ? `${where} allows scripts from ${bff}.`
        : `widget.js and its scripts loaded from ${bff} (allowed by a nonce, a hash or 'strict-dynamic').`));

  const refused = violations.find((event) => /^connect-src|^default-src/.test(event.effectiveDirective || event.violatedDirective));
  const connect = allows(policies, "connect-src", new URL(base + "/v1/diagnostics/stream"), page);
  const title = "The page's CSP allows connections to the BFF";
  if (refused || (!probe.status && !connect.allowed)) {
    const directive = refused ? (refused.effectiveDirective || refused.violatedDirective) : connect.directive;
    found.push(finding("csp-connect", "fail", title,
      `${where || "The page's Content-Security-Policy"} blocks connections to ${bff} (${directive}${connect.sources.length ? " " + connect.sources.join(" ") : ""}): the chat cannot start or stream.`,
      `Add ${bff} to connect-src in the page's Content-Security-Policy, e.g. "connect-src 'self' ${bff}" ` +
      "(`repchat snippet` prints the lines for this BFF)."));
  } else {
    const allowed = policies.length ? `${where} allows connections to ${bff}` : "";
    found.push(finding("csp-connect", "ok", title, !probe.status
      ? `${allowed || "Nothing on this page blocks connections to " + bff}; the BFF did not answer (see the first check).`
      : allowed ? allowed + "." : `${none} connections to ${bff} work.`));
  }
  found.push(styled
    ? finding("styles", "ok", "The widget's styles apply", "The widget styles itself inside its shadow root with constructable stylesheets, so style-src needs nothing added.")
    : finding("styles", "fail", "The widget's styles apply", "The launcher does not have the widget's styles.",
      "Look for page CSS that targets repchat-widget (display, width, all) or a browser without constructable stylesheets."));
  return found;
}

/**
 * Did the timed events arrive as they were sent, and uncompressed?
 * @param {Probe} probe
 * @param {{encoded: number, decoded: number} | null} sizes Resource Timing's body sizes (null: not readable)
 */
export function checkStream(probe, sizes) {
  const live = "Replies stream live (not held back on the way)";
  const packed = "The event stream is not compressed";
  if (!probe.ticks.length) {
    const why = "Not checked: the doctor could not read the BFF's diagnostic stream (see above).";
    return [finding("stream-live", "skip", live, why), finding("stream-compressed", "skip", packed, why)];
  }
  const first = probe.ticks[0];
  const last = probe.ticks[probe.ticks.length - 1];
  const sent = last.sentAt - first.sentAt;
  const arrived = last.at - first.at;
  const compressed = !!(sizes && sizes.encoded > 0 && sizes.decoded > sizes.encoded) || (!!probe.encoding && probe.encoding !== "identity");
  const how = sizes && sizes.encoded ? ` (${sizes.encoded} bytes on the wire for ${sizes.decoded} decoded)` : probe.encoding ? ` (Content-Encoding: ${probe.encoding})` : "";
  const found = [];
  // Sent 250 ms apart; arriving within half that spread means something held them and let them go together.
  if (probe.ticks.length > 1 && arrived < sent / 2) {
    const cause = compressed
      ? "They were compressed on the way, and compression holds bytes back until it has enough to pack: this is the likely cause."
      : "Something between this page and the BFF (a reverse proxy, a CDN or a framework's middleware) held the stream and sent it at once.";
    found.push(finding("stream-live", "fail", live,
      `${probe.ticks.length} events sent over ${sent} ms arrived within ${arrived} ms: replies will appear all at once instead of word by word. ${cause}`,
      (compressed ? "Turn off compression for text/event-stream responses of the BFF (nginx: gzip off for that location; " +
        "Cloudflare: a Configuration Rule with compression off for /v1/; Express, Next.js or Django: exclude text/event-stream " +
        "from the compression middleware). " : "") +
      "In front of the BFF, stop buffering its responses: nginx `proxy_buffering off;` (the BFF also sends X-Accel-Buffering: no, " +
      "which a proxy must pass through, not strip), Apache `flushpackets=on`, Cloudflare: do not cache /v1/ and keep " +
      "Cache-Control: no-transform; a framework proxy or middleware must stream responses instead of collecting them. " +
      "The BFF sends Cache-Control: no-cache, no-transform: keep it."));
  } else if (probe.ticks.length < 2) {
    found.push(finding("stream-live", "warn", live, "Only one event arrived: the stream was cut short on the way.", "Check the proxy's read timeout for /v1/ (nginx: proxy_read_timeout 300s)."));
  } else {
    found.push(finding("stream-live", "ok", live, `${probe.ticks.length} events sent over ${sent} ms arrived over ${arrived} ms, as sent.`));
  }
  if (compressed) {
    found.push(finding("stream-compressed", found[0].status === "ok" ? "warn" : "fail", packed,
      `The BFF's event stream reached this page compressed${how}. The BFF never compresses it: a proxy, CDN or framework did.`,
      "Exclude text/event-stream from compression in front of the BFF (nginx: gzip off, or gzip_types without " +
      "text/event-stream; Cloudflare: compression off for /v1/ by a Configuration Rule; Node/Express compression(): " +
      "a filter that skips text/event-stream), and keep the BFF's Cache-Control: no-transform."));
  } else if (sizes && sizes.encoded) {
    found.push(finding("stream-compressed", "ok", packed, `The event stream arrived uncompressed${how}.`));
  } else {
    found.push(finding("stream-compressed", "ok", packed, "No Content-Encoding on the event stream (Resource Timing could not confirm it: a proxy may strip Timing-Allow-Origin)."));
  }
  return found;
}

/** A short CSS-like name for an element: tag#id.class. @param {Element} element */
export function describe(element) {
  const id = element.id ? "#" + element.id : "";
  const classes = typeof element.className === "string" && element.className.trim()
    ? "." + element.className.trim().split(/\s+/).slice(0, 3).join(".") : "";
  return element.tagName.toLowerCase() + id + classes;
}

/**
 * Can visitors see the launcher, and reach it by keyboard?
 * @param {Document} doc
 * @param {Window} win
 * @param {HTMLElement | null} host the widget's element, null when it is not in the page
 * @returns {Finding[]}
 */
export function checkLauncher(doc, win, host) {
  const visible = "The launcher can be seen";
  const keys = "The launcher can be reached by keyboard";
  if (!host || !host.isConnected) {
    const why = "Not checked: the widget's element is not in the page (see the body-swap check).";
    return [finding("launcher-visible", "skip", visible, why), finding("launcher-keyboard", "skip", keys, why)];
  }
  const launcher = /** @type {HTMLButtonElement | null} */ (host.shadowRoot && host.shadowRoot.querySelector(".launcher"));
  if (!launcher) {
    return [finding("launcher-visible", "ok", visible, "The chat is inline in the page (no launcher).")];
  }
  const found = [];
  const box = launcher.getBoundingClientRect();
  const x = box.left + box.width / 2;
  const y = box.top + box.height / 2;
  const move = "Stack the launcher above it with `repchat-widget { --rc-z: 2147483647 }`, or move it clear with " +
    "`repchat-widget { --rc-bottom: 96px }` (or --rc-side, or data-position=\"left\"), or lower the other element's z-index.";
  if (!box.width || !box.height || win.getComputedStyle(host).visibility === "hidden" || win.getComputedStyle(host).display === "none") {
    found.push(finding("launcher-visible", "fail", visible, "The launcher has no size on this page: page CSS hides it.",
      "Look for page CSS that targets repchat-widget (display, visibility, width) and remove it."));
  } else if (x < 0 || y < 0 || x > win.innerWidth || y > win.innerHeight) {
    found.push(finding("launcher-visible", "fail", visible, `The launcher sits outside the window (at ${Math.round(x)}, ${Math.round(y)}).`, move));
  } else {
    const top = doc.elementFromPoint(x, y);
    if (top && top !== host && !host.contains(top)) {
      found.push(finding("launcher-visible", "fail", visible,
        `The launcher is covered by ${describe(top)}: visitors see that element where the chat button should be, and clicks go to it.`, move));
    } else {
      found.push(finding("launcher-visible", "ok", visible, "Nothing covers the launcher."));
    }
  }
  const inert = host.closest("[inert], [aria-hidden=true]");
  if (launcher.disabled || launcher.tabIndex < 0 || inert) {
    found.push(finding("launcher-keyboard", "fail", keys,
      inert ? `${inert === host ? "The widget's element" : "The widget sits inside " + describe(inert) + ", which"} is ` +
        `${inert.hasAttribute("inert") ? "inert" : "aria-hidden"}: keyboards and screen readers cannot reach the launcher.`
        : "The launcher cannot take keyboard focus.",
      "Keep repchat-widget a direct child of <body>, outside elements a dialog or a menu makes inert or aria-hidden."));
  } else {
    found.push(finding("launcher-keyboard", "ok", keys, "The launcher is a button in the page's Tab order."));
  }
  return found;
}

/**
 * Is a viewport set, so phones show the page (and the chat) at device width instead of zoomed out?
 * @param {Document} doc
 */
export function checkViewport(doc) {
  const title = "Phones show the page at device width";
  const meta = doc.querySelector('meta[name="viewport"]');
  const content = meta ? (meta.getAttribute("content") || "").toLowerCase() : "";
  const fix = 'Add <meta name="viewport" content="width=device-width, initial-scale=1"> to the page\'s <head>.';
  if (!meta) return finding("viewport", "fail", title, "The page has no viewport meta tag: phones render it zoomed out and the chat tiny.", fix);
  if (!/width\s*=\s*device-width/.test(content)) return finding("viewport", "warn", title, `The viewport meta says "${content}", without width=device-width.`, fix);
  return finding("viewport", "ok", title, `The viewport meta says "${content}".`);
}

/** Navigation libraries that replace <body> instead of loading a page. @type {[string, (win: any, doc: Document) => unknown][]} */
const SWAPPERS = [
  ["Turbo (Hotwire)", (win, doc) => win.Turbo || doc.querySelector('meta[name^="turbo-"], [data-turbo]')],
  ["Turbolinks", (win) => win.Turbolinks],
  ["Astro view transitions", (win, doc) => doc.querySelector('meta[name="astro-view-transitions-enabled"]')],
  ["htmx (hx-boost)", (win, doc) => win.htmx && doc.querySelector("[hx-boost]")],
  ["Swup", (win) => win.swup],
  ["Barba.js", (win) => win.barba],
  ["pjax", (win) => win.pjax || win.Pjax],
];

/**
 * Does this page swap its body on navigation, and is the widget still in the page?
 * @param {Window} win
 * @param {Document} doc
 * @param {HTMLElement | null} host the widget's element, null when it is not in the page
 */
export function checkBodySwap(win, doc, host) {
  const title = "The widget survives the page's navigation";
  const swappers = SWAPPERS.filter(([, present]) => present(win, doc)).map(([name]) => name);
  const uses = swappers.length ? `This page navigates with ${swappers.join(", ")}, which replaces <body>. ` : "";
  if (!host || !host.isConnected) {
    return finding("body-swap", "fail", title,
      `${uses}The widget's element is no longer in the page: something replaced or emptied <body> after the widget loaded, and the chat is gone.`,
      "The widget has to re-attach after each such navigation: run a repchat version that does (widget.js comes from your BFF, " +
      "so updating the BFF updates it), or make navigations to pages with the chat full page loads: with Turbo, " +
      "<meta name=\"turbo-visit-control\" content=\"reload\"> on those pages; with Astro, data-astro-reload on links to them.");
  }
  return finding("body-swap", "ok", title, swappers.length
    ? `${uses}The widget is in the page now; navigate once and run the doctor again to see it stay.`
    : "No body-swapping navigation library found; the widget is in the page.");
}
