// Talks to the BFF: JSON calls and event streams over fetch. It never touches
// the DOM and never re-sends a message on its own; a retry is the visitor's.
// Failures reject with {code, message, status} (or the AbortError of a stop).
import { bytes, lines, messages } from "./sse.js";

const failure = (code, message = "", status = 0) => ({ code, message, status });

export function createTransport(base) {
  async function request(method, path, token, body, extra, signal) {
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
    throw failure(error.code || "http_" + response.status, error.message, response.status);
  }

  const call = async (method, path, token, body) => (await request(method, path, token, body)).json();

  /**
   * POST and read an event stream, calling onEvent(name, data, id) per event.
   * A stream that ends without `done` or `error` rejects with "interrupted".
   */
  async function stream(path, token, body, onEvent, signal, lastEventId) {
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
      await bytes(response.body, feed);
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
  };
}
