// Talks to the BFF: JSON calls and event streams over fetch. It never touches
// the DOM and never re-sends a message on its own; a retry is the visitor's.
import { bytes, lines, messages } from "./sse.js";

/** An error the view can explain: code, message, HTTP status, retryable. */
export class ChatError extends Error {
  constructor(code, message, status = 0, retryable = true, retryAfter = 0) {
    super(message);
    this.code = code;
    this.status = status;
    this.retryable = retryable;
    this.retryAfter = retryAfter;
  }
}

async function errorFrom(response) {
  let code = "http_" + response.status;
  let message = "";
  try {
    const body = await response.json();
    if (body && body.error) {
      code = body.error.code || code;
      message = body.error.message || message;
    }
  } catch (_) {
    // not JSON: keep the generic message
  }
  const retryAfter = parseInt(response.headers.get("retry-after") || "0", 10) || 0;
  const retryable = response.status >= 500 || response.status === 429;
  return new ChatError(code, message, response.status, retryable, retryAfter);
}

function networkError(error) {
  if (error && error.name === "AbortError") return error;
  return new ChatError("network", "", 0, true);
}

export function createTransport(base) {
  function headers(token) {
    const out = { "content-type": "application/json" };
    if (token) out.authorization = "Bearer " + token;
    return out;
  }

  async function call(method, path, token, body) {
    let response;
    try {
      response = await fetch(base + path, {
        method,
        headers: headers(token),
        body: body === undefined ? undefined : JSON.stringify(body),
        credentials: "omit",
      });
    } catch (error) {
      throw networkError(error);
    }
    if (!response.ok) throw await errorFrom(response);
    return response.json();
  }

  /**
   * POST and read an event stream. Calls onEvent(name, data, id) per event.
   * Resolves when the stream ends; rejects with ChatError (before or during
   * the stream) or AbortError (stopped). A stream that ends without a final
   * `done` or `error` rejects with code "interrupted".
   */
  async function stream(path, token, body, onEvent, signal, lastEventId) {
    let response;
    const extra = lastEventId ? { "last-event-id": lastEventId } : {};
    try {
      response = await fetch(base + path, {
        method: "POST",
        headers: { ...headers(token), accept: "text/event-stream", ...extra },
        body: JSON.stringify(body || {}),
        credentials: "omit",
        signal,
      });
    } catch (error) {
      throw networkError(error);
    }
    if (!response.ok) throw await errorFrom(response);
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
      await bytes(response.body, feed);
    } catch (error) {
      if (finished) return;
      throw networkError(error);
    }
    if (!finished) throw new ChatError("interrupted", "", 0, true);
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
  };
}
