// @ts-check
// Does a Content-Security-Policy let a URL load as a script or a connection?
// The source-list matching of CSP Level 3 (§6.7.2.8) for the cases that
// matter to an embed: *, 'self', 'none', schemes, hosts with *. wildcards,
// ports and paths, 'strict-dynamic'. The BFF's `repchat check --site` does
// the same in Python (bff/csp.py).

/** @type {Record<string, string[]>} */
const FALLBACK = { "script-src-elem": ["script-src", "default-src"], "script-src": ["default-src"], "connect-src": ["default-src"] };
const DEFAULT_PORTS = /** @type {Record<string, string>} */ ({ "http:": "80", "https:": "443", "ws:": "80", "wss:": "443" });

/**
 * A policy's directives: name -> its source list (lower-cased keywords, as written otherwise).
 * @param {string} policy
 * @returns {Map<string, string[]>}
 */
export function parsePolicy(policy) {
  const directives = new Map();
  for (const part of policy.split(";")) {
    const [name, ...sources] = part.trim().split(/\s+/);
    if (name && !directives.has(name.toLowerCase())) directives.set(name.toLowerCase(), sources);
  }
  return directives;
}

/**
 * The directive that governs `kind` in `directives` (its own, else its fallback), and its sources.
 * @param {Map<string, string[]>} directives
 * @param {string} kind
 * @returns {[string, string[]] | null}
 */
export function governing(directives, kind) {
  for (const name of [kind, ...(FALLBACK[kind] || [])]) {
    const sources = directives.get(name);
    if (sources) return [name, sources];
  }
  return null;
}

/**
 * Whether one source expression matches `url` on a page at `self`.
 * @param {string} source
 * @param {URL} url
 * @param {URL} self
 */
export function sourceMatches(source, url, self) {
  const lower = source.toLowerCase();
  if (lower === "*") return /^(https?|wss?):$/.test(url.protocol) || url.protocol === self.protocol;
  if (lower === "'self'") return url.origin === self.origin || (self.protocol === "http:" && url.protocol === "https:" && url.host === self.host);
  if (lower.startsWith("'")) return false;
  const scheme = /^([a-z][a-z0-9+.-]*):$/.exec(lower);
  if (scheme) return schemeMatches(scheme[1] + ":", url.protocol);
  const parts = /^(?:([a-z][a-z0-9+.-]*):\/\/)?(\*|\*\.[^/:]+|[^/:*]+)(?::(\d+|\*))?(\/.*)?$/.exec(lower);
  if (!parts) return false;
  const [, sourceScheme, host, port, path] = parts;
  if (!schemeMatches(sourceScheme ? sourceScheme + ":" : self.protocol, url.protocol)) return false;
  const hostname = url.hostname.toLowerCase();
  if (host.startsWith("*.") ? !hostname.endsWith(host.slice(1)) : host !== "*" && host !== hostname) return false;
  const urlPort = url.port || DEFAULT_PORTS[url.protocol] || "";
  const sourcePort = port || DEFAULT_PORTS[sourceScheme ? sourceScheme + ":" : self.protocol] || "";
  if (port !== "*" && urlPort !== sourcePort && !(sourcePort === "80" && urlPort === "443")) return false;
  if (!path || path === "/") return true;
  return path.endsWith("/") ? url.pathname.startsWith(path) : url.pathname === path;
}

/** @param {string} source @param {string} target */
const schemeMatches = (source, target) =>
  source === target || (source === "http:" && target === "https:") || (source === "ws:" && target === "wss:");

/**
 * Whether every policy lets `url` load as `kind` ("script-src-elem" or "connect-src"), and if not,
 * the policy's directive that refuses it.
 * @param {string[]} policies enforced policies (header and meta)
 * @param {string} kind
 * @param {URL} url
 * @param {URL} self the page's URL
 * @param {boolean} [trustedScript] the script is added by a script the policy trusted ('strict-dynamic')
 * @returns {{allowed: boolean, directive: string, sources: string[]}}
 */
export function allows(policies, kind, url, self, trustedScript = true) {
  for (const policy of policies) {
    const found = governing(parsePolicy(policy), kind);
    if (!found) continue;
    const [directive, sources] = found;
    const lowered = sources.map((source) => source.toLowerCase());
    if (kind !== "connect-src" && trustedScript && lowered.includes("'strict-dynamic'")) continue;
    if (!sources.some((source) => sourceMatches(source, url, self))) return { allowed: false, directive, sources };
  }
  return { allowed: true, directive: "", sources: [] };
}
