// @ts-check
// Which destinations model text may link to or load, and when a link's text
// misrepresents where it goes.

const SCHEME = /^([a-z][a-z0-9+.-]*):/i;
const SAFE_SCHEMES = /^(?:https?|mailto|tel)$/i;
const URL_LIKE = /^\s*(?:https?:\/\/)?((?:[a-z0-9-]+\.)+[a-z]{2,})\.?(?:[/:?#]\S*)?\s*$/i;
const ENCODE = /%(?![0-9a-f]{2})|[^\w;/?:@&=+$,.!~*'()#%-]/giu;

/** Percent-encode what a URL may not hold raw, keeping valid %XX escapes (as CommonMark does). @param {string} url */
export function encodeUrl(url) {
  return url.replace(ENCODE, (c) => {
    try {
      return c === "%" ? "%25" : encodeURIComponent(c);
    } catch (_) {
      return "%EF%BF%BD"; // a lone surrogate
    }
  });
}

/**
 * The href a link may have, or null: http(s), mailto, tel, or a relative
 * URL (not "//host", which leaves the site).
 * @param {string} url
 */
export function safeHref(url) {
  const raw = String(url).trim();
  if (/[\u0000-\u001f\u007f]/.test(raw)) return null;
  const href = encodeUrl(raw);
  const scheme = SCHEME.exec(href);
  if (scheme) return SAFE_SCHEMES.test(scheme[1]) ? href : null;
  return href.startsWith("//") ? null : href;
}

/** @param {string} href @returns {string|null} */
function hostOf(href) {
  try {
    return new URL(href, "http://relative.invalid/").hostname.toLowerCase().replace(/^www\./, "");
  } catch (_) {
    return null;
  }
}

/**
 * Does a link's visible text look like a URL of another host than its
 * destination (`[https://bank.example](https://evil.example)`)?
 * @param {string} text @param {string} href
 */
export function misleads(text, href) {
  const shown = URL_LIKE.exec(text);
  if (!shown || /^(?:mailto|tel):/i.test(href)) return false;
  return hostOf(href) !== shown[1].toLowerCase().replace(/^www\./, "");
}

/**
 * Parse the owner's image hosts ("cdn.example.com, .example.org": a leading
 * dot also allows subdomains).
 * @param {string|null|undefined} list @returns {string[]}
 */
export const parseImageHosts = (list) =>
  String(list || "")
    .split(/[\s,]+/)
    .map((host) => host.trim().toLowerCase().replace(/^\*\./, "."))
    .filter(Boolean);

/**
 * May this image be loaded? Only http(s) images from a host the owner listed.
 * @param {string} href @param {string[]} hosts
 */
export function imageAllowed(href, hosts) {
  if (!hosts.length || !/^https?:\/\//i.test(href)) return false;
  const host = hostOf(href);
  return !!host && hosts.some((allowed) => (allowed[0] === "." ? ("." + host).endsWith(allowed) : host === allowed.replace(/^www\./, "")));
}
