// @ts-check
// Block and inline trees -> DOM nodes, kept in step with a growing document.
// Every character of model text lands in a text node or an attribute set
// through setAttribute; nothing is parsed as HTML. A block the parser has
// closed is drawn once and then left alone; only the open path (the last
// block, and the open blocks inside it) is redrawn as text arrives.
import { isTight } from "./blocks.js";
import { parseInline, unescape } from "./inline.js";
import { imageAllowed, misleads, safeHref } from "./links.js";
import { codeBlock } from "./code.js";

/**
 * @typedef {import("./blocks.js").Block} Block
 * @typedef {import("./blocks.js").RefMap} RefMap
 * @typedef {import("./inline.js").Inline} Inline
 * @typedef {{t: (key: string) => string, announce: (text: string) => void, imageHosts: string[]}} RenderOptions
 * @typedef {{
 *   src: Block, type: string, guess?: boolean, level?: number, fenced?: boolean, checked?: boolean|null, list?: object, head?: string[],
 *   nodes: Node[], final: boolean, el?: HTMLElement, kids?: Entries, tight?: boolean, text?: string,
 *   code?: ReturnType<typeof codeBlock>, _doneRows?: number, body?: HTMLElement, _misses?: Set<string>
 * }} Entry
 * @typedef {Entry[] & {done?: number}} Entries
 */

// Each block finds its own direction: an English answer in an Arabic widget
// keeps its punctuation where it belongs.
const AUTO = { dir: "auto" };

/** Is this block's text still arriving? (Open, or drawn from the unfinished line.) @param {Block} b */
const streaming = (b) => b.open || !!b.fork;

/** The visible text of inline nodes (an image's alt text). @param {Inline[]} nodes @returns {string} */
const plain = (nodes) => nodes.map((n) => (n.t === "text" || n.t === "code" ? n.v : n.t === "soft" || n.t === "br" ? " " : plain(n.c || []))).join("");

export class DomRenderer {
  /** @param {Document} doc @param {HTMLElement} container @param {RenderOptions} options */
  constructor(doc, container, options) {
    this.doc = doc;
    this.container = container;
    this.options = options;
    /** @type {Entries} */
    this.entries = [];
    /** @type {RefMap} */
    this.refs = new Map();
    this._refCount = 0;
    /** Finished entries whose text mentioned a reference not (yet) defined. @type {Entry[]} */
    this.waiting = [];
  }

  /** @param {string} tag @param {Record<string, string>} [attrs] */
  el(tag, attrs) {
    const element = this.doc.createElement(tag);
    for (const name in attrs) element.setAttribute(name, attrs[name]);
    return element;
  }

  /** @param {Node} parent @param {Inline[]} nodes @param {boolean} [inLink] */
  inline(parent, nodes, inLink = false) {
    const doc = this.doc;
    for (const n of nodes) {
      if (n.t === "text") parent.appendChild(doc.createTextNode(/** @type {string} */ (n.v)));
      else if (n.t === "soft" || n.t === "br") parent.appendChild(doc.createElement("br"));
      else if (n.t === "code") parent.appendChild(doc.createElement("code")).textContent = /** @type {string} */ (n.v);
      else if (n.t === "a" || n.t === "img") parent.appendChild(this.link(n, inLink));
      else this.inline(parent.appendChild(doc.createElement(n.t)), n.c || [], inLink);
    }
  }

