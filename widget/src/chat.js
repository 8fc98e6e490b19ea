// The conversation: sessions, sending, streaming, stopping, retrying and
// running commands. It connects the transport to the view and keeps the
// transcript in storage; it never builds DOM and never parses the network.
import { runCommand } from "./commands.js";

const RENEWABLE = new Set(["token_expired", "token_invalid", "session_not_found", "origin_mismatch"]);
const SAVE_EVERY_MS = 500;

export function createChat({ config, transport, store, view, t, context, env, emit }) {
  let state = { token: "", expiresAt: "", messages: [], scanSent: false };
  let inFlight = null;
  const save = () => store.save(state);

  function describeError(error) {
    if (error.code === "network") return t("network");
    if (error.code === "rate_limited") return t("rateLimited");
    if (error.code === "interrupted") return t("interrupted");
    return error.message || t("failed");
  }

  function addNote(text) {
    state.messages.push({ role: "note", text });
    view.addNote(text);
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

  /** The last user message before index, for retries of restored replies. */
  function lastUserText(index) {
    for (let i = index; i >= 0; i--) if (state.messages[i].role === "user") return state.messages[i].text;
    return "";
  }

  const greeting = () => ({ role: "bot", text: config.greeting || t("greeting"), status: "done" });

  function restore() {
    state = store.load();
    // The greeting shows at once but is stored only once the visitor speaks.
    if (!state.messages.length && config.greeting !== "") view.startReply(greeting().text, false).finish();
    let changed = false;
    const last = state.messages.length - 1;
    state.messages.forEach((message, index) => {
      const retry = index === last && lastUserText(index) ? () => retryFrom(index) : null;
      if (message.role === "user") view.addUser(message.text);
      else if (message.role === "note") view.addNote(message.text);
      else if (message.role === "error") view.addError(message.text, retry);
      else {
        // A reply still "streaming" in storage was cut off by a reload or navigation.
        if (message.status === "streaming") {
          message.status = "interrupted";
          changed = true;
        }
        const reply = view.startReply(message.text, false);
        if (message.status === "done") reply.finish();
        else reply.end(t(message.status === "stopped" ? "stopped" : "interrupted"), retry);
      }
    });
    if (changed) save();
  }

  function retryFrom(index) {
    const text = lastUserText(index);
    if (text) run(text, false);
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

  async function run(text, renewed) {
    const controller = new AbortController();
    inFlight = controller;
    view.setBusy(true);
    const reply = view.startReply();
    const entry = { role: "bot", text: "", status: "streaming" };
    let started = false;
    let done = null;
    let failure = null;
    let lastSave = 0;
    try {
      const token = await ensureSession();
      const body = { content: text, uiContext: context.ui() };
      const withScan = !state.scanSent;
      if (withScan) body.scanContext = context.scan();
      await transport.sendMessage(
        token,
        body,
        (name, data) => {
          if (!started) {
            started = true;
            state.scanSent = true;
            state.messages.push(entry);
          }
          if (name === "token" && typeof data.content === "string") {
            reply.append(data.content);
            entry.text = reply.text;
            if (Date.now() - lastSave > SAVE_EVERY_MS) {
              lastSave = Date.now();
              save();
            }
          } else if (name === "done") done = data;
          else if (name === "error") failure = data;
        },
        controller.signal,
      );
      if (failure) throw failure;
      const finalText = (done.message && done.message.content) || reply.text;
      entry.text = finalText;
      entry.status = "done";
      reply.finish(finalText);
      save();
      if (!view.isOpen()) view.setUnread(view.unread + 1);
      view.announce(t("announceReply", { text: finalText.slice(0, 500) }));
      emit("message", { role: "assistant", text: finalText, id: done.message && done.message.id });
      inFlight = null;
      view.setBusy(false);
      await runCommands(done, token);
    } catch (error) {
      if (error && error.name === "AbortError") {
        entry.status = "stopped";
        reply.end(t("stopped"), () => run(text, false));
      } else if (!started && !renewed && error && RENEWABLE.has(error.code)) {
        reply.remove();
        state.token = "";
        addNote(t("renewed"));
        save();
        inFlight = null;
        return run(text, true);
      } else {
        const message = describeError(error || {});
        if (started) {
          entry.status = "interrupted";
          reply.end(message, () => run(text, false));
        } else {
          reply.remove();
          state.messages.push({ role: "error", text: message });
          const element = view.addError(message, () => {
            element.remove();
            state.messages = state.messages.filter((m) => m.role !== "error" || m.text !== message);
            run(text, false);
          });
        }
        emit("error", { code: error && error.code, message });
      }
    } finally {
      if (inFlight === controller) {
        inFlight = null;
        view.setBusy(false);
      }
      save();
    }
  }

  return {
    restore,
    remember(values) {
      Object.assign(state, values);
      save();
    },
    send(text) {
      const content = String(text || "").trim().slice(0, config.maxChars || 4000);
      if (!content || inFlight) return false;
      if (!state.messages.length && config.greeting !== "") state.messages.push(greeting());
      state.messages.push({ role: "user", text: content });
      save();
      view.setChips([]);
      view.addUser(content);
      emit("message", { role: "user", text: content });
      run(content, false);
      return true;
    },
    stop() {
      if (inFlight) inFlight.abort();
    },
    get busy() {
      return !!inFlight;
    },
    get state() {
      return state;
    },
  };
}
