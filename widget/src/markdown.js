// Safe, incremental markdown: text -> block tree -> DOM nodes.
// Model text never becomes HTML: every character lands in a text node, and
// links keep only http(s), mailto, tel and same-site paths. While a reply
// streams, finished blocks are frozen and only the open tail is redrawn;
// unclosed emphasis renders as if closed so nothing flickers between raw
// and rendered, and an open code fence keeps one stable <pre>.

const FENCE = /^ {0,3}(`{3,}|~{3,})\s*([\w+#.-]*)[^\n]*$/;
const HEADING = /^ {0,3}(#{1,6})[ \t]+(.*?)[ \t#]*$/;
const RULE = /^ {0,3}([-*_])( *\1){2,} *$/;
const ITEM = /^ {0,3}([-*+]|(\d{1,9})[.)])[ \t]+(.*)$/;
const QUOTE = /^ {0,3}> ?(.*)$/;
const SAFE_SCHEME = /^(https?:|mailto:|tel:)/i;
const BARE_URL = /^https?:\/\/[^\s<>"'`]*[^\s<>"'`.,;:!?)\]]/;
const PUNCT = /[!-/:-@[-`{-~]/;

/** The href a link may have, or null: http(s), mailto, tel or a same-site path. */
export function safeHref(url) {
  const href = String(url).trim();
  if (!href || /[\u0000-\u0020\\<>"]/.test(href)) return null;
  if (href[0] === "/" && href[1] !== "/") return href;
  if (href[0] === "#") return href;
  return SAFE_SCHEME.test(href) ? href : null;
}

function splitLines(text) {
  const out = [];
  let start = 0;
  for (;;) {
    const end = text.indexOf("\n", start);
    if (end === -1) {
      if (start < text.length) out.push({ text: text.slice(start), end: text.length, closed: false });
      return out;
    }
    out.push({ text: text.slice(start, end), end: end + 1, closed: true });
    start = end + 1;
  }
}

/**
 * Parse text into blocks. Returns {blocks, done, doneLength}: the first
 * `done` blocks are finished (later text cannot change them) and end at
 * `doneLength`. With final=true every block is finished.
 */
export function parseBlocks(text, final = false) {
  const lines = splitLines(text);
  const blocks = [];
  let done = 0;
  let doneLength = 0;
  let i = 0;
  const blank = (k) => k < lines.length && lines[k].text.trim() === "" && lines[k].closed;
  const finish = (block, endIndex, closedBy) => {
    blocks.push(block);
    if (final || closedBy) {
      if (done === blocks.length - 1) {
        done = blocks.length;
        doneLength = endIndex;
      }
    }
  };

  while (i < lines.length) {
    const line = lines[i];
    if (line.text.trim() === "") {
      if (line.closed && done === blocks.length) doneLength = line.end;
      i++;
      continue;
    }
    const fence = FENCE.exec(line.text);
    if (fence && (line.closed || final)) {
      const marker = fence[1];
      const body = [];
      let k = i + 1;
      let closed = false;
      for (; k < lines.length; k++) {
        const t = lines[k].text;
        if (t.trim().startsWith(marker[0].repeat(marker.length)) && t.trim().replace(/[`~]/g, "") === "" && (lines[k].closed || final)) {
          closed = true;
          break;
        }
        body.push(t);
      }
      const end = closed ? lines[k].end : text.length;
      finish({ type: "code", lang: fence[2], text: body.join("\n"), open: !closed && !final }, end, closed && lines[k].closed);
      i = closed ? k + 1 : lines.length;
      continue;
    }
    const heading = HEADING.exec(line.text);
    if (heading) {
      finish({ type: "h", level: heading[1].length, text: heading[2] }, line.end, line.closed);
      i++;
      continue;
    }
    if (RULE.test(line.text) && (line.closed || final)) {
      finish({ type: "hr" }, line.end, line.closed);
      i++;
      continue;
    }
    let k = i;
    const item = ITEM.exec(line.text);
    if (item) {
      const ordered = item[2] !== undefined;
      const block = { type: ordered ? "ol" : "ul", start: ordered ? parseInt(item[2], 10) : 1, items: [] };
      for (; k < lines.length && lines[k].text.trim() !== ""; k++) {
        const next = ITEM.exec(lines[k].text);
        if (next && (next[2] !== undefined) === ordered) block.items.push(next[3]);
        else if (next || FENCE.test(lines[k].text) || HEADING.test(lines[k].text)) break;
        else block.items[block.items.length - 1] += "\n" + lines[k].text.trim();
      }
      finish(block, lines[k - 1].end, blank(k) || (k < lines.length && lines[k - 1].closed && lines[k].closed));
      i = k;
      continue;
    }
    const quote = QUOTE.exec(line.text);
    const parts = [];
    for (; k < lines.length && lines[k].text.trim() !== ""; k++) {
      const t = lines[k].text;
      if (k > i && (FENCE.test(t) || HEADING.test(t) || ITEM.test(t) || !!QUOTE.exec(t) !== !!quote)) break;
      parts.push(quote ? QUOTE.exec(t)[1] : t);
    }
    const interrupted = k < lines.length && lines[k].text.trim() !== "";
    finish({ type: quote ? "quote" : "p", text: parts.join("\n") }, lines[k - 1].end, blank(k) || interrupted);
    i = k;
  }
  return { blocks, done, doneLength };
}