  /** A link, an allowed image, or (an image from an unlisted host) a link to it. @param {Inline} n @param {boolean} inLink */
  link(n, inLink) {
    const href = safeHref(/** @type {string} */ (n.href));
    const children = n.c || [];
    if (n.t === "img") {
      const alt = plain(children);
      if (href != null && imageAllowed(href, this.options.imageHosts)) {
        const img = this.el("img", { src: href, alt, loading: "lazy", referrerpolicy: "no-referrer" });
        if (n.title) img.setAttribute("title", n.title);
        return img;
      }
      if (inLink || href == null) return this.doc.createTextNode(alt || this.options.t("image"));
      const a = this.anchor(href, n.title);
      a.textContent = alt || this.options.t("image");
      return a;
    }
    if (href == null || inLink) {
      const span = this.doc.createElement("span");
      this.inline(span, children, inLink);
      return span;
    }
    const a = this.anchor(href, n.title);
    // Text that reads as another site's address shows where the link really goes.
    if (!n.auto && misleads(plain(children), href)) a.textContent = href;
    else this.inline(a, children, true);
    return a;
  }

  /** @param {string} href @param {string} [title] */
  anchor(href, title) {
    const a = this.el("a", { href, rel: "noopener noreferrer nofollow" });
    if (/^https?:/i.test(href)) a.setAttribute("target", "_blank");
    if (title) a.setAttribute("title", title);
    return a;
  }

  /**
   * Inline markdown as DOM nodes, noting references it could not resolve.
   * `open`: the text is still streaming (see parseInline).
   * @param {string} text @param {Entry} entry @param {boolean} [open] @returns {Node[]}
   */
  _inlineNodes(text, entry, open) {
    const _misses = entry._misses || new Set();
    const frag = this.doc.createDocumentFragment();
    this.inline(frag, parseInline(text, this.refs, _misses, open));
    entry._misses = _misses.size ? _misses : undefined;
    return Array.from(frag.childNodes);
  }

  /** @param {HTMLElement} cell @param {string} text @param {Entry} entry */
  _fillCell(cell, text, entry) {
    for (const n of this._inlineNodes(text, entry)) cell.appendChild(n);
  }

  /** @param {Block} table @param {number} r @param {Entry} entry */
  row(table, r, entry) {
    const tr = this.doc.createElement("tr");
    const align = /** @type {string[]} */ (table.align);
    const cells = r < 0 ? /** @type {string[]} */ (table.head) : /** @type {string[][]} */ (table.rows)[r];
    cells.forEach((text, i) => {
      const cell = tr.appendChild(this.el(r < 0 ? "th" : "td", align[i] ? { align: align[i], dir: "auto" } : AUTO));
      this._fillCell(cell, text, entry);
    });
    return tr;
  }

  /** Fill an entry's inline content (paragraphs, headings). @param {Entry} e @param {Block} b @param {boolean} tight */
  _fillText(e, b, tight) {
    e._misses = undefined;
    e.guess = streaming(b);
    const nodes = this._inlineNodes(b.text, e, e.guess);
    e.text = b.text;
    if (e.el) {
      e.el.textContent = "";
      for (const n of nodes) e.el.appendChild(n);
      e.nodes = [e.el];
    } else {
      // a tight list's paragraph: its inline nodes sit directly in the <li>
      if (!nodes.length) nodes.push(this.doc.createTextNode(""));
      const first = e.nodes[0];
      for (const n of nodes) first ? first.parentNode?.insertBefore(n, first) : null;
      for (const old of e.nodes) old.parentNode?.removeChild(old);
      e.nodes = nodes;
    }
    e.tight = tight;
  }

