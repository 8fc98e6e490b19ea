// @ts-check
// CommonMark's block structure, line by line (the spec's appendix algorithm,
// as in commonmark.js), plus GFM tables. It is fed complete lines as they
// stream in and never looks back: a block it has closed stays closed, which
// is what lets the renderer freeze finished blocks. `fork()` copies only the
// open path, so the unfinished last line can be shown without committing it.
import { parseReference } from "./inline.js";

/**
 * @typedef {"document"|"quote"|"list"|"item"|"paragraph"|"heading"|"hr"|"code"|"table"|"refs"} BlockType
 * @typedef {{bullet: boolean, char: string, start: number, padding: number, offset: number, task?: boolean|null}} ListData
 * @typedef {{
 *   type: BlockType, parent: Block|null, children: Block[], open: boolean, fork?: boolean,
 *   start: number, end: number, text: string, depth?: number, lines?: string[], _realLines?: number, level?: number, list?: ListData, tight?: boolean,
 *   fenced?: boolean, fence?: string, _fenceOffset?: number, info?: string|null,
 *   align?: string[], head?: string[], rows?: string[][], _realRows?: number, checked?: boolean|null
 * }} Block
 * @typedef {Map<string, {href: string, title: string}>} RefMap
 */

const ATX = /^#{1,6}(?:[ \t]+|$)/;
const FENCE = /^`{3,}(?!.*`)|^~{3,}/;
const CLOSE_FENCE = /^(?:`{3,}|~{3,})(?=[ \t]*$)/;
const SETEXT = /^(?:=+|-+)[ \t]*$/;
const RULE = /^(?:\*[ \t]*){3,}$|^(?:_[ \t]*){3,}$|^(?:-[ \t]*){3,}$/;
const BULLET = /^[*+-]/;
const ORDERED = /^(\d{1,9})([.)])/;
const MAYBE_SPECIAL = /^[#`~*+_=>0-9|:-]/;
const TASK = /^\[([ xX])\](?=[ \t])/;
// Deeper containers than this stay text: nothing readable nests further, and
// the DOM (and the stack that builds it) should not have to.
const MAX_DEPTH = 32;
const DELIMITER_ROW = /^\|?[ \t]*:?-+:?[ \t]*(?:\|[ \t]*:?-+:?[ \t]*)*\|?[ \t]*$/;

/** @param {string} c */
const spaceOrTab = (c) => c === " " || c === "\t";

/** @param {BlockType} type @param {number} line @returns {Block} */
const block = (type, line) => ({ type, parent: null, children: [], open: true, start: line, end: line, text: "" });

/** Split a table row into cells on unescaped pipes (a `\|` stays, as a pipe). @param {string} line */
export function splitRow(line) {
  let s = line.trim();
  if (s[0] === "|") s = s.slice(1);
  if (s.endsWith("|") && !s.endsWith("\\|")) s = s.slice(0, -1);
  const cells = [];
  let cell = "";
  for (let i = 0; i < s.length; i++) {
    if (s[i] === "\\" && s[i + 1] === "|") {
      cell += "|";
      i++;
    } else if (s[i] === "|") {
      cells.push(cell.trim());
      cell = "";
    } else cell += s[i];
  }
  cells.push(cell.trim());
  return cells;
}

/** @param {string} type @param {string} child */
const canContain = (type, child) =>
  type === "document" || type === "quote" || type === "item" ? child !== "item" : type === "list" && child === "item";

export class BlockParser {
  /** @param {RefMap} refs link reference definitions, shared with the inline parser */
  constructor(refs) {
    this.refs = refs;
    /** @type {Block} */
    this.doc = block("document", 0);
    this.tip = this.doc;
    this._oldtip = this.doc;
    this.line = "";
    this._lineNumber = 0;
    this.offset = 0;
    this.column = 0;
    this._nextNonspace = 0;
    this._nextNonspaceColumn = 0;
    this.indent = 0;
    this._indented = false;
    this.blank = false;
    this._partialTab = false;
    this._allClosed = true;
    /** @type {Block} */
    this._lastMatched = this.doc;
  }

