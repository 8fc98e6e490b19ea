// @ts-check
// The conversation: sessions, sending, streaming, stopping, retrying,
// compacting and running commands. It connects the transport to the view and
// keeps the transcript in storage; it never builds DOM and never parses the
// network. What a tab shows is mirrored to the site's other tabs (tabs.js);
// a stored transcript is put back on screen by transcript.js.
import { runCommand } from "./commands.js";
import { visitorKey } from "./errors.js";
import { createMirror } from "./tabs.js";
import { showTranscript } from "./transcript.js";

/** @typedef {import("./bubbles.js").Bubbles} Bubbles */
/** @typedef {import("./tabs.js").Channel} Channel */
/** @typedef {import("./transport.js").Transport} Transport */
/** @typedef {import("./transport.js").Failure} Failure */
/** @typedef {import("./storage.js").Store} Store */
/** @typedef {import("./storage.js").State} State */
/** @typedef {import("./storage.js").Message} Message */
/** @typedef {import("./commands.js").Env} Env */

/**
 * What the conversation needs of the screen: the panel and its bubbles, and
 * the launcher's unread count.
 * @typedef {Bubbles & {
 *   open: (focus?: boolean) => void,
 *   isOpen: () => boolean,
 *   setBusy: (busy: boolean) => void,
 *   setChips: (list: string[], onPick?: (text: string) => void) => void,
 *   announce: (text: string) => void,
 *   setUnread: (count: number) => void,
 *   unread: number,
 *   addRating?: (messageId: string) => void,
 * }} View
 */

/**
 * @typedef {object} Config
 * @property {string} site
 * @property {string} [profile]
 * @property {string} [greeting] "" for none
 * @property {number} compactAt percent of the context window; 0 never
 * @property {number} [maxChars]
 */

/**
 * @typedef {object} ChatOptions
 * @property {Config} config
 * @property {Transport} transport
 * @property {Store} store
 * @property {View} view
 * @property {(key: string, vars?: Record<string, unknown>) => string} t
 * @property {{ui: () => object, scan: () => object}} context
 * @property {Env} env
 * @property {(name: string, detail?: unknown) => void} emit
 * @property {Channel | null} [channel]
 */

// Codes that mean this tab's conversation is gone (token_expired, token_invalid, session_not_found, origin_mismatch).
const RENEWABLE = /^(token_(exp|inv)|session_not|origin_mis)/;
const SAVE_EVERY_MS = 500;
const RESUME_DELAYS = [0, 500, 1000, 2000, 4000, 8000];
/** @param {any} error */
const isDrop = (error) => !!error && (error.code === "network" || error.code === "interrupted");

/**
 * @param {number} ms
 * @param {AbortSignal} signal
 * @returns {Promise<void>}
 */
function sleep(ms, signal) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener("abort", () => {
      clearTimeout(timer);
      reject(new DOMException("stopped", "AbortError"));
    }, { once: true });
  });
}

