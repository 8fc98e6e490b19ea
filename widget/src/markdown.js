// @ts-check
// Safe, incremental markdown for bot replies: CommonMark 0.31.2 for what a
// chat uses, plus GFM tables, strikethrough, task lists and bare-URL
// autolinks (see docs/markdown.md for the conformance figures and why this is
// hand-written). Model text never becomes HTML. While a reply streams,
// complete lines go to the block parser once; the unfinished last line is
// parsed on a throwaway fork, so finished blocks are drawn once and only the
// open tail changes.
import { BlockParser } from "./markdown/blocks.js";
import { DomRenderer } from "./markdown/render.js";
import { MARKDOWN_EN } from "./markdown/words.js";

export { safeHref } from "./markdown/links.js";
export { parseImageHosts } from "./markdown/links.js";
export { parseInline } from "./markdown/inline.js";

/**
 * @typedef {{t?: (key: string) => string, announce?: (text: string) => void, imageHosts?: string[]}} RendererOptions
 * @typedef {{append(chunk: string): void, render(): void, finish(): void, readonly text: string}} Renderer
 */

/** @param {string} key */
const english = (key) => /** @type {Record<string, string>} */ (MARKDOWN_EN)[key] || key;

/**
 * Render a growing text into `container`: append(chunk) while streaming,
 * render() to draw (once per frame is plenty), finish() at the end.
 * @param {Document} doc @param {HTMLElement} container @param {RendererOptions} [options] @returns {Renderer}
 */
export function createRenderer(doc, container, options = {}) {
  let raw = "";
  let pending = ""; // text after the last line end: the line still streaming
  let heldCR = false;
  let finished = false;
  const parser = new BlockParser(new Map());
  const dom = new DomRenderer(doc, container, {
    t: options.t || english,
    announce: options.announce || (() => {}),
    imageHosts: options.imageHosts || [],
  });

  return {
    append(chunk) {
      if (finished) return;
      raw += chunk;
      // CR, LF and CRLF all end a line, even when a CRLF is split between chunks.
      let part = (heldCR ? "\r" : "") + chunk;
      heldCR = part.endsWith("\r");
      if (heldCR) part = part.slice(0, -1);
      // Only the unfinished line is kept as text: scanning a whole reply per
      // token would make late tokens dearer than early ones.
      const lines = (pending + part.replace(/\r\n?/g, "\n")).split("\n");
      pending = /** @type {string} */ (lines.pop());
      for (const line of lines) parser._addLineText(line);
    },
    render() {
      if (finished) return;
      const view = pending ? parser.fork() : parser;
      if (pending) view._addLineText(pending);
      dom.render(view.doc, view.refs);
    },
    finish() {
      if (finished) return;
      finished = true;
      if (pending) parser._addLineText(pending);
      dom.render(parser.finish(), parser.refs);
    },
    get text() {
      return raw;
    },
  };
}