  /** Build an entry for a block. @param {Block} b @param {boolean} tight @returns {Entry} */
  build(b, tight) {
    /** @type {Entry} */
    const e = { src: b, type: b.type, level: b.level, fenced: b.fenced, checked: b.checked, list: b.list, head: b.head, nodes: [], final: false };
    const doc = this.doc;
    switch (b.type) {
      case "paragraph":
      case "heading":
        if (b.type === "paragraph" && tight) {
          e.guess = streaming(b);
          e.nodes = this._inlineNodes(b.text, e, e.guess);
          if (!e.nodes.length) e.nodes.push(doc.createTextNode(""));
          e.text = b.text;
          e.tight = true;
          return e;
        }
        e.el = this.el(b.type === "heading" ? "h" + Math.min(6, /** @type {number} */ (b.level) + 2) : "p", AUTO);
        this._fillText(e, b, tight);
        break;
      case "hr":
        e.el = doc.createElement("hr");
        break;
      case "refs":
        e.nodes = [doc.createTextNode("")];
        return e;
      case "code": {
        e.code = codeBlock(doc, this.options);
        e.el = e.code.root;
        this._fillCode(e, b);
        break;
      }
      case "table": {
        const table = this.el("table");
        e.el = this.el("div", { class: "table", tabindex: "0", dir: "auto" });
        e.el.appendChild(table);
        table.appendChild(doc.createElement("thead")).appendChild(this.row(b, -1, e));
        e.body = doc.createElement("tbody");
        e._doneRows = 0;
        this._fillRows(e, b);
        break;
      }
      default: {
        // containers: quote, list, item
        const list = b.list;
        if (b.type === "quote") e.el = this.el("blockquote", AUTO);
        else if (b.type === "item") {
          e.el = this.el("li", AUTO);
          if (b.checked != null) {
            e.el.className = "task";
            const box = e.el.appendChild(this.el("input", { type: "checkbox", disabled: "", "aria-label": this.options.t("task") }));
            if (b.checked) box.setAttribute("checked", "");
          }
        } else {
          e.el = this.el(list && !list.bullet ? "ol" : "ul", AUTO);
          if (list && !list.bullet && list.start !== 1) e.el.setAttribute("start", String(list.start));
          e.tight = b.open ? isTight(b) : !!b.tight;
        }
        e.kids = [];
        this.sync(e.el, e.kids, b.children, b.type === "item" ? tight : !!e.tight);
      }
    }
    e.nodes = [/** @type {HTMLElement} */ (e.el)];
    return e;
  }

  /** @param {Entry} e @param {Block} b */
  _fillCode(e, b) {
    const code = /** @type {ReturnType<typeof codeBlock>} */ (e.code);
    const lines = /** @type {string[]} */ (b.lines);
    code.set(lines, b.fork ? Math.min(b._realLines ?? 0, lines.length) : lines.length);
    code.setLang(unescape((b.info || "").split(/[ \t]/)[0]));
  }

  /**
   * Draw the table's rows. A browser lays out every row of a table again
   * when one is added, so while a table streams its rows are added only once
   * their lines are complete, and in a long table in groups of 1/32 of the
   * rows shown: the cost per token then stays flat however long it grows.
   * @param {Entry} e @param {Block} b
   */
  _fillRows(e, b) {
    const body = /** @type {HTMLElement} */ (e.body);
    const done = /** @type {number} */ (e._doneRows);
    const complete = b.fork ? b._realRows || 0 : /** @type {string[][]} */ (b.rows).length;
    if (b.open && complete - done < Math.max(1, done / 32)) return;
    const rows = /** @type {string[][]} */ (b.rows).slice(0, b.open ? complete : undefined);
    for (let r = done; r < rows.length; r++) {
      const tr = this.row(b, r, e);
      const old = body.children[r];
      if (old) body.replaceChild(tr, old);
      else body.appendChild(tr);
    }
    while (body.children.length > rows.length) body.removeChild(/** @type {Element} */ (body.lastChild));
    if (rows.length && !body.parentNode) e.el?.firstChild?.appendChild(body);
    else if (!rows.length && body.parentNode) body.remove();
    e._doneRows = rows.length;
  }