  /** A parser sharing every closed block with this one, with its own copy of the open path. */
  fork() {
    const copy = Object.assign(Object.create(BlockParser.prototype), this);
    /** @type {Map<Block, Block>} */
    const map = new Map();
    /** @param {Block} node @param {Block|null} parent @returns {Block} */
    const clone = (node, parent) => {
      const twin = { ...node, parent, fork: true, children: node.children.slice() };
      if (node.rows) {
        twin.rows = node.rows.slice();
        twin._realRows = node.rows.length;
      }
      if (node.lines) {
        twin.lines = node.lines.slice();
        twin._realLines = node.lines.length;
      }
      map.set(node, twin);
      const last = node.children.length - 1;
      if (last >= 0 && node.children[last].open) twin.children[last] = clone(node.children[last], twin);
      return twin;
    };
    copy.doc = clone(this.doc, null);
    copy.tip = map.get(this.tip) || copy.doc;
    copy._oldtip = map.get(this._oldtip) || copy.tip;
    copy._lastMatched = map.get(this._lastMatched) || copy.doc;
    copy.refs = new Map(this.refs);
    return copy;
  }

  _findNextNonspace() {
    const line = this.line;
    let i = this.offset;
    let cols = this.column;
    let c;
    while ((c = line[i]) === " " || c === "\t") {
      cols += c === " " ? 1 : 4 - (cols % 4);
      i++;
    }
    this.blank = c === undefined;
    this._nextNonspace = i;
    this._nextNonspaceColumn = cols;
    this.indent = cols - this.column;
    this._indented = this.indent >= 4;
  }

  _advanceNextNonspace() {
    this.offset = this._nextNonspace;
    this.column = this._nextNonspaceColumn;
    this._partialTab = false;
  }

  /** Advance by `count` characters, or by `count` columns (tabs count as up to 4). @param {number} count @param {boolean} [columns] */
  _advanceOffset(count, columns) {
    const line = this.line;
    let c;
    while (count > 0 && (c = line[this.offset]) !== undefined) {
      if (c === "\t") {
        const toTab = 4 - (this.column % 4);
        if (columns) {
          this._partialTab = toTab > count;
          const step = toTab > count ? count : toTab;
          this.column += step;
          this.offset += this._partialTab ? 0 : 1;
          count -= step;
        } else {
          this._partialTab = false;
          this.column += toTab;
          this.offset++;
          count--;
        }
      } else {
        this._partialTab = false;
        this.offset++;
        this.column++;
        count--;
      }
    }
  }

  /** @param {BlockType} type @returns {Block} */
  _addChild(type) {
    while (!canContain(this.tip.type, type)) this.finalize(this.tip);
    const child = block(type, this._lineNumber);
    if (type === "code") child.lines = [];
    child.parent = this.tip;
    child.depth = (this.tip.depth || 0) + 1;
    this.tip.children.push(child);
    this.tip = child;
    return child;
  }

  _closeUnmatched() {
    if (!this._allClosed) {
      while (this._oldtip !== this._lastMatched) {
        const parent = /** @type {Block} */ (this._oldtip.parent);
        this.finalize(this._oldtip);
        this._oldtip = parent;
      }
      this._allClosed = true;
    }
  }

  _addLine() {
    const tip = this.tip;
    let text = this.line.slice(this.offset);
    if (this._partialTab) {
      this.offset++;
      text = " ".repeat(4 - (this.column % 4)) + text;
    }
    if (tip.type === "table") {
      const cells = splitRow(text);
      /** @type {string[][]} */ (tip.rows).push((/** @type {string[]} */ (tip.head)).map((_, i) => cells[i] || ""));
    } else if (tip.type === "code" && tip.fenced && tip.info == null) {
      tip.info = text.trim(); // the opening fence's info string
      return;
    } else if (tip.type === "code") {
      // code keeps its lines apart: a growing fence never rebuilds one long string
      /** @type {string[]} */ (tip.lines).push(text);
    } else tip.text += text + "\n";
    if (!this.blank || tip.type === "code") tip.end = this._lineNumber;
  }