function findClosing(s, marker, from) {
  for (let i = from; i < s.length; i++) {
    if (s[i] === "\\") i++;
    else if (s.startsWith(marker, i) && s[i - 1] !== " ") {
      if (marker.length === 1 && s[i + 1] === marker) { i++; continue; }
      return i;
    }
  }
  return -1;
}

/**
 * Parse inline markdown into nodes: {t: "text"|"strong"|"em"|"code"|"a"|"br"}.
 * With open=true (the streaming tail), markers still unclosed at the end are
 * treated as closed, so the text does not flip between raw and rendered.
 */
export function parseInline(s, open = false) {
  const nodes = [];
  let buffer = "";
  const flush = () => {
    if (buffer) nodes.push({ t: "text", v: buffer });
    buffer = "";
  };
  let i = 0;
  while (i < s.length) {
    const c = s[i];
    if (c === "\\" && PUNCT.test(s[i + 1] || "")) {
      buffer += s[i + 1];
      i += 2;
      continue;
    }
    if (c === "\n") {
      flush();
      nodes.push({ t: "br" });
      i++;
      continue;
    }
    if (c === "`") {
      const end = s.indexOf("`", i + 1);
      if (end !== -1 || open) {
        flush();
        nodes.push({ t: "code", v: s.slice(i + 1, end === -1 ? s.length : end) });
        i = end === -1 ? s.length : end + 1;
        continue;
      }
    }
    const double = s.startsWith("**", i) || s.startsWith("__", i);
    if (double && s[i + 2] && s[i + 2] !== " ") {
      const marker = s.slice(i, i + 2);
      const end = findClosing(s, marker, i + 3);
      if (end !== -1 || open) {
        flush();
        nodes.push({ t: "strong", c: parseInline(s.slice(i + 2, end === -1 ? s.length : end), open && end === -1) });
        i = end === -1 ? s.length : end + 2;
        continue;
      }
    }
    if ((c === "*" || c === "_") && !double && s[i + 1] && s[i + 1] !== " " && !(c === "_" && /\w/.test(s[i - 1] || ""))) {
      const end = findClosing(s, c, i + 2);
      if ((end !== -1 && !(c === "_" && /\w/.test(s[end + 1] || ""))) || (open && end === -1)) {
        flush();
        nodes.push({ t: "em", c: parseInline(s.slice(i + 1, end === -1 ? s.length : end), open && end === -1) });
        i = end === -1 ? s.length : end + 1;
        continue;
      }
    }
    if (c === "[" || (c === "!" && s[i + 1] === "[")) {
      const image = c === "!";
      const labelStart = i + (image ? 2 : 1);
      const labelEnd = s.indexOf("]", labelStart);
      if (labelEnd !== -1 && s[labelEnd + 1] === "(") {
        const urlEnd = s.indexOf(")", labelEnd + 2);
        const label = s.slice(labelStart, labelEnd);
        if (urlEnd !== -1 || open) {
          flush();
          const href = urlEnd === -1 ? null : safeHref(s.slice(labelEnd + 2, urlEnd).split(/\s+/)[0]);
          // Images are shown as links to them: no remote fetches from model text.
          const content = parseInline(label || (image ? "image" : ""), false);
          nodes.push(href ? { t: "a", href, c: content } : { t: "span", c: content });
          i = urlEnd === -1 ? s.length : urlEnd + 1;
          continue;
        }
      }
    }
    if (c === "h" && !/\w/.test(s[i - 1] || "")) {
      const match = BARE_URL.exec(s.slice(i, i + 2048));
      if (match) {
        flush();
        nodes.push({ t: "a", href: match[0], c: [{ t: "text", v: match[0] }] });
        i += match[0].length;
        continue;
      }
    }
    buffer += c;
    i++;
  }
  flush();
  return nodes;
}

