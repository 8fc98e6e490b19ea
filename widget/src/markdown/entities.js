// @ts-check
// Character references. The full HTML table has 2,125 names (about 15 KB
// gzipped, more than the whole renderer), so this keeps the ones people and
// models write, those in CommonMark's own examples, and the punctuation names
// that could spell a URL scheme ("javascript&colon;"); any other name stays
// literal text, exactly as the spec treats an unknown name. Numeric
// references are all supported.
const NAMED = Object.fromEntries(
  ("amp & lt < gt > quot \" apos ' nbsp \u00a0 copy © reg ® trade ™ hellip … mdash — ndash – lsquo ‘ rsquo ’ " +
    "ldquo “ rdquo ” laquo « raquo » bull • middot · deg ° plusmn ± times × divide ÷ euro € pound £ yen ¥ cent ¢ " +
    "sect § para ¶ frac12 ½ frac14 ¼ frac34 ¾ auml ä ouml ö uuml ü Auml Ä Ouml Ö Uuml Ü szlig ß eacute é " +
    "egrave è agrave à aacute á iacute í oacute ó uacute ú ntilde ñ ccedil ç AElig Æ Dcaron Ď larr ← rarr → uarr ↑ " +
    "darr ↓ harr ↔ rArr ⇒ le ≤ ge ≥ ne ≠ asymp ≈ infin ∞ micro µ alpha α beta β pi π sum ∑ minus − check ✓ " +
    "colon : semi ; comma , period . excl ! quest ? num # dollar $ percnt % commat @ sol / bsol \\ lpar ( rpar ) " +
    "lsqb [ rsqb ] lcub { rcub } lowbar _ grave ` verbar | equals = plus + ast * Tab \t NewLine \n " +
    "HilbertSpace ℋ DifferentialD ⅆ ClockwiseContourIntegral ∲ ngE ≧̸ shy \u00ad zwj \u200d zwnj \u200c ensp \u2002 emsp \u2003 thinsp \u2009")
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