  /**
   * Does the open container `node` continue on this line? 0: yes, 1: no,
   * 2: yes and the line is used up (a closing fence).
   * @param {Block} node
   */
  continues(node) {
    const line = this.line;
    switch (node.type) {
      case "quote":
        if (this._indented || line[this._nextNonspace] !== ">") return 1;
        this._advanceNextNonspace();
        this._advanceOffset(1);
        if (spaceOrTab(line[this.offset])) this._advanceOffset(1, true);
        node.end = this._lineNumber; // a ">" line belongs to the quote even when blank inside it
        return 0;
      case "item": {
        const list = /** @type {ListData} */ (node.list);
        if (this.blank) {
          if (!node.children.length) return 1;
          this._advanceNextNonspace();
        } else if (this.indent >= list.offset + list.padding) this._advanceOffset(list.offset + list.padding, true);
        else return 1;
        return 0;
      }
      case "code":
        if (node.fenced) {
          const match = this.indent <= 3 && line[this._nextNonspace] === node.fence?.[0] && CLOSE_FENCE.exec(line.slice(this._nextNonspace));
          if (match && match[0].length >= /** @type {string} */ (node.fence).length) {
            node.end = this._lineNumber;
            this.finalize(node);
            return 2;
          }
          for (let i = /** @type {number} */ (node._fenceOffset); i > 0 && spaceOrTab(line[this.offset]); i--) this._advanceOffset(1, true);
          return 0;
        }
        if (this.indent >= 4) this._advanceOffset(4, true);
        else if (this.blank) this._advanceNextNonspace();
        else return 1;
        return 0;
      case "paragraph":
      case "table":
        return this.blank ? 1 : 0;
      case "heading":
      case "hr":
        return 1;
      default:
        return 0;
    }
  }

  /** @param {Block} container @returns {import("./blocks.js").ListData|null} */
  listMarker(container) {
    const rest = this.line.slice(this._nextNonspace);
    if (this.indent >= 4) return null;
    /** @type {ListData} */
    const data = { bullet: true, char: "", start: 1, padding: 0, offset: this.indent };
    let match = BULLET.exec(rest);
    if (match) data.char = match[0];
    else if ((match = ORDERED.exec(rest)) && (container.type !== "paragraph" || match[1] === "1")) {
      data.bullet = false;
      data.start = parseInt(match[1], 10);
      data.char = match[2];
    } else return null;
    const after = this.line[this._nextNonspace + match[0].length];
    if (!(after === undefined || spaceOrTab(after))) return null;
    if (container.type === "paragraph" && !/[^ \t]/.test(this.line.slice(this._nextNonspace + match[0].length))) return null;
    this._advanceNextNonspace();
    this._advanceOffset(match[0].length, true);
    const startColumn = this.column;
    const startOffset = this.offset;
    do this._advanceOffset(1, true);
    while (this.column - startColumn < 5 && spaceOrTab(this.line[this.offset]));
    const spaces = this.column - startColumn;
    if (spaces >= 5 || spaces < 1 || this.line[this.offset] === undefined) {
      data.padding = match[0].length + 1;
      this.column = startColumn;
      this.offset = startOffset;
      if (spaceOrTab(this.line[this.offset])) this._advanceOffset(1, true);
    } else data.padding = match[0].length + spaces;
    return data;
  }

