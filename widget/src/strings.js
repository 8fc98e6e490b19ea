// @ts-check
// Every visible string. English is built into the bundle; the other
// languages (translations.js) are served by the BFF as /static/i18n/{lang}.json and
// fetched (by the transport) only for visitors who need them, so they cost
// everyone else nothing.

import { MARKDOWN_EN } from "./markdown/words.js";

/** @typedef {(key: string, vars?: Record<string, unknown>) => string} Translate */

export const EN = {
  ...MARKDOWN_EN,
  open: "Open chat",
  close: "Close chat",
  title: "Chat with us",
  subtitle: "AI Representative",
  greeting: "Hi! How can I help you today?",
  placeholder: "Write a message…",
  inputLabel: "Your message",
  send: "Send",
  stop: "Stop",
  retry: "Retry",
  typing: "The Representative is typing",
  log: "Conversation",
  disclaimer: "Answers come from an AI and may be inaccurate.",
  interrupted: "This reply was interrupted.",
  stopped: "You stopped this reply.",
  renewed: "Your previous conversation expired, so a new one was started.",
  failed: "Something went wrong.",
  network: "The connection to the chat failed. Check your network and retry.",
  rateLimited: "Too many messages at once. Please wait a moment, then retry.",
  unavailable: "The chat isn't available on this page right now.",
  serviceDown: "The chat isn't answering right now. Please retry soon.",
  navigated: "Opened the {page} page",
  openedModal: "Opened “{target}”",
  scrolled: "Scrolled to “{target}”",
  highlighted: "Highlighted “{target}”",
  filled: "Filled in your {fields} on the {form}",
  announceReply: "The Representative replied: {text}",
  unread: "{count} new",
  compacting: "Summarizing the conversation so far…",
  compacted: "Earlier messages were summarized",
  openedWindow: "Opened a window on the page",
  shown: "Showed you the part of the page it mentioned",
  done: "Done on the page",
  notDone: "Correction: that step could not be done on this page.",
  noPage: "Correction: that page is not part of this site, so it was not opened.",
  noModal: "Correction: that window is not on this page, so nothing was opened.",
  noForm: "Correction: that form is not on this page, so nothing was filled in.",
  noFields: "Correction: none of those fields could be filled in here.",
  noTarget: "Correction: that part is not on this page, so the view did not move.",
  openTab: "Open {page} in a new tab",
  stoppedElsewhere: "This reply was stopped in another tab.",
  tooLong: "{count} characters: the limit is {limit}. Shorten your message to send it.",
  counter: "{count} / {limit}",
  newMessages: "New messages below",
  newChat: "New conversation",
  newChatAsk: "Start a new conversation? This one will be cleared from this device.",
  newChatYes: "Start new",
  cancel: "Cancel",
  copyAnswer: "Copy this answer",
  answerNotCopied: "Could not copy",
  dismiss: "Dismiss",
  loadFailed: "The chat could not load. Check your connection and retry.",
  c_title: "Leave your details",
  c_intro: "We will get back to you by email or phone.",
  c_name: "Name",
  c_email: "Email",
  c_phone: "Phone (optional)",
  c_note: "Note (optional)",
  c_consent: "I agree to be contacted about my request.",
  c_privacy: "Privacy notice",
  c_send: "Send my details",
  c_sending: "Sending…",
  c_again: "Send again",
  c_needName: "Please enter your name.",
  c_needEmail: "Please enter an email address like name@example.com.",
  c_needPhone: "Please enter a phone number: digits, spaces and + ( ) - . only.",
  c_needConsent: "Please agree to be contacted, or we cannot send your details.",
  c_needNote: "Please keep your note under 1,000 characters.",
  c_check: "Please check the fields marked above.",
  c_failed: "Your details were not sent: {reason} What you typed is still here; press Send again.",
  c_sent: "Your contact details were sent. Nothing of them is kept in this browser.",
  c_offered: "Opened a card to leave your details",
  r_label: "Rate this answer",
  r_up: "Helpful",
  r_down: "Not helpful",
  r_why: "What was missing? (optional)",
  r_send: "Send feedback",
  r_thanks: "Thanks for your feedback.",
  r_failed: "Your rating was not sent. Please try again.",
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
 * @returns {Translate}
 */
export function formatter(table) {
  return (key, vars) => {
    let text = table[key] || /** @type {Record<string, string>} */ (EN)[key] || key;
    if (vars) for (const name in vars) text = text.split("{" + name + "}").join(String(vars[name]));
    return text;
  };
}