function inlineInto(doc, parent, nodes) {
  for (const node of nodes) {
    if (node.t === "text") parent.appendChild(doc.createTextNode(node.v));
    else if (node.t === "br") parent.appendChild(doc.createElement("br"));
    else if (node.t === "code") {
      const code = doc.createElement("code");
      code.textContent = node.v;
      parent.appendChild(code);
    } else {
      const tag = node.t === "a" ? "a" : node.t === "span" ? "span" : node.t;
      const element = doc.createElement(tag);
      if (node.t === "a") {
        element.setAttribute("href", node.href);
        element.setAttribute("rel", "noopener noreferrer nofollow");
        if (/^https?:/i.test(node.href)) element.setAttribute("target", "_blank");
      }
      inlineInto(doc, element, node.c);
      parent.appendChild(element);
    }
  }
}

/** One block as a DOM element. */
export function renderBlock(doc, block, open = false) {
  let element;
  if (block.type === "code") {
    element = doc.createElement("pre");
    element.setAttribute("tabindex", "0"); // it may scroll sideways: keyboard users must reach it
    const code = doc.createElement("code");
    if (block.lang) code.setAttribute("data-lang", block.lang);
    code.textContent = block.text;
    element.appendChild(code);
  } else if (block.type === "h") {
    element = doc.createElement("h" + Math.min(6, block.level + 2));
    inlineInto(doc, element, parseInline(block.text, open));
  } else if (block.type === "hr") {
    element = doc.createElement("hr");
  } else if (block.type === "ul" || block.type === "ol") {
    element = doc.createElement(block.type);
    if (block.type === "ol" && block.start !== 1) element.setAttribute("start", String(block.start));
    block.items.forEach((item, index) => {
      const li = doc.createElement("li");
      inlineInto(doc, li, parseInline(item, open && index === block.items.length - 1));
      element.appendChild(li);
    });
  } else {
    element = doc.createElement(block.type === "quote" ? "blockquote" : "p");
    inlineInto(doc, element, parseInline(block.text, open));
  }
  return element;
}

/**
 * Render a growing text into `container`: append(chunk) while streaming,
 * finish() at the end. Finished blocks are appended once and never touched.
 */
export function createRenderer(doc, container) {
  let text = "";
  let frozen = 0;
  let tail = [];
  let tailCode = null;

  function update(final) {
    const { blocks, done, doneLength } = parseBlocks(text.slice(frozen), final);
    const open = blocks.slice(done);
    // An open code fence keeps its <pre>: only its text grows.
    if (!final && done === 0 && open.length === 1 && open[0].type === "code" && tailCode) {
      tailCode.firstChild.textContent = open[0].text;
      return;
    }
    for (const element of tail) element.remove();
    tail = [];
    tailCode = null;
    for (const block of blocks.slice(0, done)) container.appendChild(renderBlock(doc, block));
    frozen += doneLength;
    for (const block of open) {
      const element = renderBlock(doc, block, true);
      container.appendChild(element);
      tail.push(element);
      if (block.type === "code" && open.length === 1) tailCode = element;
    }
  }

  return {
    append(chunk) {
      text += chunk;
    },
    render: () => update(false),
    finish: () => update(true),
    get text() {
      return text;
    },
  };
}
