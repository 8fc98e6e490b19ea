// @ts-check
// The doctor's report on the page, for owners who cannot open a console
// (data-doctor, #repchat-doctor): a labelled region inside the widget's
// shadow root (or a shadow root of its own when the widget's element has
// left the page), built from text nodes, with a Close button that takes focus.
import { h } from "../dom.js";
import { adopt } from "../styles.js";

const CSS = `
.doctor{position:fixed;top:16px;left:16px;z-index:1;width:min(640px,calc(100vw - 32px));max-height:calc(100vh - 32px);overflow:auto;
 box-sizing:border-box;padding:16px 20px;background:#fff;color:#0f172a;border:2px solid #0f172a;border-radius:12px;
 box-shadow:0 12px 32px rgba(15,23,42,.3);font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;text-align:start}
.doctor h2{margin:0 0 4px;font-size:1.15em}
.doctor p{margin:0 0 8px}
.doctor ul{list-style:none;margin:8px 0;padding:0}
.doctor li{border-top:1px solid #cbd5e1;padding:8px 0}
.doctor .status{display:inline-block;min-width:4.5em;font-weight:700}
.doctor [data-status=fail] .status{color:#b91c1c}
.doctor [data-status=warn] .status{color:#92400e}
.doctor [data-status=ok] .status{color:#166534}
.doctor [data-status=skip] .status{color:#475569}
.doctor .fix{margin:4px 0 0;padding:6px 8px;background:#f1f5f9;border-radius:6px}
.doctor button{font:inherit;padding:6px 14px;border:1px solid #0f172a;border-radius:999px;background:#0f172a;color:#fff;cursor:pointer}
.doctor button:focus-visible{outline:3px solid #1d4ed8;outline-offset:2px}
`;
const WORDS = { ok: "OK", warn: "Warning", fail: "Problem", skip: "Skipped" };

/**
 * Show `report` on the page (replacing one shown before).
 * @param {Document} doc
 * @param {HTMLElement | null} host the widget's element, null when it is not in the page
 * @param {import("./index.js").Report} report
 */
export function showReport(doc, host, report) {
  let root = host && host.isConnected ? host.shadowRoot : null;
  if (!root) {
    const own = doc.createElement("repchat-doctor");
    doc.body.appendChild(own);
    root = own.attachShadow({ mode: "open" });
  }
  const shown = root.querySelector(".doctor");
  if (shown) shown.remove();
  else adopt(root, CSS);
  const items = report.findings.map((item) =>
    h(doc, "li", { "data-status": item.status, "data-check": item.id }, [
      h(doc, "p", {}, [h(doc, "span", { class: "status", text: WORDS[item.status] }), h(doc, "strong", { text: item.title })]),
      h(doc, "p", { text: item.detail }),
      item.fix ? h(doc, "p", { class: "fix", text: "Fix: " + item.fix }) : null,
    ]));
  const close = h(doc, "button", { type: "button", text: "Close the report" });
  const section = h(doc, "section", { class: "doctor", role: "region", "aria-labelledby": "rc-doctor-title", lang: "en", dir: "ltr" }, [
    h(doc, "h2", { id: "rc-doctor-title", text: "repchat doctor" }),
    h(doc, "p", { role: "status", text: report.ok
      ? `All clear: ${report.findings.length} checks passed${report.warnings ? `, ${report.warnings} warning(s)` : ""}.`
      : `${report.problems} problem(s) found. Each says what to change.` }),
    h(doc, "ul", {}, items),
    h(doc, "p", { text: `Page ${report.page}, BFF ${report.bff}, widget ${report.version}. The same report is in the browser console.` }),
    close,
  ]);
  close.addEventListener("click", () => section.remove());
  root.appendChild(section);
  close.focus({ preventScroll: true });
}
