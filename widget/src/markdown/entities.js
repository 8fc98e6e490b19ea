// @ts-check
// Character references. The full HTML table has 2,125 names (about 15 KB
// gzipped, more than the whole renderer), so this keeps the few that people
// and models write, those in CommonMark's own examples, and the names that
// could spell a URL scheme ("javascript&colon;"); any other name stays
// literal text, exactly as the spec treats an unknown name. Numeric
// references are all supported (models write UTF-8 anyway).
const NAMED = Object.fromEntries(
  ("amp & lt < gt > quot \" apos ' nbsp \u00a0 copy © reg ® trade ™ hellip … mdash — ndash – lsquo ‘ rsquo ’ " +
    "ldquo “ rdquo ” laquo « raquo » bull • middot · deg ° times × divide ÷ euro € pound £ larr ← rarr → le ≤ ge ≥ " +
    "ne ≠ colon : sol / bsol \\ lpar ( rpar ) Tab \t NewLine \n auml ä ouml ö AElig Æ Dcaron Ď frac34 ¾ " +
    "HilbertSpace ℋ DifferentialD ⅆ ClockwiseContourIntegral ∲ ngE ≧̸")
    .split(" ")
    .reduce((/** @type {[string, string][]} */ pairs, word, i, words) => (i % 2 ? pairs : [...pairs, [word, words[i + 1]]]), []),
);

/** The text of one reference like "&amp;" or "&#x41;", or null for an unknown name. @param {string} ref */
export function decodeEntity(ref) {
  const body = ref.slice(1, -1);
  if (body[0] !== "#") return Object.prototype.hasOwnProperty.call(NAMED, body) ? NAMED[body] : null;
  const code = body[1] === "x" || body[1] === "X" ? parseInt(body.slice(2), 16) : parseInt(body.slice(1), 10);
  return code === 0 || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff) ? "\uFFFD" : String.fromCodePoint(code);
}
