// @ts-check
// Server-Sent Events parsing as a pipeline of small functions:
// bytes -> lines -> messages, each testable alone (in the spirit of
// fetch-event-source's parse.ts, plus what it leaves out: a lone CR as a
// line end, a CRLF split across two chunks, and a leading BOM).

const LF = 10;
const CR = 13;
const COLON = 58;
const SPACE = 32;

/**
 * Returns a function that takes byte chunks and calls onLine(bytes, fieldLength)
 * for every complete line. fieldLength is the index of the first colon, or -1.
 */
export function lines(onLine) {
  let buffer;
  let position = 0; // where the current line starts in buffer
  let scanned = 0; // how far we have looked for a line end
  let fieldLength = -1;
  let skipLF = false; // the previous chunk ended in CR; a leading LF belongs to it

  return function onChunk(chunk) {
    if (buffer === undefined || position >= buffer.length) {
      buffer = chunk;
      position = 0;
      scanned = 0;
    } else {
      const joined = new Uint8Array(buffer.length - position + chunk.length);
      joined.set(buffer.subarray(position));
      joined.set(chunk, buffer.length - position);
      scanned -= position;
      buffer = joined;
      position = 0;
    }
    const length = buffer.length;
    while (scanned < length) {
      if (skipLF) {
        if (buffer[scanned] === LF) position = ++scanned;
        skipLF = false;
        if (scanned >= length) break;
      }
      let end = -1;
      for (; scanned < length && end === -1; ++scanned) {
        const byte = buffer[scanned];
        if (byte === COLON && fieldLength === -1) fieldLength = scanned - position;
        else if (byte === CR) { skipLF = true; end = scanned; }
        else if (byte === LF) end = scanned;
      }
      if (end === -1) break;
      onLine(buffer.subarray(position, end), fieldLength);
      position = scanned;
      fieldLength = -1;
    }
    if (position >= length) buffer = undefined;
  };
}

/**
 * Returns an onLine function that assembles lines into messages
 * {id, event, data, retry} and calls onMessage for each; comments go to
 * onComment. Per the spec, `id` persists between messages.
 */
export function messages(onMessage, onComment, onId, onRetry) {
  // ignoreBOM keeps U+FEFF inside values; the stream's own BOM is dropped below.
  const decoder = new TextDecoder("utf-8", { ignoreBOM: true });
  let message = fresh();
  let lastId = "";
  let started = false;

  function fresh() {
    return { data: "", event: "", id: "", retry: undefined, hasData: false };
  }

  return function onLine(line, fieldLength) {
    if (!started) {
      started = true;
      // A UTF-8 byte order mark may open the stream; it is not part of the first field.
      if (line[0] === 0xef && line[1] === 0xbb && line[2] === 0xbf) {
        line = line.subarray(3);
        if (fieldLength > 0) fieldLength -= 3;
      }
    }
    if (line.length === 0) {
      if (message.hasData) {
        message.id = lastId;
        onMessage(message);
      }
      message = fresh();
      return;
    }
    if (fieldLength === 0) {
      if (onComment) onComment(decoder.decode(line.subarray(1)));
      return;
    }
    const nameEnd = fieldLength > 0 ? fieldLength : line.length;
    const field = decoder.decode(line.subarray(0, nameEnd));
    let valueStart = fieldLength > 0 ? fieldLength + 1 : line.length;
    if (line[valueStart] === SPACE) valueStart += 1;
    const value = decoder.decode(line.subarray(valueStart));
    if (field === "data") {
      message.data = message.hasData ? message.data + "\n" + value : value;
      message.hasData = true;
    } else if (field === "event") {
      message.event = value;
    } else if (field === "id") {
      if (!value.includes("\0")) {
        lastId = value;
        if (onId) onId(value);
      }
    } else if (field === "retry") {
      const retry = parseInt(value, 10);
      if (!Number.isNaN(retry) && onRetry) onRetry(retry);
    }
  };
}

/** Reads a ReadableStream of bytes to its end, handing each chunk to onChunk. */
export async function bytes(stream, onChunk) {
  const reader = stream.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      onChunk(value);
    }
  } finally {
    reader.releaseLock();
  }
}

/** Convenience: parse a whole string or byte array into messages (tests, tools). */
export function parseAll(input, chunkSizes) {
  const data = typeof input === "string" ? new TextEncoder().encode(input) : input;
  const out = [];
  const feed = lines(messages((m) => out.push({ event: m.event, data: m.data, id: m.id })));
  if (!chunkSizes) feed(data);
  else {
    let at = 0;
    for (let i = 0; at < data.length; i++) {
      const size = chunkSizes[i % chunkSizes.length] || 1;
      feed(data.slice(at, at + size));
      at += size;
    }
  }
  return out;
}
