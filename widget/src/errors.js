// @ts-check
// Words for visitors, details for owners: every error code the BFF (or the
// transport) can hand the widget maps to one short sentence a visitor can act
// on, in every shipped language. The BFF's own message, which names the
// setting to change, goes to the browser console once per code (chat.js).

/**
 * The key in strings.js of the visitor's sentence for an error code; "failed" for codes no one planned for.
 * @param {string} code
 * @returns {string}
 */
export const visitorKey = (code) =>
  /^(network|interrupted)$/.test(code) ? code
  : /^(rate_|too_many)/.test(code) ? "rateLimited"
  : /^(stream_|shutting)/.test(code) ? "interrupted"
  : /^identity_exp/.test(code) ? "reload"
  : /^(origin|upstream_auth|profile|invalid_[sp]|token|session|identity)/.test(code) ? "unavailable"
  : /^(busy|upstream|http_5)/.test(code) ? "serviceDown"
  : "failed";

// Codes that mean this tab's conversation is gone (token_expired, token_invalid, session_not_found, origin_mismatch):
// a new session carries on.
export const RENEWABLE = /^(token_(exp|inv)|session_not|origin_mis)/;
