// @ts-check
// Talks to the BFF: JSON calls and event streams over fetch, and the
// translation tables. It is the widget's only module that uses the network;
// it never touches the DOM and never re-sends a message on its own; a retry
// is the visitor's. Failures reject with {code, message, status} (or the
// AbortError of a stop).
import { bytes, lines, messages } from "./sse.js";

/** @typedef {{code: string, message: string, status: number, fields?: Record<string, string>}} Failure */
/** @typedef {(name: string, data: any, id: string) => void} OnEvent */

/**
 * @typedef {object} Transport
 * @property {(body: object) => Promise<{token: string, expiresAt: string, privacyUrl?: string, limits?: {messageChars: number}}>} createSession
 * @property {(token: string) => Promise<any>} contextUsage
 * @property {(token: string, command: object, result: string) => Promise<any>} reportCommand
 * @property {(token: string, body: object, onEvent: OnEvent, signal: AbortSignal) => Promise<void>} sendMessage
 * @property {(token: string, lastEventId: string, onEvent: OnEvent, signal: AbortSignal) => Promise<void>} resume
 * @property {(token: string, streamId: string) => Promise<any>} stop
 * @property {(token: string, onEvent: OnEvent, signal: AbortSignal) => Promise<void>} compact
 * @property {(token: string, body: object, key: string) => Promise<any>} saveContact
 * @property {(token: string, body: object) => Promise<any>} feedback
 */

/**
 * @param {Record<string, string>} [fields] what is wrong with each field of a form
 * @returns {Failure}
 */
const failure = (code = "", message = "", status = 0, fields) => ({ code, message, status, fields });

/**
 * A language's strings from the BFF, or null (offline, blocked, missing):
 * the widget then speaks English.
 * @param {string} base
 * @param {string} lang
 * @returns {Promise<Record<string, string> | null>}
 */
export async function fetchTranslation(base, lang) {
  try {
    const response = await fetch(base + "/static/i18n/" + lang + ".json", { credentials: "omit" });
    if (response.ok) return await response.json();
  } catch (_) {
    // offline or blocked: English it is
  }
  return null;
}

/**
 * The BFF's redaction rules (which names are secret), or null when they cannot be had.
 * @param {string} base
 * @returns {Promise<import("./context.js").RawRules | null>}
 */
export async function fetchRules(base) {
  try {
    const response = await fetch(base + "/static/redaction.json", { credentials: "omit" });
    if (response.ok) return await response.json();
  } catch (_) {
    // offline or blocked: nothing is read this time
  }
  return null;
}

/**
 * @param {string} base the BFF's URL
 * @returns {Transport}
 */