  /** Bring an entry up to date in place; false when it must be rebuilt. @param {Entry} e @param {Block} b @param {boolean} tight */
  update(e, b, tight) {
    // Compare with what the entry was built from: the parser changes an open
    // block in place (a paragraph becomes a setext heading, a table, or definitions).
    const was = e;
    if (was.type !== b.type) return false;
    switch (b.type) {
      case "paragraph":
        if (!!e.tight !== tight) return false;
        if (e.text !== b.text || e.guess !== streaming(b) || this.stale(e)) this._fillText(e, b, tight);
        return true;
      case "heading":
        if (was.level !== b.level) return false;
        if (e.text !== b.text || e.guess !== streaming(b) || this.stale(e)) this._fillText(e, b, tight);
        return true;
      case "code":
        if (was.fenced !== b.fenced) return false;
        this._fillCode(e, b);
        return true;
      case "table":
        if (was.head !== b.head) return false;
        if (this.stale(e)) this.refill(e, b);
        else this._fillRows(e, b);
        return true;
      case "list": {
        const list = /** @type {import("./blocks.js").ListData} */ (b.list);
        const tightNow = b.open ? isTight(b) : !!b.tight;
        if (was.list !== list || tightNow !== e.tight) return false;
        this.sync(/** @type {HTMLElement} */ (e.el), /** @type {Entries} */ (e.kids), b.children, tightNow);
        return true;
      }
      case "item":
        if (was.checked !== b.checked) return false;
        this.sync(/** @type {HTMLElement} */ (e.el), /** @type {Entries} */ (e.kids), b.children, tight);
        return true;
      case "quote":
        this.sync(/** @type {HTMLElement} */ (e.el), /** @type {Entries} */ (e.kids), b.children, false);
        return true;
      default:
        return true;
    }
  }

  /**
   * Make `entries` (drawn in `parent`) match `blocks`. Entries before
   * `entries.done` are finished and skipped without a look.
   * @param {Node} parent @param {Entries} entries @param {Block[]} blocks @param {boolean} tight
   */
  sync(parent, entries, blocks, tight) {
    let done = entries.done || 0;
    for (let i = done; i < blocks.length; i++) {
      const b = blocks[i];
      let e = entries[i];
      if (!e || !this.update(e, b, tight)) {
        const fresh = this.build(b, tight);
        const next = e ? e.nodes[0] : entries[i + 1] ? entries[i + 1].nodes[0] : null;
        for (const n of fresh.nodes) parent.insertBefore(n, next || null);
        if (e) for (const n of e.nodes) n.parentNode?.removeChild(n);
        entries[i] = e = fresh;
      }
      e.src = b;
      const kids = e.kids;
      e.final = !b.open && !b.fork && (!kids || (kids.done || 0) === kids.length);
      if (e.final && i === done) {
        done++;
        if (e._misses) this.waiting.push(e);
      }
    }
    for (const extra of entries.splice(blocks.length)) for (const n of extra.nodes) n.parentNode?.removeChild(n);
    entries.done = done;
  }

  /** Draw `doc` (a parser's document) with `refs`. @param {Block} doc @param {RefMap} refs */
  render(doc, refs) {
    this.refs = refs;
    if (refs.size !== this._refCount) {
      this._refCount = refs.size;
      this._redrawWaiting();
    }
    this.sync(this.container, this.entries, doc.children, false);
  }

  /**
   * The one exception to "finished blocks are never redrawn": a reference
   * definition ("[1]: https://...") that arrives after the text using it.
   */
  _redrawWaiting() {
    const still = [];
    for (const e of this.waiting) {
      if (this.stale(e)) this.refill(e, e.src);
      if (e._misses) still.push(e);
    }
    this.waiting = still;
  }

  /** Did the entry look up a reference that is now defined? @param {Entry} e */
  stale(e) {
    return !!e._misses && [...e._misses].some((key) => this.refs.has(key));
  }

  /** Redraw an entry's inline content from scratch. @param {Entry} e @param {Block} b */
  refill(e, b) {
    if (b.type !== "table") return this._fillText(e, b, !!e.tight);
    e._doneRows = 0;
    e._misses = undefined;
    const head = /** @type {HTMLElement} */ (e.el?.querySelector("thead"));
    head.replaceChild(this.row(b, -1, e), /** @type {Element} */ (head.firstChild));
    this._fillRows(e, b);
  }
}
