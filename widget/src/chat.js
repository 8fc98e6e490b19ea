// The conversation: sessions, sending, streaming, stopping, retrying,
// compacting and running commands. It connects the transport to the view and
// keeps the transcript in storage; it never builds DOM and never parses the
// network.
//
// Tabs: every change to the transcript is an op applied to this tab's view
// and posted on a BroadcastChannel, where the site's other tabs apply the
// same op. Only the tab that sent a message holds its network stream; the
// others mirror it and can stop it.
import { runCommand } from "./commands.js";

const RENEWABLE = new Set(["token_expired", "token_invalid", "session_not_found", "origin_mismatch"]);
const SAVE_EVERY_MS = 500;
const LIVE_MS = 3000; // a streaming reply saved this recently is still being written
const RESUME_WITHIN_MS = 25000; // the BFF keeps a dropped reply for 30 s by default
const RESUME_DELAYS = [0, 500, 1000, 2000, 4000, 8000];
const isDrop = (error) => !!error && (error.code === "network" || error.code === "interrupted");

function sleep(ms, signal) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener("abort", () => {
      clearTimeout(timer);
      reject(new DOMException("stopped", "AbortError"));
    }, { once: true });
  });
}

export function createChat({ config, transport, store, view, t, context, env, emit, channel }) {
  let state = { token: "", expiresAt: "", messages: [], scanSent: false };
  let inFlight = null; // this tab's AbortController while it streams
  let remoteBusy = false; // another tab is streaming
  let reply = null; // the reply being written, here or mirrored
  let summary = null; // the recap being written
  let restored = false;
  let streaming = null; // {entry, text} of this tab's reply in flight
  const save = () => store.save(state);

  function describeError(error) {
    if (error.code === "network") return t("network");
    if (error.code === "rate_limited") return t("rateLimited");
    if (error.code === "interrupted" || error.code === "stream_gone") return t("interrupted");
    return error.message || t("failed");
  }

  // Everything a tab shows of the conversation, as ops other tabs can replay.
  const ops = {
    user: (text) => view.addUser(text),
    start: () => (reply = view.startReply()),
    token: (text) => reply && reply.append(text),
    done(text) {
      if (reply) reply.finish(text);
      reply = null;
      if (!view.isOpen()) view.setUnread(view.unread + 1);
      view.announce(t("announceReply", { text: text.slice(0, 500) }));
    },
    end(message, retryText) {
      if (reply) reply.end(message, retryText ? () => run(retryText) : null);
      reply = null;
    },
    drop: () => {
      if (reply) reply.remove();
      reply = null;
    },
    note: (text) => view.addNote(text),
    error(text, retryText) {
      const element = view.addError(text, retryText ? () => retryError(element, text, retryText) : null);
    },
    busy(flag) {
      view.setBusy(flag);
    },
    summaryStart: () => (summary = view.addSummary(t("compacting"))),
    summaryToken: (text) => summary && summary.append(text),
    summaryDone(text) {
      if (summary) summary.finish(text, t("compacted"));
      summary = null;
    },
    summaryFailed: () => {
      if (summary) summary.remove();
      summary = null;
    },
  };

  function show(op, ...args) {
    ops[op](...args);
    if (channel) channel.postMessage({ op, args });
  }

  if (channel) {
    channel.onmessage = (event) => {
      const { op, args } = event.data || {};
      restore(); // history first, then what the other tab is doing
      if (op === "stop") {
        if (inFlight) inFlight.abort();
        return;
      }
      if (op === "busy") {
        remoteBusy = args[0];
        // The other tab has saved the transcript: take it as ours.
        if (!remoteBusy) state = store.load();
      }
      if (ops[op]) ops[op](...args);
    };
  }

  function addNote(text) {
    state.messages.push({ role: "note", text });
    show("note", text);
  }

  function retryError(element, text, retryText) {
    element.remove();
    state.messages = state.messages.filter((m) => m.role !== "error" || m.text !== text);
    run(retryText);
  }

  async function ensureSession() {
    if (state.token && Date.parse(state.expiresAt) - Date.now() > 60000) return state.token;
    const body = { site: config.site, scanContext: context.scan() };
    if (config.profile) body.profile = config.profile;
    const created = await transport.createSession(body);
    state.token = created.token;
    state.expiresAt = created.expiresAt;
    state.scanSent = false;
    save();
    return state.token;
  }

  /** The last user message at or before index, for retries of restored replies. */
  function lastUserText(index) {
    for (let i = index; i >= 0; i--) if (state.messages[i].role === "user") return state.messages[i].text;
    return "";
  }

  const greeting = () => ({ role: "bot", text: config.greeting || t("greeting"), status: "done" });

  function restore() {
    if (restored) return;
    restored = true;
    let resumeAfterRestore = null;
    state = store.load();
    // The greeting shows at once but is stored only once the visitor speaks.
    if (!state.messages.length && config.greeting !== "") view.startReply(greeting().text, false).finish();
    let changed = false;
    const last = state.messages.length - 1;
    state.messages.forEach((message, index) => {
      const retryText = index === last ? lastUserText(index) : "";
      const retry = retryText ? () => run(retryText) : null;
      if (message.role === "user") view.addUser(message.text);
      else if (message.role === "note") view.addNote(message.text);
      else if (message.role === "summary") view.addSummary(t("compacted")).finish(message.text, t("compacted"));
      else if (message.role === "error") {
        const element = view.addError(message.text, retryText ? () => retryError(element, message.text, retryText) : null);
      } else {
        const age = Date.now() - (message.at || 0);
        if (message.status === "streaming" && message.left && message.resume && age < RESUME_WITHIN_MS) {
          // This page was left mid-reply: pick the reply up where it stopped.
          delete message.left;
          reply = view.startReply(message.text, false);
          resumeAfterRestore = () => run(lastUserText(index), false, message);
          return;
        }
        if (message.status === "streaming" && !message.left && age < LIVE_MS) {
          // Another tab is writing this reply right now: follow it.
          reply = view.startReply(message.text, false);
          remoteBusy = true;
          view.setBusy(true);
          return;
        }
        // A reply still "streaming" in storage was cut off by a reload or navigation.
        if (message.status === "streaming") {
          message.status = "interrupted";
          changed = true;
        }
        const shown = view.startReply(message.text, false);
        if (message.status === "done") shown.finish();
        else shown.end(t(message.status === "stopped" ? "stopped" : "interrupted"), retry);
      }
    });
    if (changed) save();
    if (resumeAfterRestore) resumeAfterRestore();
  }

  async function runCommands(done, token) {
    for (const command of done.commands || []) {
      const outcome = await runCommand(command, env);
      if (outcome.result === "ignored") {
        console.warn("[repchat] ignored an unknown command", command && command.type);
        continue;
      }
      addNote(outcome.key === "filled" ? t("filled", { count: outcome.count }) : t(outcome.key, { target: outcome.note }));
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
    let done = null;
    let failure = null;
    let lastSave = 0;
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
      const token = await ensureSession();
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
      } else if (!started && !renewed && error && RENEWABLE.has(error.code)) {
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
      else if (remoteBusy && channel) channel.postMessage({ op: "stop", args: [] });
    },
    get state() {
      return state;
    },
  };
}
