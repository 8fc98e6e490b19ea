// @ts-check
// The embed doctor: `RepChat.diagnose()` runs it on the owner's real page
// (widget.js loads this script only then, see loader.js). It asks the BFF for
// its timed diagnostic stream, reads the page's Content-Security-Policy, and
// looks at the launcher, the viewport and the page's navigation; it resolves
// to a report and prints it to the console in plain words, each finding with
// its fix; with `show` (data-doctor, #repchat-doctor) it also shows the
// report on the page, inside the widget's shadow root.
import { checkBodySwap, checkCsp, checkLauncher, checkOrigin, checkStream, checkViewport } from "./checks.js";
import { diagnosticStream, headersOf } from "../transport.js";
import { showReport } from "./view.js";

/** @typedef {import("./checks.js").Finding} Finding */

/**
 * @typedef {object} Report
 * @property {boolean} ok no finding failed
 * @property {number} problems how many findings failed
 * @property {number} warnings
 * @property {string} page this page's URL
 * @property {string} bff the BFF's URL (widget.js's own)
 * @property {string} version widget.js's version
 * @property {Finding[]} findings
 */

/**
 * The enforced policies of this page: its Content-Security-Policy header (read by fetching the page
 * again, same origin) and its <meta http-equiv> tags.
 * @param {Document} doc
 * @param {Window} win
 */
async function pagePolicies(doc, win) {
  const policies = [];
  const sources = [];
  const headers = win.location.protocol.startsWith("http") ? await headersOf(win.location.href) : null;
  const header = headers && headers.get("content-security-policy");
  if (header) {
    // Several headers arrive joined by commas; each is a policy of its own.
    policies.push(...header.split(",").map((policy) => policy.trim()).filter(Boolean));
    sources.push("the page's Content-Security-Policy header");
  }
  const metas = [...doc.querySelectorAll("meta[http-equiv]")].filter((meta) => /^content-security-policy$/i.test(meta.getAttribute("http-equiv") || ""));
  for (const meta of metas) policies.push(meta.getAttribute("content") || "");
  if (metas.length) sources.push("its <meta http-equiv=Content-Security-Policy>");
  return { policies, sources, unread: !headers };
}

/**
 * Resource Timing's body sizes of the diagnostic stream: encoded smaller than decoded means compressed.
 * The entry is added when the response ends, a moment after the reader sees the end: wait for it briefly.
 * @param {Window} win
 * @param {string} url
 */
async function bodySizes(win, url) {
  for (let tries = 0; tries < 20; tries++) {
    const entries = /** @type {PerformanceResourceTiming[]} */ (win.performance.getEntriesByName(url, "resource"));
    const entry = entries[entries.length - 1];
    if (entry) return entry.decodedBodySize ? { encoded: entry.encodedBodySize, decoded: entry.decodedBodySize } : null;
    await new Promise((resolve) => win.setTimeout(resolve, 25));
  }
  return null;
}

const MARK = { ok: "ok  ", warn: "WARN", fail: "FAIL", skip: "skip" };

/**
 * Print the report to the console: a summary line, then one line per finding and its fix.
 * @param {Report} report
 */
function print(report) {
  const head = report.ok
    ? `repchat doctor: all clear on ${report.page} (${report.findings.length} checks, widget ${report.version}, BFF ${report.bff})`
    : `repchat doctor: ${report.problems} problem(s) on ${report.page} (widget ${report.version}, BFF ${report.bff})`;
  const lines = report.findings.map((item) => `${MARK[item.status]}  ${item.title}: ${item.detail}${item.fix ? "\n      Fix: " + item.fix : ""}`);
  (report.ok ? console.info : console.warn)(head + "\n" + lines.join("\n"));
}

/**
 * Run every check on this page. widget.js passes only what it knows alone; the doctor finds the
 * widget's element itself (by the version attribute it carries), so one that left the page is not found.
 * @param {object} options
 * @param {import("../mount.js").Config} options.config
 * @param {boolean} [options.show] also show the report on the page
 * @param {Window & {RepChat?: {version?: string}}} [win]
 * @param {Document} [doc]
 * @returns {Promise<Report>}
 */
export async function diagnose({ config, show }, win = window, doc = document) {
  /** @type {HTMLElement | null} */
  const host = doc.querySelector("[data-repchat-version]");
  const version = (host && host.getAttribute("data-repchat-version")) || (win.RepChat && win.RepChat.version) || "";
  const base = config.base;
  const page = new URL(win.location.href);
  /** @type {SecurityPolicyViolationEvent[]} */
  const violations = [];
  /** @param {SecurityPolicyViolationEvent} event */
  const onViolation = (event) => {
    if ((event.blockedURI || "").startsWith(new URL(base).origin)) violations.push(event);
  };
  doc.addEventListener("securitypolicyviolation", onViolation);
  const [probe, csp] = await Promise.all([diagnosticStream(base), pagePolicies(doc, win)]);
  // A violation is reported in a task of its own, after the failed fetch: give it one.
  if (!probe.status) await new Promise((resolve) => win.setTimeout(resolve, 50));
  doc.removeEventListener("securitypolicyviolation", onViolation);
  const sizes = probe.ticks.length ? await bodySizes(win, probe.url) : null;

  const launcher = host && host.shadowRoot && host.shadowRoot.querySelector(".launcher");
  const styled = !launcher || launcher.getBoundingClientRect().width > 0 && win.getComputedStyle(launcher).borderRadius !== "0px";
  const blocked = violations.some((event) => /^(connect|default)-src/.test(event.effectiveDirective || event.violatedDirective));
  const findings = [
    checkOrigin(probe, page.origin, base, blocked),
    ...checkCsp({ ...csp, page, base, violations, probe, styled }),
    ...checkStream(probe, sizes),
    ...checkLauncher(doc, win, host),
    checkViewport(doc),
    checkBodySwap(win, doc, host),
  ];
  const problems = findings.filter((item) => item.status === "fail").length;
  /** @type {Report} */
  const report = {
    ok: !problems, problems, warnings: findings.filter((item) => item.status === "warn").length,
    page: page.href, bff: base, version, findings,
  };
  print(report);
  if (show) showReport(doc, host, report);
  return report;
}
