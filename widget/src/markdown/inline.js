// @ts-check
// CommonMark inlines (the spec's delimiter-run and bracket algorithms, as in
// commonmark.js) plus GFM strikethrough and bare-URL autolinks. Output is a
// plain tree of {t, v, c, href, title}; nothing here touches the DOM, and
// raw HTML is never recognised: a "<" that is not an autolink is just text.
import { decodeEntity } from "./entities.js";

/**
 * @typedef {{t: "text"|"soft"|"br"|"code"|"em"|"strong"|"del"|"a"|"img", v?: string, href?: string, title?: string,
 *   c?: Inline[], auto?: boolean}} Inline
 * @typedef {{t: string, v: string, href?: string, title?: string, auto?: boolean, parent: Node|null, first: Node|null,
 *   last: Node|null, prev: Node|null, next: Node|null}} Node
 * @typedef {{cc: string, count: number, orig: number, node: Node, prev: Delim|null, next: Delim|null, open: boolean, close: boolean, at: number}} Delim
 * @typedef {{node: Node, prev: Bracket|null, delim: Delim|null, index: number, image: boolean, active: boolean, after?: boolean}} Bracket
 * @typedef {import("./blocks.js").RefMap} RefMap
 */

const ESCAPABLE = /^[!-/:-@[-`{-~]/;
const ENTITY = /^&(?:#x[a-f0-9]{1,6}|#[0-9]{1,7}|[a-z][a-z0-9]{1,31});/i;
const UNESCAPE = /\\([!-/:-@[-`{-~])|&(?:#x[a-f0-9]{1,6}|#[0-9]{1,7}|[a-z][a-z0-9]{1,31});/gi;
const TEXT = /^[^\n`[\]\\!<&*_~]+/;
const PUNCT = /[\p{P}\p{S}]/u;
const SPACE = /[\s\u00a0]/;
const EMAIL_AUTOLINK = /^<([a-zA-Z0-9.!#$%&'*+/=?^_`{|}~-]+@[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*)>/;
const URI_AUTOLINK = /^<[A-Za-z][A-Za-z0-9.+-]{1,31}:[^<>\x00-\x20]*>/;
const DEST_BRACES = /^<(?:[^<>\n\\\x00]|\\.)*>/;
const TITLE = /^(?:"(?:\\[\s\S]|[^\\"\x00])*"|'(?:\\[\s\S]|[^\\'\x00])*'|\((?:\\[\s\S]|[^\\()\x00])*\))/;
const LABEL = /^\[(?:[^\\[\]]|\\[\s\S]){0,999}\]/;
const SPNL = /^[ \t]*(?:\n[ \t]*)?/;
const LINE_END = /^[ \t]*(?:\n|$)/;
const BARE_URL = /(?:https?:\/\/|www\.)/gi;
const BARE_DOMAIN = /^(?:https?:\/\/|www\.)((?:[\w-]+\.)*[\w-]+)/i;

/** Backslash escapes and references resolved, as in link destinations and titles. @param {string} s */
export const unescape = (s) => s.replace(UNESCAPE, (m, c) => c || decodeEntity(m) || m);

/** A reference label's matching key: case-folded, inner whitespace collapsed. @param {string} label */
export const normalizeLabel = (label) => label.slice(1, -1).trim().replace(/[ \t\r\n]+/g, " ").toLowerCase().toUpperCase();

/** @param {string} t @param {string} [v] @returns {Node} */
const node = (t, v = "") => ({ t, v, parent: null, first: null, last: null, prev: null, next: null });

/** @param {Node} parent @param {Node} child */
function append(parent, child) {
  unlink(child);
  child.parent = parent;
  child.prev = parent.last;
  if (parent.last) parent.last.next = child;
  else parent.first = child;
  parent.last = child;
}

/** @param {Node} child */
function unlink(child) {
  const parent = child.parent;
  if (child.prev) child.prev.next = child.next;
  else if (parent) parent.first = child.next;
  if (child.next) child.next.prev = child.prev;
  else if (parent) parent.last = child.prev;
  child.parent = child.prev = child.next = null;
}

/** @param {Node} after @param {Node} child */
function insertAfter(after, child) {
  unlink(child);
  const parent = /** @type {Node} */ (after.parent);
  child.parent = parent;
  child.prev = after;
  child.next = after.next;
  if (after.next) after.next.prev = child;
  else parent.last = child;
  after.next = child;
}

/** @param {string} c */
const isSpace = (c) => c === undefined || SPACE.test(c);

/**
 * A GFM extended autolink at the start of `s` ("www." or "http(s)://" and a
 * valid domain), trailing punctuation and unbalanced ")" left out; or "".
 * @param {string} s
 */
export function bareUrl(s) {
  let url = /^[^\s<]*/.exec(s)?.[0] || "";
  for (;;) {
    const last = url[url.length - 1];
    if ("?!.,:*_~'\"".includes(last)) url = url.slice(0, -1);
    else if (last === ")" && url.split(")").length > url.split("(").length) url = url.slice(0, -1);
    else if (last === ";" && /&[a-z0-9]+;$/i.test(url)) url = url.replace(/&[a-z0-9]+;$/i, "");
    else break;
  }
  const domain = BARE_DOMAIN.exec(url);
  if (!domain) return "";
  // no underscore in the last two labels of the domain
  const parts = domain[0].replace(/^https?:\/\//i, "").split(".");
  if (parts.slice(-2).some((p) => p.includes("_") || !p)) return "";
  return url;
}

class InlineParser {
  /** @param {string} subject @param {RefMap} refs @param {Set<string>} [_misses] */
  constructor(subject, refs, _misses) {
    this.s = subject;
    this.pos = 0;
    this.refs = refs;
    this._misses = _misses;
    /** @type {Delim|null} */
    this._delims = null;
    /** @type {Bracket|null} */
    this._brackets = null;
    /** Runs that opened emphasis, code or strikethrough and never closed. */
    this._unclosed = "";
    /** @type {{ticks: string, at: number}|null} */
    this._openCode = null;
  }

  /** @param {RegExp} re */
  match(re) {
    const m = re.exec(this.s.slice(this.pos));
    if (!m) return null;
    this.pos += m.index + m[0].length;
    return m[0];
  }

  spnl() {
    this.match(SPNL);
    return true;
  }

  /** @param {Node} block @param {string} v */
  text(block, v) {
    append(block, node("text", v));
  }

  /** @param {Node} block */
  parseInline(block) {
    const c = this.s[this.pos];
    switch (c) {
      case "\n":
        return this.newline(block);
      case "\\":
        this.pos++;
        if (this.s[this.pos] === "\n") {
          this.pos++;
          append(block, node("br"));
          this.match(/^[ \t]*/);
        } else if (ESCAPABLE.test(this.s[this.pos] || "")) this.text(block, this.s[this.pos++]);
        else this.text(block, "\\");
        return;
      case "`":
        return this.backticks(block);
      case "*":
      case "_":
      case "~":
        return this.delim(block, c);
      case "[":
        this.pos++;
        return this._openBracket(block, "[", false);
      case "!":
        this.pos++;
        if (this.s[this.pos] === "[") {
          this.pos++;
          return this._openBracket(block, "![", true);
        }
        return this.text(block, "!");
      case "]":
        return this._closeBracket(block);
      case "<":
        return this.autolink(block);
      case "&": {
        const ref = ENTITY.exec(this.s.slice(this.pos));
        const decoded = ref && decodeEntity(ref[0]);
        this.pos += ref && decoded != null ? ref[0].length : 1;
        return this.text(block, decoded ?? "&");
      }
      default:
        return this._textRun(block);
    }
  }

  /** Plain text, cut where a bare URL starts so it can become a link. @param {Node} block */
  _textRun(block) {
    const run = /** @type {RegExpExecArray} */ (TEXT.exec(this.s.slice(this.pos)))[0];
    BARE_URL.lastIndex = 0;
    let m;
    while ((m = BARE_URL.exec(run))) {
      const before = m.index ? run[m.index - 1] : this.s[this.pos - 1];
      if (!(isSpace(before) || "*_~(".includes(before))) continue;
      if (m.index) {
        this.text(block, run.slice(0, m.index));
        this.pos += m.index;
        return;
      }
      const url = bareUrl(this.s.slice(this.pos));
      if (url) {
        const link = node("a");
        link.href = /^www\./i.test(url) ? "http://" + url : url;
        link.auto = true;
        this.text(link, url);
        append(block, link);
        this.pos += url.length;
        return;
      }
    }
    this.text(block, run);
    this.pos += run.length;
  }

  /** @param {Node} block */
  newline(block) {
    this.pos++;
    const last = block.last;
    if (last && last.t === "text" && last.v.endsWith(" ")) {
      const hard = last.v.endsWith("  ");
      last.v = last.v.replace(/ +$/, "");
      append(block, node(hard ? "br" : "soft"));
    } else append(block, node("soft"));
    this.match(/^[ \t]*/);
  }

  /** @param {Node} block */
  backticks(block) {
    const ticks = /** @type {string} */ (this.match(/^`+/));
    const after = this.pos;
    let m;
    while ((m = this.match(/`+/))) {
      if (m === ticks) {
        let content = this.s.slice(after, this.pos - ticks.length).replace(/\n/g, " ");
        if (content.length > 2 && content[0] === " " && content[content.length - 1] === " " && /[^ ]/.test(content)) {
          content = content.slice(1, -1);
        }
        append(block, node("code", content));
        return;
      }
    }
    this.pos = after;
    if (!this._openCode) this._openCode = { ticks, at: after };
    this.text(block, ticks);
  }

  /** @param {string} c */
  _scanDelims(c) {
    const start = this.pos;
    let count = 0;
    while (this.s[this.pos + count] === c) count++;
    const before = start === 0 ? "\n" : this.s[start - 1];
    const after = this.s[start + count] ?? "\n";
    const afterSpace = isSpace(after);
    const afterPunct = PUNCT.test(after);
    const beforeSpace = isSpace(before);
    const beforePunct = PUNCT.test(before);
    const left = !afterSpace && (!afterPunct || beforeSpace || beforePunct);
    const right = !beforeSpace && (!beforePunct || afterSpace || afterPunct);
    if (c === "_") return { count, open: left && (!right || beforePunct), close: right && (!left || afterPunct) };
    if (c === "~" && count > 2) return { count, open: false, close: false };
    return { count, open: left, close: right };
  }

  /** @param {Node} block @param {string} c */
  delim(block, c) {
    const { count, open, close } = this._scanDelims(c);
    const text = node("text", this.s.slice(this.pos, this.pos + count));
    this.pos += count;
    append(block, text);
    if (!open && !close) return;
    /** @type {Delim} */
    const delim = { cc: c, count, orig: count, node: text, prev: this._delims, next: null, open, close, at: this.pos };
    if (this._delims) this._delims.next = delim;
    this._delims = delim;
  }

  /** @param {Delim} delim */
  _removeDelim(delim) {
    if (delim.prev) delim.prev.next = delim.next;
    if (delim.next) delim.next.prev = delim.prev;
    else this._delims = delim.prev;
  }

  /** The spec's "process emphasis" over the delimiters above `bottom`. @param {Delim|null} bottom */
  emphasis(bottom) {
    /** @type {Record<string, Delim|null>} */
    const bottoms = {};
    let closer = this._delims;
    while (closer && closer.prev !== bottom) closer = closer.prev;
    while (closer) {
      if (!closer.close) {
        closer = closer.next;
        continue;
      }
      const key = closer.cc + (closer.open ? 1 : 0) + (closer.orig % 3);
      const floor = key in bottoms ? bottoms[key] : bottom;
      let opener = closer.prev;
      let found = false;
      while (opener && opener !== bottom && opener !== floor) {
        const odd = (closer.open || opener.close) && closer.orig % 3 !== 0 && (opener.orig + closer.orig) % 3 === 0;
        if (opener.cc === closer.cc && opener.open && (closer.cc === "~" ? opener.count === closer.count : !odd)) {
          found = true;
          break;
        }
        opener = opener.prev;
      }
      const old = closer;
      if (found && opener) {
        const use = closer.cc === "~" ? closer.count : closer.count >= 2 && opener.count >= 2 ? 2 : 1;
        const openNode = opener.node;
        const closeNode = closer.node;
        opener.count -= use;
        closer.count -= use;
        openNode.v = openNode.v.slice(0, openNode.v.length - use);
        closeNode.v = closeNode.v.slice(0, closeNode.v.length - use);
        const wrap = node(closer.cc === "~" ? "del" : use === 1 ? "em" : "strong");
        let tmp = openNode.next;
        while (tmp && tmp !== closeNode) {
          const next = tmp.next;
          append(wrap, tmp);
          tmp = next;
        }
        insertAfter(openNode, wrap);
        // delimiters between opener and closer can no longer match
        if (opener.next !== closer) {
          opener.next = closer;
          closer.prev = opener;
        }
        if (!opener.count) {
          unlink(openNode);
          this._removeDelim(opener);
        }
        if (!closer.count) {
          unlink(closeNode);
          const next = closer.next;
          this._removeDelim(closer);
          closer = next;
        }
      } else {
        closer = closer.next;
        bottoms[key] = old.prev;
        if (!old.open) this._removeDelim(old);
      }
    }
    while (this._delims && this._delims !== bottom) {
      const left = this._delims;
      if (!bottom && left.open && left.count && (!this._openCode || left.at < this._openCode.at)) this._unclosed += left.cc.repeat(left.count);
      this._removeDelim(left);
    }
  }

  /** @param {Node} block @param {string} v @param {boolean} image */
  _openBracket(block, v, image) {
    const text = node("text", v);
    append(block, text);
    /** @type {Bracket} */
    const bracket = { node: text, prev: this._brackets, delim: this._delims, index: this.pos, image, active: true };
    if (this._brackets) this._brackets.after = true;
    this._brackets = bracket;
  }

  destination() {
    const braced = this.match(DEST_BRACES);
    if (braced) return unescape(braced.slice(1, -1));
    if (this.s[this.pos] === "<") return null;
    const start = this.pos;
    const s = this.s;
    let depth = 0;
    let c = 0;
    // Parentheses nest at most 32 deep, as in cmark: deeper is no link, and
    // "[a](" repeated cannot make the search quadratic.
    while (this.pos < s.length && depth <= 32) {
      c = s.charCodeAt(this.pos);
      if (c === 92 && ESCAPABLE.test(s[this.pos + 1] || "")) this.pos += 2;
      else if (c === 40) {
        this.pos++;
        depth++;
      } else if (c === 41) {
        if (depth < 1) break;
        this.pos++;
        depth--;
      } else if (c <= 32 || c === 127) break;
      else this.pos++;
    }
    if ((this.pos === start && c !== 41) || depth) {
      this.pos = start;
      return null;
    }
    return unescape(this.s.slice(start, this.pos));
  }

  title() {
    const title = this.match(TITLE);
    return title == null ? null : unescape(title.slice(1, -1));
  }

  _labelLength() {
    const m = LABEL.exec(this.s.slice(this.pos));
    return m ? m[0].length : 0;
  }

  /** @param {Node} block */
  _closeBracket(block) {
    const start = this.pos;
    this.pos++;
    const opener = this._brackets;
    if (!opener) return this.text(block, "]");
    if (!opener.active) {
      this.text(block, "]");
      this._brackets = opener.prev;
      return;
    }
    /** @type {string|null} */
    let href = null;
    let title = "";
    let matched = false;
    const save = this.pos;
    if (this.s[this.pos] === "(") {
      this.pos++;
      this.spnl();
      if ((href = this.destination()) !== null) {
        this.spnl();
        if (/[ \t\n]/.test(this.s[this.pos - 1])) title = this.title() ?? "";
        this.spnl();
        if (this.s[this.pos] === ")") {
          this.pos++;
          matched = true;
        }
      }
      if (!matched) this.pos = save;
    }
    if (!matched) {
      const before = this.pos;
      const n = this._labelLength();
      let label = "";
      if (n > 2) label = this.s.slice(before, before + n);
      else if (!opener.after) label = this.s.slice(opener.index - 1, start + 1);
      if (n === 0) this.pos = save;
      else this.pos += n;
      const key = label && normalizeLabel(label);
      const ref = key ? this.refs.get(key) : undefined;
      if (ref) {
        href = ref.href;
        title = ref.title;
        matched = true;
      } else {
        if (key && this._misses) this._misses.add(key);
        this.pos = save;
      }
    }
    if (!matched) {
      this._brackets = opener.prev;
      this.pos = start + 1;
      this.text(block, "]");
      return;
    }
    const link = node(opener.image ? "img" : "a");
    link.href = /** @type {string} */ (href);
    link.title = title;
    let tmp = opener.node.next;
    while (tmp) {
      const next = tmp.next;
      append(link, tmp);
      tmp = next;
    }
    append(block, link);
    this.emphasis(opener.delim);
    this._brackets = opener.prev;
    unlink(opener.node);
    if (!opener.image) for (let b = this._brackets; b; b = b.prev) if (!b.image) b.active = false;
  }

  /** @param {Node} block */
  autolink(block) {
    let m = this.match(EMAIL_AUTOLINK);
    const link = node("a");
    if (m) link.href = "mailto:" + m.slice(1, -1);
    else if ((m = this.match(URI_AUTOLINK))) link.href = m.slice(1, -1);
    else {
      this.pos++;
      return this.text(block, "<");
    }
    link.auto = true;
    this.text(link, m.slice(1, -1));
    append(block, link);
  }

  /** @returns {Node} */
  parse() {
    const root = node("root");
    while (this.pos < this.s.length) this.parseInline(root);
    this.emphasis(null);
    return root;
  }
}

/** The text under a node, without recursion (for absurdly deep nesting). @param {Node} root */
function flatText(root) {
  let text = "";
  /** @type {(Node|null)[]} */
  const stack = [root.first];
  while (stack.length) {
    const n = stack.pop();
    if (!n) continue;
    stack.push(n.next);
    if (n.first) stack.push(n.first);
    else text += n.t === "soft" || n.t === "br" ? " " : n.v;
  }
  return text;
}

/** @param {Node} parent @param {number} [depth] @returns {Inline[]} */
function toTree(parent, depth = 0) {
  /** @type {Inline[]} */
  const out = [];
  // Emphasis inside links inside emphasis... 48 levels deep is already
  // unreadable; deeper stays plain text so no stack can overflow drawing it.
  if (depth > 48) return [{ t: "text", v: flatText(parent) }];
  for (let n = parent.first; n; n = n.next) {
    const prev = out[out.length - 1];
    if (n.t === "text") {
      if (!n.v) continue;
      if (prev && prev.t === "text") prev.v += n.v;
      else out.push({ t: "text", v: n.v });
    } else if (n.t === "soft" || n.t === "br") out.push({ t: n.t });
    else if (n.t === "code") out.push({ t: "code", v: n.v });
    else {
      /** @type {Inline} */
      const item = { t: /** @type {Inline["t"]} */ (n.t), c: toTree(n, depth + 1) };
      if (n.href !== undefined) {
        item.href = n.href;
        item.title = n.title || "";
        if (n.auto) item.auto = true;
      }
      out.push(item);
    }
  }
  return out;
}

/**
 * Parse inline markdown. `_misses` collects reference labels that were looked
 * up and not found, so a streaming renderer knows what a later definition
 * changes. With `open` (text still streaming), emphasis, strikethrough and
 * code spans still open at the end are drawn as if closed, so "**wor" shows
 * bold at once instead of flipping from raw to bold when "ld**" arrives.
 * @param {string} text @param {RefMap} [refs] @param {Set<string>} [_misses] @param {boolean} [open] @returns {Inline[]}
 */
export function parseInline(text, refs = new Map(), _misses, open = false) {
  const subject = text.replace(/^[ \t\r\n]+|[ \t\r\n]+$/g, "");
  const parser = new InlineParser(subject, refs, _misses);
  const root = parser.parse();
  const closers = (parser._openCode ? parser._openCode.ticks : "") + parser._unclosed;
  return toTree(open && closers ? new InlineParser(subject + closers, refs, _misses).parse() : root);
}

/**
 * A link reference definition at the start of `text`: stores it in `refs`
 * (the first definition of a label wins) and returns the characters used, or 0.
 * @param {string} text @param {RefMap} refs
 */
export function parseReference(text, refs) {
  const p = new InlineParser(text, refs);
  const n = p._labelLength();
  if (!n) return 0;
  const label = text.slice(0, n);
  p.pos = n;
  if (text[p.pos] !== ":") return 0;
  p.pos++;
  p.spnl();
  const href = p.destination();
  if (href === null) return 0;
  const beforeTitle = p.pos;
  p.spnl();
  let title = p.pos !== beforeTitle ? p.title() : null;
  if (title === null) {
    title = "";
    p.pos = beforeTitle;
  }
  let atEnd = p.match(LINE_END) !== null;
  if (!atEnd && title !== "") {
    title = "";
    p.pos = beforeTitle;
    atEnd = p.match(LINE_END) !== null;
  }
  const key = normalizeLabel(label);
  if (!atEnd || !key) return 0;
  if (!refs.has(key)) refs.set(key, { href, title });
  return p.pos;
}
