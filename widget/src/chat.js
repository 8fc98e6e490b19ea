// @ts-check
// The conversation: sessions, sending, streaming, stopping, retrying,
// compacting and running commands. It connects the transport to the view and
// keeps the transcript in storage; it never builds DOM and never parses the
// network. What a tab shows is mirrored to the site's other tabs (tabs.js);
// a stored transcript is put back on screen by transcript.js.
import { pageName, runCommand } from "./commands.js";
import { RENEWABLE, visitorKey } from "./errors.js";
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
 *   close: () => void,
 *   clear: () => void,
 *   notice: (text: string) => void,
 * }} View
 */

/**
 * @typedef {object} Config
 * @property {string} site
 * @property {string} [profile]
 * @property {string} [landing] the landing page's signed ticket (a QR visit is the BFF's fact, not ours)
 * @property {string} [greeting] "" for none
 * @property {number} compactAt percent of the context window; 0 never
 * @property {number} [maxChars] the message limit until the BFF announces its own
 * @property {boolean} [inline] the chat is part of the page, never minimised
 * @property {string[]} [starters]
 * @property {boolean} [linkOnly] the chat is the whole page (a QR landing page):
 *   navigation opens link cards in a new tab instead of leaving the chat
 */

/**
 * @typedef {object} ChatOptions
 * @property {Config} config
 * @property {Transport} transport
 * @property {Store} store
 * @property {View} view
 * @property {(key: string, vars?: Record<string, unknown>) => string} t
 * @property {{ui: () => Promise<object>, scan: () => Promise<object>, ready: () => Promise<void>, identity: () => string[]}} context
 * @property {Env} env
 * @property {(name: string, detail?: unknown) => void} emit
 * @property {Channel | null} [channel]
 */