  /**
   * Try each block start at the current position. 0: none, 1: a container
   * started (keep looking), 2: a leaf started.
   * @param {Block} container
   */
  blockStart(container) {
    const line = this.line;
    const rest = line.slice(this._nextNonspace);
    const first = rest[0];
    const deep = (container.depth || 0) >= MAX_DEPTH;
    if (!this._indented) {
      if (first === ">" && !deep) {
        this._advanceNextNonspace();
        this._advanceOffset(1);
        if (spaceOrTab(line[this.offset])) this._advanceOffset(1, true);
        this._closeUnmatched();
        this._addChild("quote");
        return 1;
      }
      let match;
      if ((match = ATX.exec(rest))) {
        this._advanceNextNonspace();
        this._advanceOffset(match[0].length);
        this._closeUnmatched();
        const heading = this._addChild("heading");
        heading.level = match[0].trim().length;
        heading.text = line.slice(this.offset).replace(/^[ \t]*#+[ \t]*$/, "").replace(/[ \t]+#+[ \t]*$/, "");
        this._advanceOffset(line.length - this.offset);
        return 2;
      }
      if ((match = FENCE.exec(rest))) {
        const indent = this.indent;
        this._closeUnmatched();
        const code = this._addChild("code");
        code.fenced = true;
        code.fence = match[0];
        code._fenceOffset = indent;
        code.info = null;
        this._advanceNextNonspace();
        this._advanceOffset(match[0].length);
        return 2;
      }
      if (container.type === "paragraph" && SETEXT.test(rest)) {
        this._closeUnmatched();
        this._takeReferences(container);
        if (container.text) {
          container.type = "heading";
          container.level = first === "=" ? 1 : 2;
          container.text = container.text.replace(/\s+$/, "");
          container.end = this._lineNumber;
          this._advanceOffset(line.length - this.offset);
          return 2;
        }
      }
      if (container.type === "paragraph" && DELIMITER_ROW.test(rest) && this._startTable(container, rest)) return 2;
      if (RULE.test(rest)) {
        this._closeUnmatched();
        this._addChild("hr");
        this._advanceOffset(line.length - this.offset);
        return 2;
      }
    }
    if ((!this._indented || container.type === "list") && !deep) {
      const data = this.listMarker(container);
      if (data) {
        this._closeUnmatched();
        const tip = this.tip;
        const list = tip.list;
        if (tip.type !== "list" || !list || list.bullet !== data.bullet || list.char !== data.char) {
          this._addChild("list").list = data;
        }
        const item = this._addChild("item");
        item.list = data;
        // A GFM task item: "[ ]" or "[x]" right after the marker.
        const task = TASK.exec(line.slice(this.offset));
        if (task) {
          item.checked = task[1] !== " ";
          this._advanceOffset(3);
          if (spaceOrTab(line[this.offset])) this._advanceOffset(1, true);
        }
        return 1;
      }
    }
    if (this._indented && this.tip.type !== "paragraph" && !this.blank) {
      this._advanceOffset(4, true);
      this._closeUnmatched();
      this._addChild("code");
      return 2;
    }
    return 0;
  }

  /**
   * A GFM table: the paragraph's last line is the header row and this line
   * the delimiter row, with as many cells.
   * @param {Block} paragraph @param {string} rest
   */
  _startTable(paragraph, rest) {
    const lines = paragraph.text.replace(/\n$/, "").split("\n");
    const header = lines[lines.length - 1];
    const head = splitRow(header);
    const align = splitRow(rest).map((cell) => {
      const left = cell[0] === ":";
      const right = cell.endsWith(":");
      return left && right ? "center" : right ? "right" : left ? "left" : "";
    });
    if (head.length !== align.length || !(header.includes("|") || rest.includes("|"))) return false;
    this._closeUnmatched();
    paragraph.text = lines.slice(0, -1).map((l) => l + "\n").join("");
    this._takeReferences(paragraph);
    const parent = /** @type {Block} */ (paragraph.parent);
    if (paragraph.text) {
      paragraph.end = this._lineNumber - 2;
      this.finalize(paragraph);
    } else {
      parent.children.pop();
      this.tip = parent;
    }
    const table = this._addChild("table");
    table.start = this._lineNumber - 1;
    table.head = head;
    table.align = align;
    table.rows = [];
    this._advanceOffset(this.line.length - this.offset);
    return true;
  }

  /** Move leading link reference definitions out of a paragraph into the map. @param {Block} paragraph */
  _takeReferences(paragraph) {
    let text = paragraph.text;
    while (text[0] === "[") {
      const used = parseReference(text, this.refs);
      if (!used) break;
      text = text.slice(used);
    }
    paragraph.text = text;
  }

  /** @param {Block} node */
  finalize(node) {
    const parent = node.parent;
    node.open = false;
    if (node.type === "paragraph") {
      this._takeReferences(node);
      // Only definitions: it draws nothing, but still counts as a block for list looseness.
      if (!node.text.trim()) node.type = "refs";
    } else if (node.type === "code" && !node.fenced) {
      const lines = /** @type {string[]} */ (node.lines);
      while (lines.length && !/[^ \t]/.test(lines[lines.length - 1])) lines.pop();
      node.end = node.start + lines.length - 1;
    } else if (node.type === "list") {
      node.tight = isTight(node);
    }
    const last = node.children[node.children.length - 1];
    if (last && last.end > node.end) node.end = last.end;
    if (parent && node.end > parent.end) parent.end = node.end;
    this.tip = parent || this.doc;
  }

  /** Feed one line (without its line ending). @param {string} text */
  _addLineText(text) {
    this._lineNumber++;
    this.line = text.includes("\0") ? text.replace(/\0/g, "\uFFFD") : text;
    this.offset = 0;
    this.column = 0;
    this.blank = false;
    this._partialTab = false;
    this._oldtip = this.tip;
    let container = this.doc;
    let last;
    while ((last = container.children[container.children.length - 1]) && last.open) {
      container = last;
      this._findNextNonspace();
      const result = this.continues(container);
      if (result === 1) {
        container = /** @type {Block} */ (container.parent);
        break;
      }
      if (result === 2) return;
    }
    this._allClosed = container === this._oldtip;
    this._lastMatched = container;
    let leaf = container.type === "code";
    while (!leaf) {
      this._findNextNonspace();
      if (!this._indented && !MAYBE_SPECIAL.test(this.line.slice(this._nextNonspace))) {
        this._advanceNextNonspace();
        break;
      }
      const started = this.blockStart(container);
      if (!started) {
        this._advanceNextNonspace();
        break;
      }
      container = this.tip;
      if (started === 2) leaf = true;
    }
    if (!this._allClosed && !this.blank && this.tip.type === "paragraph") {
      this._addLine(); // a lazy continuation line
      return;
    }
    this._closeUnmatched();
    const type = container.type;
    if (type === "code" || type === "paragraph") {
      this._addLine();
    } else if (type === "table") {
      if (this.offset < this.line.length && !this.blank) this._addLine();
    } else if (this.offset < this.line.length && !this.blank && type !== "heading" && type !== "hr") {
      this._addChild("paragraph");
      this._advanceNextNonspace();
      this._addLine();
    }
  }

  /** Close every open block: the text is complete. */
  finish() {
    while (this.tip !== this.doc) this.finalize(this.tip);
    this.finalize(this.doc);
    return this.doc;
  }
}

/**
 * A list is loose when items, or two blocks directly inside an item, are
 * separated by a blank line (the spec's definition, read off line numbers).
 * @param {Block} list
 */
export function isTight(list) {
  const items = list.children;
  for (let i = 0; i < items.length; i++) {
    const item = items[i];
    if (i + 1 < items.length && items[i + 1].start > lastLine(item) + 1) return false;
    const kids = item.children;
    for (let k = 0; k + 1 < kids.length; k++) if (kids[k + 1].start > lastLine(kids[k]) + 1) return false;
  }
  return true;
}

/** @param {Block} node @returns {number} */
function lastLine(node) {
  const last = node.children[node.children.length - 1];
  return last ? Math.max(node.end, lastLine(last)) : node.end;
}