/** @param {ChatOptions} options */
export function createChat({ config, transport, store, view, t, context, env, emit, channel }) {
  /** @type {State} */
  let state = { token: "", expiresAt: "", messages: [], scanSent: false };
  /** @type {AbortController | null} */
  let inFlight = null; // this tab's AbortController while it streams
  let remoteBusy = false; // another tab is streaming
  let restored = false;
  /** @type {{entry: Message, text: string} | null} */
  let streaming = null; // this tab's reply in flight
  const save = () => store.save(state);

  /** @type {Record<string, number>} */
  const told = {};
  /**
   * The visitor's sentence for an error; the owner's detail (code, BFF message) goes to the console once.
   * @param {any} error
   */
  function describeError(error) {
    const code = error.code || "";
    if (code !== "network" && !told[code]) {
      told[code] = 1;
      console.warn("[repchat] " + code + ": " + (error.message || ""));
    }
    return t(visitorKey(code));
  }

  const mirror = createMirror({
    view, t, channel,
    retry: (text) => run(text),
    retryError,
    onRemote(op, args) {
      restore(); // history first, then what the other tab is doing
      if (op === "stop") {
        if (inFlight) inFlight.abort();
        return false;
      }
      if (op === "busy") {
        remoteBusy = args[0];
        // The other tab has saved the transcript: take it as ours.
        if (!remoteBusy) state = store.load();
      }
      return true;
    },
  });
  const show = mirror.show;

  function addNote(text) {
    state.messages.push({ role: "note", text });
    show("note", text);
  }

  function retryError(element, text, retryText) {
    element.remove();
    state.messages = state.messages.filter((m) => m.role !== "error" || m.text !== text);
    run(retryText);
  }

  /** @param {boolean} [fresh] a new session even if the stored token looks alive */
  async function ensureSession(fresh) {
    if (!fresh && state.token && Date.parse(state.expiresAt) - Date.now() > 60000) return state.token;
    const body = { site: config.site, scanContext: context.scan() };
    if (config.profile) body.profile = config.profile;
    const created = await transport.createSession(body);
    state.token = created.token;
    state.expiresAt = created.expiresAt;
    state.privacyUrl = created.privacyUrl || "";
    state.scanSent = false;
    save();
    return state.token;
  }

  /** @returns {Message} */
  const greeting = () => ({ role: "bot", text: config.greeting || t("greeting"), status: "done" });

  /** Put the stored transcript on screen (once), and go on with a reply left mid-way. */
  function restore() {
    if (restored) return;
    restored = true;
    state = store.load();
    // The greeting shows at once but is stored only once the visitor speaks.
    if (!state.messages.length && config.greeting !== "") view.startReply(greeting().text, false).finish();
    const shown = showTranscript({ messages: state.messages, view, t, retry: (text) => run(text), retryError, now: Date.now() });
    mirror.follow(shown.reply);
    if (shown.following) {
      remoteBusy = true;
      view.setBusy(true);
    }
    if (shown.changed) save();
    if (shown.resume) run(shown.resume.text, false, shown.resume.message);
  }

  async function runCommands(done, token) {
    for (const command of done.commands || []) {
      const outcome = await runCommand(command, env);
      if (outcome.result === "ignored") {
        console.warn("[repchat] ignored an unknown command", command && command.type);
        continue;
      }
      addNote(outcome.key === "filled" ? t("filled", { count: outcome.count }) : t(outcome.key || "blocked", { target: outcome.note }));
      emit("command", { command, result: outcome.result });
      if (command.server) transport.reportCommand(token, command, outcome.result).catch(() => {});
      if (outcome.url) {
        save();
        env.navigate(outcome.url);
        return;
      }
    }
    for (const blocked of done.blockedCommands || []) {
      addNote(t("blocked", { target: blocked.type }));
      emit("command", { command: blocked, result: "blocked" });
    }
  }

  function begin() {
    const controller = new AbortController();
    inFlight = controller;
    show("busy", true);
    return controller;
  }

  function finish(controller) {
    if (inFlight !== controller) return;
    inFlight = null;
    save();
    show("busy", false);
  }

  /**
   * Send `text` and stream the reply, or (with `resumed`, a stored reply cut
   * off by a reload) go on with a reply already under way. A dropped
   * connection is resumed with Last-Event-ID; the visitor's message is never
   * sent twice.
   */
  async function run(text, renewed, resumed) {
    const controller = begin();
    const entry = resumed || { role: "bot", text: "", status: "streaming" };
    if (!resumed) show("start");
    streaming = { entry, text };
    let started = !!resumed;
    /** @type {any} the `done` event */
    let done = null;
    /** @type {any} the `error` event */
    let failure = null;
    let lastSave = 0;
    const previousToken = state.token;
    let token = "";
    const onEvent = (name, data, id) => {
      if (!started) {
        started = true;
        state.scanSent = true;
        state.messages.push(entry);
      }
      if (id) entry.resume = id;
      if (name === "token" && typeof data.content === "string") {
        entry.text += data.content;
        show("token", data.content);
        if (Date.now() - lastSave > SAVE_EVERY_MS) {
          lastSave = entry.at = Date.now();
          save();
        }
      } else if (name === "done") done = data;
      else if (name === "error") failure = data;
    };
    try {
      token = await ensureSession();
      let dropped = !!resumed;
      if (!resumed) {
        const body = { content: text, uiContext: context.ui() };
        if (!state.scanSent) body.scanContext = context.scan();
        try {
          await transport.sendMessage(token, body, onEvent, controller.signal);
        } catch (error) {
          if (!started || !isDrop(error)) throw error;
          dropped = true;
        }
      }
      for (let attempt = 0; dropped && !done && !failure; attempt++) {
        if (attempt >= RESUME_DELAYS.length) throw { code: "interrupted" };
        await sleep(RESUME_DELAYS[attempt], controller.signal);
        try {
          await transport.resume(token, entry.resume, onEvent, controller.signal);
        } catch (error) {
          if (!isDrop(error)) throw error;
        }
      }
      if (failure) throw failure;
      const finalText = (done.message && done.message.content) || entry.text;
      entry.text = finalText;
      entry.status = "done";
      delete entry.resume;
      if (done.usage) state.usage = done.usage;
      show("done", finalText);
      emit("message", { role: "assistant", text: finalText, id: done.message && done.message.id });
      if (done.message && done.message.id && view.addRating) view.addRating(done.message.id);
      finish(controller);
      await runCommands(done, token);
      save();
      const limit = config.compactAt;
      const grown = state.messages.length >= (state.compactedAt || 0) + 2;
      if (limit > 0 && grown && state.usage && state.usage.percentUsed >= limit) compact();
    } catch (error) {
      delete entry.resume;
      if (error && error.name === "AbortError") {
        entry.status = "stopped";
        show("end", t("stopped"), text);
      } else if (!started && !renewed && token && token === previousToken && error && RENEWABLE.test(error.code)) {
        // The conversation this tab had is gone (expired token, deleted session): say so and start anew.
        show("drop");
        state.token = "";
        addNote(t("renewed"));
        inFlight = null;
        return run(text, true);
      } else {
        const message = describeError(error || {});
        if (started) {
          entry.status = "interrupted";
          show("end", message, text);
        } else {
          show("drop");
          state.messages.push({ role: "error", text: message });
          show("error", message, text);
        }
        emit("error", { code: error && error.code, message });
      }
    } finally {
      if (streaming && streaming.entry === entry) streaming = null;
      finish(controller);
    }
  }

  // Leaving the page mid-reply (reload, navigation): note where the reply
  // stands, so the next page picks it up with Last-Event-ID.
  env.win.addEventListener("pagehide", () => {
    if (!streaming) return;
    streaming.entry.left = true;
    streaming.entry.at = Date.now();
    save();
    show("busy", false);
  });

  /** Fold older messages into a recap, shown as a collapsible note. */
  async function compact() {
    if (inFlight || remoteBusy || !state.token) return false;
    const controller = begin();
    show("summaryStart");
    let recap = "";
    /** @type {any} the `done` event */
    let done = null;
    try {
      await transport.compact(
        state.token,
        (name, data) => {
          if (name === "token" && typeof data.content === "string") {
            recap += data.content;
            show("summaryToken", data.content);
          } else if (name === "done") done = data;
        },
        controller.signal,
      );
      if (!done) throw new Error("no recap");
      // Remember where we compacted, so a short conversation is not compacted after every reply.
      state.compactedAt = state.messages.length;
      if (!done.compactedMessages) {
        show("summaryFailed");
        return false;
      }
      recap = done.summary || recap;
      state.messages.push({ role: "summary", text: recap });
      if (done.usage) state.usage = done.usage;
      show("summaryDone", recap);
      emit("compact", { summary: recap, usage: state.usage });
      return true;
    } catch (error) {
      show("summaryFailed");
      emit("error", { code: (error && error.code) || "compact_failed", message: describeError(error || {}) });
      return false;
    } finally {
      finish(controller);
    }
  }

  return {
    restore,
    compact,
    session: ensureSession,
    note: addNote,
    remember(values) {
      Object.assign(state, values);
      save();
    },
    async contextUsage() {
      if (!state.token) return null;
      state.usage = await transport.contextUsage(state.token);
      save();
      return state.usage;
    },
    send(text) {
      const content = String(text || "").trim().slice(0, config.maxChars || 4000);
      if (!content || inFlight || remoteBusy) return false;
      if (!state.messages.length && config.greeting !== "") state.messages.push(greeting());
      state.messages.push({ role: "user", text: content });
      save();
      view.setChips([]);
      show("user", content);
      emit("message", { role: "user", text: content });
      run(content, false);
      return true;
    },
    stop() {
      if (streaming && streaming.entry.resume && state.token) {
        // Aborting only drops the connection (which the BFF would wait on); say stop.
        transport.stop(state.token, streaming.entry.resume.split(".")[0]).catch(() => {});
      }
      if (inFlight) inFlight.abort();
      else if (remoteBusy) mirror.post("stop", []);
    },
    get state() {
      return state;
    },
  };
}