const SAVE_EVERY_MS = 500;
const RESUME_DELAYS = [0, 500, 1000, 2000, 4000, 8000];
const PENDING_MS = 30000; // page actions carried over a navigation run on the next page within this time, once
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
  let stoppedElsewhere = false; // another tab asked this one to stop its reply
  let askedStop = false; // this tab asked the tab writing the reply to stop
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
    retry: (text) => reask(text),
    retryError,
    onRemote(op, args) {
      restore(); // history first, then what the other tab is doing
      if (op === "stop") {
        // Stop the reply this tab writes, upstream too, and say who stopped it.
        if (inFlight) stoppedElsewhere = true;
        api.stop();
        return false;
      }
      // The tab whose visitor pressed Stop says "You stopped"; the writer says "in another tab".
      if (op === "end" && askedStop) args[0] = t("stopped");
      if (op === "reset") {
        clearScreen();
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

  /**
   * A card that opens a page of the site in a new tab, kept in the transcript.
   * @param {string} url checked by the command guards
   * @param {string} page what a visitor calls it
   */
  function addLink(url, page) {
    const text = t("openTab", { page });
    state.messages.push({ role: "link", text, url });
    show("link", text, url);
  }

  /**
   * Ask `text` again. A retry of an earlier question, after later ones were
   * answered, re-asks it at the end so the answer never lands out of order.
   * @param {string} text
   */
  function reask(text) {
    const shown = state.messages.filter((m) => m.role !== "note");
    const last = shown[shown.length - 1];
    const lastUser = shown.filter((m) => m.role === "user").pop();
    const failedLast = last && (last.role === "error" || (last.role === "bot" && last.status !== "done"));
    if (!failedLast || !lastUser || lastUser.text !== text) {
      if (inFlight || remoteBusy) return;
      state.messages.push({ role: "user", text, time: Date.now() });
      show("user", text, Date.now());
    }
    run(text);
  }

  function retryError(element, text, retryText) {
    if (inFlight || remoteBusy) return;
    element.remove();
    // Decide staleness with the error still in place, then forget it.
    const index = state.messages.findIndex((m) => m.role === "error" && m.text === text);
    const stale = index >= 0 && state.messages.slice(index + 1).some((m) => m.role !== "note");
    if (index >= 0) state.messages.splice(index, 1);
    if (stale) {
      state.messages.push({ role: "user", text: retryText, time: Date.now() });
      show("user", retryText, Date.now());
    }
    run(retryText);
  }

  /** @type {Promise<string> | null} */
  let opening = null; // a session being created: one at a time, however many ask
  /** @param {boolean} [fresh] a new session even if the stored token looks alive */
  function ensureSession(fresh) {
    // The token is bound to who the host said the visitor was: another visitor (or none) needs a new one.
    const [identity, who] = context.identity();
    if (!fresh && (state.who || "") === who && state.token && Date.parse(state.expiresAt) - Date.now() > 60000) return Promise.resolve(state.token);
    if (opening) return opening;
    opening = (async () => {
      const body = { site: config.site, scanContext: await context.scan() };
      if (config.profile) body.profile = config.profile;
      if (config.landing) body.landing = config.landing;
      if (identity) body.identity = identity;
      const created = await transport.createSession(body);
      state.who = who;
      state.token = created.token;
      state.expiresAt = created.expiresAt;
      state.privacyUrl = created.privacyUrl || "";
      if (created.limits && created.limits.messageChars > 0) state.maxChars = created.limits.messageChars;
      state.scanSent = false;
      save();
      return state.token;
    })();
    opening.then(() => (opening = null), () => (opening = null));
    return opening;
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
    const shown = showTranscript({ messages: state.messages, view, t, retry: reask, retryError, now: Date.now() });
    mirror.follow(shown.reply);
    if (shown.following) {
      remoteBusy = true;
      view.setBusy(true);
    }
    if (shown.changed) save();
    if (shown.resume) run(shown.resume.text, false, shown.resume.message);
    else runPending();
  }

  /**
   * Page actions a reply asked for on the page it navigated to ("go to the
   * contact page and fill in the form"): run once, on that page, before they
   * expire; otherwise the transcript says they were not done.
   */
  function runPending() {
    const pending = store.take();
    if (!pending) return;
    const here = env.win.location;
    const target = new URL(pending.url);
    const onPage = target.pathname === here.pathname && target.search === here.search;
    if (!onPage || Date.now() - pending.at > PENDING_MS) return addNote(t("notDone"));
    // Which fields are private is known once the BFF's rules are here: until then none is filled.
    const go = () => context.ready().then(() => runCommands(pending.commands, state.token));
    // The widget may start before the rest of the page is parsed.
    if (env.doc.readyState === "loading") env.doc.addEventListener("DOMContentLoaded", go, { once: true });
    else go();
  }

  /**
   * Run a reply's commands in order and say in the transcript what each did.
   * A navigation carries the commands after it to the next page (see
   * runPending); on a QR landing page it becomes a link card instead.
   * @param {any[]} commands
   * @param {string} token
   */
  async function runCommands(commands, token) {
    // The BFF passes at most five; a reply asking for more is probing the page, not helping.
    commands = commands.slice(0, 5);
    for (let i = 0; i < commands.length; i++) {
      const command = commands[i];
      const outcome = await runCommand(command, env);
      if (outcome.result === "ignored") {
        console.warn("[repchat] ignored an unknown command", command && command.type);
        continue;
      }
      if (outcome.link && command.type === "fill_form" && !config.linkOnly && new URL(outcome.link).pathname !== env.win.location.pathname) {
        // The form lives on another page of the site: go there and fill it once it has loaded.
        commands = [{ type: "navigate", url: outcome.link }, command, ...commands.slice(i + 1)];
        i = -1;
        continue;
      }
      emit("command", { command, result: outcome.result });
      if (command.server) transport.reportCommand(token, command, outcome.result).catch(() => {});
      const vars = outcome.vars || {};
      if (outcome.result !== "executed") {
        console.warn("[repchat] a command could not run:", outcome.note);
        // The reply may have claimed this: correct it, and offer a way forward.
        addNote(t(outcome.key || "notDone"));
        if (outcome.link) addLink(outcome.link, pageName(env.doc, outcome.link));
        // Issue 16's contact card plugs in here (env.contact) for a window this page lacks.
        else if (outcome.key === "noModal" && env.contact) env.contact();
        continue;
      }
      if (outcome.url) {
        if (config.linkOnly) {
          addLink(outcome.url, vars.page);
          continue;
        }
        addNote(t("navigated", vars));
        const rest = commands.slice(i + 1);
        const target = new URL(outcome.url);
        const here = env.win.location;
        if (target.pathname === here.pathname && target.search === here.search) {
          env.navigate(outcome.url); // only the hash changes: the page stays, so go on here
          continue;
        }
        if (rest.length) store.hold({ url: outcome.url, at: Date.now(), commands: rest });
        save();
        env.navigate(outcome.url);
        return;
      }
      addNote(t(outcome.key || "done", vars));
      if (outcome.modal) stepAside(outcome.modal);
    }
  }

  /**
   * A host dialog opened with showModal() makes everything else inert, the
   * chat included: step aside while it is open and come back when it closes.
   * @param {HTMLDialogElement} dialog
   */
  function stepAside(dialog) {
    if (!view.isOpen() || config.inline) return;
    view.close();
    dialog.addEventListener("close", () => view.open(), { once: true });
  }

  /** Empty the log and show the greeting, as for a first visit. */
  function clearScreen() {
    const maxChars = state.maxChars; // the BFF's limit still holds for the next session
    state = store.load();
    if (maxChars) state.maxChars = maxChars;
    view.clear();
    if (config.greeting !== "") view.startReply(greeting().text, false).finish();
    if (config.starters && config.starters.length) view.setChips(config.starters, (text) => api.send(text));
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
    askedStop = false;
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
        const body = { content: text, uiContext: await context.ui() };
        if (!state.scanSent) body.scanContext = await context.scan();
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
      entry.time = Date.now();
      delete entry.resume;
      if (done.usage) state.usage = done.usage;
      show("done", finalText, entry.time);
      emit("message", { role: "assistant", text: finalText, id: done.message && done.message.id });
      if (done.message && done.message.id && view.addRating) view.addRating(done.message.id);
      finish(controller);
      await runCommands(done.commands || [], token);
      const refused = done.blockedCommands || [];
      for (const blocked of refused) {
        console.warn("[repchat] the BFF refused a command:", blocked.type, blocked.reason || "");
        emit("command", { command: blocked, result: "blocked" });
      }
      // One correction however many were refused: the visitor needs to know, not the list.
      if (refused.length) addNote(t("notDone"));
      save();
      const limit = config.compactAt;
      const grown = state.messages.length >= (state.compactedAt || 0) + 2;
      if (limit > 0 && grown && state.usage && state.usage.percentUsed >= limit) compact();
    } catch (error) {
      delete entry.resume;
      if (error && error.name === "AbortError") {
        entry.status = "stopped";
        show("end", t(stoppedElsewhere ? "stoppedElsewhere" : "stopped"), text);
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
      stoppedElsewhere = false;
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

  const api = {
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
    /** The visitor started typing: open the session now, so its limits are known before sending. */
    prepare: () => ensureSession().then(() => true, () => false),
    /** The most characters a message may have: the BFF's announced limit once known. */
    limit: () => state.maxChars || config.maxChars || 4000,
    /**
     * Send the visitor's words whole, or refuse (false) with a reason on
     * screen: nothing is ever cut.
     * @param {string} text
     */
    send(text) {
      const content = String(text || "").trim();
      if (!content || inFlight || remoteBusy) return false;
      if (content.length > api.limit()) {
        view.notice(t("tooLong", { count: content.length, limit: api.limit() }));
        emit("error", { code: "message_too_long", message: t("tooLong", { count: content.length, limit: api.limit() }) });
        return false;
      }
      if (!state.messages.length && config.greeting !== "") state.messages.push(greeting());
      const time = Date.now();
      state.messages.push({ role: "user", text: content, time });
      save();
      view.setChips([]);
      show("user", content, time);
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
      else if (remoteBusy) {
        askedStop = true;
        mirror.post("stop", []);
      }
    },
    /**
     * Start over: stop any reply, forget the transcript and the session (the
     * next message opens a new one), here and in the site's other tabs.
     */
    reset() {
      api.stop();
      store.clear();
      mirror.post("reset", []);
      clearScreen();
    },
    get state() {
      return state;
    },
  };
  return api;
}
