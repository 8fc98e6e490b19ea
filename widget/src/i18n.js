// @ts-check
// The visitor's language, t(), and the few English strings the launcher shows
// before the conversation UI loads (the rest are in strings.js, in the chunk):
// what every page pays at load stays small.

/** @typedef {(key: string, vars?: Record<string, unknown>) => string} Translate */

export const LAUNCHER_EN = {
  open: "Open chat",
  greeting: "Hi! How can I help you today?",
  retry: "Retry",
  unread: "{count} new",
  dismiss: "Dismiss",
  loadFailed: "The chat could not load. Check your connection and retry.",
};

/** Languages with a table: English here, the others as JSON from the BFF. */
export const LANGUAGES = ["en", "es", "de", "ar"];
const RTL = ["ar", "he", "fa", "ur"];

/**
 * The first supported language among tags like "es-MX"; English otherwise.
 * @param {...(string | undefined)} tags
 */
export function languageFor(...tags) {
  for (const tag of tags) {
    const base = String(tag || "").toLowerCase().split("-")[0];
    if (LANGUAGES.includes(base)) return base;
  }
  return "en";
}

/** @param {string} lang */
export const isRtl = (lang) => RTL.includes(lang);

/**
 * t(key, {name: value}) over a table, falling back to English per key.
 * @param {Record<string, string>} table
 * @param {Record<string, string>} english
 * @returns {Translate}
 */
export function formatter(table, english) {
  return (key, vars) => {
    let text = table[key] || english[key] || key;
    if (vars) for (const name in vars) text = text.split("{" + name + "}").join(String(vars[name]));
    return text;
  };
}
