// @ts-check
// Building DOM nodes without markup: every piece of text goes in as a text
// node, every attribute through setAttribute. Shared by the view modules.

const SVG = "http://www.w3.org/2000/svg";
const ICONS = {
  send: "M3.4 20.4 21 12 3.4 3.6l-.1 6.5L15 12 3.3 13.9z",
  stop: "M7 7h10v10H7z",
  thumb: "M2 21h4V9H2zm20-11a2 2 0 0 0-2-2h-6.3l1-4.6V3a1.5 1.5 0 0 0-.5-1L13.2 1 7.6 6.6A2 2 0 0 0 7 8v11a2 2 0 0 0 2 2h9a2 2 0 0 0 1.8-1.2l3-7.1.2-.7z",
  mail: "M20 4H4a2 2 0 0 0-2 2v12a2 2 0 0 0 2 2h16a2 2 0 0 0 2-2V6a2 2 0 0 0-2-2zm0 4-8 5-8-5V6l8 5 8-5z",
  new: "M11 5h2v6h6v2h-6v6h-2v-6H5v-2h6z",
  expand: "M4 4h7v2H6v5H4zm16 16h-7v-2h5v-5h2z",
};

/** @typedef {Record<string, string | boolean | null | undefined>} Attrs */

/**
 * An element with attributes (`text` sets its text; false or null skip) and children.
 * @template {keyof HTMLElementTagNameMap} K
 * @param {Document} doc
 * @param {K} tag
 * @param {Attrs} [attrs]
 * @param {(Node | null | undefined)[]} [children]
 * @returns {HTMLElementTagNameMap[K]}
 */
export function h(doc, tag, attrs, children) {
  const element = doc.createElement(tag);
  for (const name in attrs || {}) {
    const value = /** @type {Attrs} */ (attrs)[name];
    if (value === false || value == null) continue;
    if (name === "text") element.textContent = String(value);
    else element.setAttribute(name, value === true ? "" : value);
  }
  for (const child of children || []) if (child) element.appendChild(child);
  return element;
}

/**
 * A decorative icon; `data-icon` lets right-to-left layouts mirror the directional ones.
 * @param {Document} doc
 * @param {keyof typeof ICONS} name
 * @returns {SVGSVGElement}
 */
export function icon(doc, name) {
  const svg = doc.createElementNS(SVG, "svg");
  svg.setAttribute("viewBox", "0 0 24 24");
  svg.setAttribute("aria-hidden", "true");
  svg.setAttribute("focusable", "false");
  svg.setAttribute("data-icon", name);
  const path = doc.createElementNS(SVG, "path");
  path.setAttribute("d", ICONS[name]);
  path.setAttribute("fill", "currentColor");
  svg.appendChild(path);
  return svg;
}