export function createTransport(base) {
  /**
   * @param {string} method
   * @param {string} path
   * @param {string} token
   * @param {unknown} [body]
   * @param {Record<string, string>} [extra] headers
   * @param {AbortSignal} [signal]
   */
  async function request(method, path, token, body, extra, signal) {
    /** @type {Record<string, string>} */
    const headers = { "content-type": "application/json", ...extra };
    if (token) headers.authorization = "Bearer " + token;
    let response;
    try {
      response = await fetch(base + path, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        credentials: "omit",
        signal,
      });
    } catch (error) {
      throw error && error.name === "AbortError" ? error : failure("network");
    }
    if (response.ok) return response;
    let error = {};
    try {
      error = (await response.json()).error || {};
    } catch (_) {
      // not JSON: the status says enough
    }
    throw failure(error.code || "http_" + response.status, error.message, response.status, error.fields);
  }

  /**
   * @param {string} method
   * @param {string} path
   * @param {string} token
   * @param {unknown} [body]
   */
  const call = async (method, path, token, body) => (await request(method, path, token, body)).json();

  /**
   * POST and read an event stream, calling onEvent(name, data, id) per event.
   * A stream that ends without `done` or `error` rejects with "interrupted".
   * @param {string} path
   * @param {string} token
   * @param {object} body
   * @param {OnEvent} onEvent
   * @param {AbortSignal} signal
   * @param {string} [lastEventId]
   */
  async function stream(path, token, body, onEvent, signal, lastEventId) {
    /** @type {Record<string, string>} */
    const extra = { accept: "text/event-stream" };
    if (lastEventId) extra["last-event-id"] = lastEventId;
    const response = await request("POST", path, token, body || {}, extra, signal);
    let finished = false;
    const feed = lines(
      messages((message) => {
        let data;
        try {
          data = JSON.parse(message.data);
        } catch (_) {
          return; // a frame we cannot read is skipped, like the BFF does upstream
        }
        if (message.event === "done" || message.event === "error") finished = true;
        onEvent(message.event, data, message.id);
      }),
    );
    try {
      await bytes(/** @type {ReadableStream<Uint8Array>} */ (response.body), feed);
    } catch (error) {
      if (finished) return;
      throw error && error.name === "AbortError" ? error : failure("network");
    }
    if (!finished) throw failure("interrupted");
  }

  return {
    createSession: (body) => call("POST", "/v1/session", "", body),
    contextUsage: (token) => call("GET", "/v1/context-usage", token),
    reportCommand: (token, command, result) => call("POST", "/v1/commands", token, { command, result }),
    sendMessage: (token, body, onEvent, signal) => stream("/v1/messages", token, body, onEvent, signal),
    // The rest of a reply after a dropped connection: the BFF replays what came after lastEventId.
    resume: (token, lastEventId, onEvent, signal) => stream("/v1/messages", token, {}, onEvent, signal, lastEventId),
    stop: (token, streamId) => call("POST", "/v1/stop", token, { streamId }),
    compact: (token, onEvent, signal) => stream("/v1/compact", token, {}, onEvent, signal),
    saveContact: async (token, body, key) => (await request("POST", "/v1/contact", token, body, { "idempotency-key": key })).json(),
    feedback: (token, body) => call("POST", "/v1/feedback", token, body),
  };
}

/**
 * @typedef {object} Probe what the embed doctor's timed stream showed
 * @property {number} status the HTTP status (0: the request failed: blocked, unreachable, or CORS)
 * @property {{code?: string, message?: string}} error the BFF's JSON error, when it refused
 * @property {{n: number, sentAt: number, at: number}[]} ticks each event, with when it arrived (Date.now())
 * @property {number} started when the request was sent (Date.now())
 * @property {string} encoding the Content-Encoding the browser saw ("" when none, or not readable)
 * @property {string} url the response's URL (after redirects)
 */

/**
 * Read the BFF's diagnostic stream (bff/diagnostics.py) to its end, noting when each event arrives.
 * @param {string} base
 * @returns {Promise<Probe>}
 */
export async function diagnosticStream(base) {
  const url = base + "/v1/diagnostics/stream";
  /** @type {Probe} */
  const probe = { status: 0, error: {}, ticks: [], started: Date.now(), encoding: "", url };
  let response;
  try {
    response = await fetch(url, { credentials: "omit", cache: "no-store" });
  } catch (_) {
    return probe;
  }
  probe.status = response.status;
  probe.url = response.url || url;
  probe.encoding = response.headers.get("content-encoding") || "";
  if (!response.ok) {
    try {
      probe.error = (await response.json()).error || {};
    } catch (_) {
      // not JSON (a proxy's page): the status says enough
    }
    return probe;
  }
  const feed = lines(messages((message) => {
    if (message.event === "tick") probe.ticks.push({ ...JSON.parse(message.data), at: Date.now() });
  }));
  try {
    await bytes(/** @type {ReadableStream<Uint8Array>} */ (response.body), feed);
  } catch (_) {
    // cut short: the ticks so far say what they can
  }
  return probe;
}

/**
 * The response headers of `url` (the doctor reads the page's own Content-Security-Policy header), or null.
 * @param {string} url
 */
export async function headersOf(url) {
  try {
    return (await fetch(url, { credentials: "same-origin", cache: "no-store" })).headers;
  } catch (_) {
    return null;
  }
}
