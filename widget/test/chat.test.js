// The conversation logic through createChat's injection seam: a scripted
// transport, an in-memory store, a view that records what it is told, and
// channels that connect two "tabs" in this process.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createChat } from "../src/chat.js";
import { createStore } from "../src/storage.js";

const t = (key, vars) => (vars ? key + " " + JSON.stringify(vars) : key);

function memoryStorage() {
  const items = new Map();
  return {
    getItem: (key) => (items.has(key) ? items.get(key) : null),
    setItem: (key, value) => items.set(key, String(value)),
    removeItem: (key) => items.delete(key),
  };
}

/** A view that keeps a readable list of what is on screen. */
function fakeView() {
  const view = {
    shown: [],
    busy: false,
    unread: 0,
    chips: [],
    open() {},
    isOpen: () => false,
    addUser: (text) => view.shown.push({ kind: "user", text }),
    startReply(initial = "") {
      const reply = {
        kind: "reply", text: initial, state: "streaming", retry: null,
        append: (text) => (reply.text += text),
        finish(final) {
          if (final != null) reply.text = final;
          reply.state = "done";
        },
        end(message, retry) {
          reply.state = message;
          reply.retry = retry;
        },
        remove: () => view.shown.splice(view.shown.indexOf(reply), 1),
      };
      view.shown.push(reply);
      return reply;
    },
    addNote: (text) => view.shown.push({ kind: "note", text }),
    addSummary() {
      const summary = { kind: "summary", text: "", append: (text) => (summary.text += text), finish: (text) => (summary.text = text), remove() {} };
      view.shown.push(summary);
      return summary;
    },
    addError(text, retry) {
      const error = { kind: "error", text, retry, remove: () => view.shown.splice(view.shown.indexOf(error), 1) };
      view.shown.push(error);
      return error;
    },
    addLink: (text, url) => view.shown.push({ kind: "link", text: text + " " + url }),
    notice: (text) => (view.noticed = text),
    clear: () => (view.shown.length = 0),
    close() {},
    setChips: (list) => (view.chips = list),
    setBusy: (busy) => (view.busy = busy),
    announce() {},
    setUnread: (count) => (view.unread = count),
  };
  return view;
}

/** Events of a reply as the transport hands them over: [name, data, id]. */
const tokens = (...parts) => parts.map((content, i) => ["token", { content }, "s1." + (i + 1)]);
const done = (content, extra = {}) => ["done", { message: { id: "m1", content }, ...extra }, "s1.99"];

/**
 * A transport whose streams replay scripted events. `script.send` and
 * `script.resume` are lists of calls; each call is a list of events,
 * optionally ending in an Error-like value to throw (a dropped connection).
 */
function fakeTransport(script) {
  const calls = { session: 0, send: [], resume: [], stop: [], commands: [] };
  // "hang" waits for a stop, as a real stream that is still open does.
  const hang = (signal) => new Promise((_, reject) => {
    const stopped = () => reject(new DOMException("stopped", "AbortError"));
    if (signal.aborted) stopped();
    else signal.addEventListener("abort", stopped);
  });
  const play = async (events, onEvent, signal) => {
    if (events === "hang") return hang(signal);
    for (const event of events) {
      await null;
      if (event === "hang") return hang(signal);
      if (!Array.isArray(event)) throw event;
      onEvent(...event);
    }
  };
  const transport = {
    calls,
    async createSession() {
      calls.session++;
      if (script.session && script.session.length) throw script.session.shift();
      return { token: "tok" + calls.session, expiresAt: new Date(Date.now() + 3600e3).toISOString() };
    },
    async sendMessage(token, body, onEvent, signal) {
      calls.send.push({ token, body });
      return play(script.send.shift(), onEvent, signal);
    },
    async resume(token, lastEventId, onEvent, signal) {
      calls.resume.push(lastEventId);
      return play(script.resume.shift(), onEvent, signal);
    },
    async stop(token, streamId) {
      calls.stop.push(streamId);
    },
    async reportCommand(token, command, result) {
      calls.commands.push({ command, result });
    },
    async contextUsage() {
      return { percentUsed: 10 };
    },
    async compact(token, onEvent) {
      onEvent("token", { content: "Recap" });
      onEvent("done", { compactedMessages: 4, summary: "Recap.", usage: { percentUsed: 20 } });
    },
  };
  return transport;
}

function setup({ script = { send: [] }, storage = memoryStorage(), channel = null, config = {}, href = "https://shop.example/" } = {}) {
  const view = fakeView();
  const transport = fakeTransport(script);
  const events = [];
  const listeners = [];
  const env = {
    doc: { links: [], readyState: "complete", querySelector: () => null }, host: null, handlers: {}, allowedOrigins: [], reducedMotion: true,
    win: { location: new URL(href), addEventListener: (name, fn) => listeners.push([name, fn]) },
    navigate: (url) => events.push(["navigate", url]),
  };
  const chat = createChat({
    config: { site: "demo", compactAt: 0, greeting: "Hello!", ...config },
    transport,
    store: createStore("test", storage),
    view, t,
    context: { ready: async () => {}, ui: () => ({ currentPage: "/" }), scan: () => ({ source: "web" }), identity: () => ["", ""] },
    env,
    emit: (name, detail) => events.push([name, detail]),
    channel,
  });
  const leavePage = () => listeners.filter(([name]) => name === "pagehide").forEach(([, fn]) => fn());
  /** @param {object} doc a stand-in for the host document */
  const setDoc = (doc) => (env.doc = doc);
  return { chat, view, transport, events, storage, leavePage, setDoc };
}

/** Wait until the conversation has settled (nothing in flight); resumes wait up to seconds. */
async function settled(view) {
  for (const until = Date.now() + 10000; Date.now() < until;) {
    await new Promise((resolve) => setTimeout(resolve, 2));
    if (!view.busy) return;
  }
  throw new Error("the conversation never settled");
}

const summary = (view) => view.shown.map((item) => [item.kind, item.text, item.state].filter((x) => x !== undefined));

test("a message streams its reply in and both are kept for the next page", async () => {
  const { chat, view, transport, events, storage } = setup({ script: { send: [[...tokens("Plans ", "start "), done("Plans start at $9.")]] } });
  chat.restore();
  assert.equal(chat.send("  What does it cost?  "), true);
  assert.equal(view.busy, true);
  await settled(view);
  assert.deepEqual(summary(view), [["reply", "Hello!", "done"], ["user", "What does it cost?"], ["reply", "Plans start at $9.", "done"]]);
  assert.equal(transport.calls.send.length, 1);
  assert.equal(transport.calls.send[0].body.content, "What does it cost?");
  assert.deepEqual(transport.calls.send[0].body.scanContext, { source: "web" }, "the first message says how the visitor arrived");
  assert.deepEqual(events.filter(([name]) => name === "message").map(([, d]) => d.role), ["user", "assistant"]);
  const stored = JSON.parse(storage.getItem("test"));
  assert.deepEqual(stored.messages.map((m) => [m.role, m.text, m.status]), [
    ["bot", "Hello!", "done"], ["user", "What does it cost?", undefined], ["bot", "Plans start at $9.", "done"],
  ]);
  assert.equal(view.unread, 1, "a reply that lands while the panel is closed counts as unread");
});

test("nothing is sent while a reply is being written, nor an empty message", async () => {
  const { chat, view } = setup({ script: { send: ["hang"] } });
  chat.restore();
  assert.equal(chat.send("   "), false);
  assert.equal(chat.send("first"), true);
  assert.equal(chat.send("second"), false);
  chat.stop();
  await settled(view);
  assert.deepEqual(summary(view).at(-1), ["reply", "", "stopped"]);
  assert.equal(chat.state.messages.at(-1).role, "user", "a reply stopped before its first token is not stored");
});

test("a connection dropped mid-reply is resumed from the last event, never re-sent", async () => {
  const drop = { code: "network" };
  const { chat, view, transport } = setup({
    script: { send: [[...tokens("Hel"), drop]], resume: [[["token", { content: "lo" }, "s1.2"], drop], [["token", { content: "!" }, "s1.3"], done("Hello!")]] },
  });
  chat.restore();
  chat.send("hi");
  await settled(view);
  assert.equal(transport.calls.send.length, 1);
  assert.deepEqual(transport.calls.resume, ["s1.1", "s1.2"]);
  assert.deepEqual(summary(view).at(-1), ["reply", "Hello!", "done"]);
});

test("an expired session is renewed once, with a note, and the message goes through", async () => {
  const expired = { code: "token_expired", message: "expired" };
  const script = { send: [[done("Hi.")], [expired], [...tokens("Yes"), done("Yes")]] };
  const { chat, view, transport } = setup({ script });
  chat.restore();
  chat.send("hello");
  await settled(view);
  chat.send("trial?");
  await settled(view);
  assert.equal(transport.calls.session, 2);
  assert.deepEqual(transport.calls.send.map((call) => call.token), ["tok1", "tok1", "tok2"]);
  assert.deepEqual(summary(view).slice(3), [["user", "trial?"], ["note", "renewed"], ["reply", "Yes", "done"]]);
});

test("a first chat that fails never claims a previous conversation expired", async () => {
  const notFound = { code: "session_not_found", message: "This conversation no longer exists." };
  for (const script of [{ send: [], session: [notFound] }, { send: [[notFound]] }]) {
    const { chat, view, transport } = setup({ script });
    chat.restore();
    chat.send("hello");
    await settled(view);
    assert.ok(!summary(view).some(([kind]) => kind === "note"), JSON.stringify(summary(view)));
    assert.equal(view.shown.at(-1).text, "unavailable");
    assert.equal(transport.calls.session, 1);
  }
});

test("a failure before the reply starts shows an error whose Retry sends again once", async () => {
  const { chat, view, transport, events } = setup({ script: { send: [[{ code: "upstream_error", message: "The Representative is unavailable." }], [done("Back.")]] } });
  chat.restore();
  chat.send("hello");
  await settled(view);
  const error = view.shown.at(-1);
  assert.deepEqual([error.kind, error.text], ["error", "serviceDown"]); // the BFF's words go to the console
  assert.ok(events.some(([name, detail]) => name === "error" && detail.code === "upstream_error"));
  error.retry();
  await settled(view);
  assert.equal(transport.calls.send.length, 2);
  assert.deepEqual(summary(view).slice(1), [["user", "hello"], ["reply", "Back.", "done"]]);
  assert.ok(!chat.state.messages.some((m) => m.role === "error"), "the retried error leaves the transcript");
});

test("a reply cut off mid-way ends interrupted, with a Retry", async () => {
  const { chat, view } = setup({ script: { send: [[...tokens("Half"), { code: "stream_gone" }]] } });
  chat.restore();
  chat.send("tell me");
  await settled(view);
  const reply = view.shown.at(-1);
  assert.deepEqual([reply.text, reply.state], ["Half", "interrupted"]);
  assert.equal(typeof reply.retry, "function");
  assert.equal(chat.state.messages.at(-1).status, "interrupted");
});

test("commands run through the guards and the transcript says what happened", async () => {
  const commands = [{ type: "navigate", url: "https://evil.example/" }, { type: "navigate", url: "/pricing", server: true }];
  const { chat, view, transport, events } = setup({ script: { send: [[done("Here.", { commands })]] } });
  chat.restore();
  chat.send("pricing?");
  await settled(view);
  await new Promise((resolve) => setTimeout(resolve, 5));
  // Visitor words only: no selector, no command name, no origin.
  assert.deepEqual(summary(view).slice(-2), [["note", "noPage"], ["note", 'navigated {"page":"pricing"}']]);
  assert.deepEqual(events.filter(([name]) => name === "navigate"), [["navigate", "https://shop.example/pricing"]]);
  assert.deepEqual(transport.calls.commands.map((c) => c.result), ["executed"]);
});

test("a page left mid-reply resumes that reply on the next page", async () => {
  const storage = memoryStorage();
  const first = setup({ storage, script: { send: ["hang"] } });
  first.chat.restore();
  first.chat.send("integrations?");
  await new Promise((resolve) => setTimeout(resolve, 5));
  // The reply had started: pretend the stream delivered two tokens.
  const saved = JSON.parse(storage.getItem("test"));
  saved.messages.push({ role: "bot", text: "We have ", status: "streaming", resume: "s1.2", at: Date.now(), left: true });
  storage.setItem("test", JSON.stringify(saved));

  const next = setup({ storage, script: { send: [], resume: [[["token", { content: "many." }, "s1.3"], done("We have many.")]] } });
  next.chat.restore();
  await settled(next.view);
  assert.deepEqual(next.transport.calls.resume, ["s1.2"]);
  assert.equal(next.transport.calls.send.length, 0, "the visitor's message is not sent twice");
  assert.deepEqual(summary(next.view).at(-1), ["reply", "We have many.", "done"]);
});

test("a stale reply still marked streaming comes back as interrupted", () => {
  const storage = memoryStorage();
  const messages = [{ role: "user", text: "q" }, { role: "bot", text: "partial", status: "streaming", at: Date.now() - 60000 }];
  storage.setItem("test", JSON.stringify({ token: "", expiresAt: "", messages, scanSent: true }));
  const { chat, view } = setup({ storage });
  chat.restore();
  assert.deepEqual(summary(view), [["user", "q"], ["reply", "partial", "interrupted"]]);
  assert.equal(JSON.parse(storage.getItem("test")).messages[1].status, "interrupted");
});

test("leaving the page mid-reply marks it for resuming", async () => {
  const { chat, view, storage, leavePage } = setup({ script: { send: [[...tokens("Par"), "hang"]] } });
  chat.restore();
  chat.send("q");
  await new Promise((resolve) => setTimeout(resolve, 5));
  leavePage();
  const last = JSON.parse(storage.getItem("test")).messages.at(-1);
  assert.deepEqual([last.status, last.left, last.resume], ["streaming", true, "s1.1"]);
  assert.equal(view.busy, false);
});

/** Two channels that deliver each other's messages, like a BroadcastChannel across tabs. */
function channelPair() {
  const a = { onmessage: null, postMessage: (data) => setTimeout(() => b.onmessage && b.onmessage({ data })) };
  const b = { onmessage: null, postMessage: (data) => setTimeout(() => a.onmessage && a.onmessage({ data })) };
  return [a, b];
}

test("another tab of the site mirrors the conversation and can stop it", async () => {
  const storage = memoryStorage();
  const [one, two] = channelPair();
  const writer = setup({ storage, channel: one, script: { send: [[...tokens("A ", "B"), done("A B")], "hang"] } });
  const reader = setup({ storage, channel: two });
  writer.chat.restore();
  reader.chat.restore();
  writer.chat.send("first");
  await settled(writer.view);
  await new Promise((resolve) => setTimeout(resolve, 5));
  assert.deepEqual(summary(reader.view), summary(writer.view));
  assert.equal(reader.chat.state.messages.length, 3, "the mirror takes the saved transcript as its own");

  writer.chat.send("second");
  await new Promise((resolve) => setTimeout(resolve, 5));
  assert.equal(reader.view.busy, true);
  assert.equal(reader.chat.send("meanwhile"), false, "one reply at a time across tabs");
  reader.chat.stop();
  await settled(writer.view);
  await new Promise((resolve) => setTimeout(resolve, 5));
  assert.equal(reader.view.busy, false);
  assert.deepEqual(summary(reader.view).at(-1), ["reply", "", "stopped"]);
});

test("a tab takes only well-formed ops from the channel", async () => {
  const [one, two] = channelPair();
  const reader = setup({ channel: two });
  reader.chat.restore();
  const before = JSON.stringify(summary(reader.view));
  for (const data of [{ op: "note", args: [{ toString: () => "x" }] }, { op: "note", args: ["a", "b", "c"] },
    { op: "note", args: "text" }, { op: 42 }, { op: "note", args: ["x".repeat(200000)] }, null, "note"]) {
    one.postMessage(data);
  }
  await new Promise((resolve) => setTimeout(resolve, 5));
  assert.equal(JSON.stringify(summary(reader.view)), before);
  one.postMessage({ op: "note", args: ["from the other tab"] });
  await new Promise((resolve) => setTimeout(resolve, 5));
  assert.deepEqual(summary(reader.view).at(-1), ["note", "from the other tab"]);
});

test("a full context is compacted into a recap after the reply", async () => {
  const usage = { percentUsed: 85 };
  const { chat, view, events } = setup({ config: { compactAt: 80 }, script: { send: [[done("Sure.", { usage })]] } });
  chat.restore();
  chat.send("more");
  await settled(view);
  for (let i = 0; i < 50 && !events.some(([name]) => name === "compact"); i++) await new Promise((resolve) => setTimeout(resolve, 1));
  assert.deepEqual(events.find(([name]) => name === "compact")[1], { summary: "Recap.", usage: { percentUsed: 20 } });
  assert.deepEqual(summary(view).at(-1), ["summary", "Recap."]);
  assert.equal(chat.state.messages.at(-1).role, "summary");
});

test("actions after a navigation run once on the page it leads to, and expire", async () => {
  const storage = memoryStorage();
  const commands = [{ type: "navigate", url: "/contact" }, { type: "scroll_to", selector: "#form" }];
  const first = setup({ storage, script: { send: [[done("Taking you there.", { commands })]] } });
  first.chat.restore();
  first.chat.send("contact form?");
  await settled(first.view);
  await new Promise((resolve) => setTimeout(resolve, 5));
  assert.deepEqual(first.events.filter(([name]) => name === "navigate"), [["navigate", "https://shop.example/contact"]]);
  assert.equal(JSON.parse(storage.getItem("test:pending")).commands.length, 1);

  const next = setup({ storage, href: "https://shop.example/contact" });
  next.chat.restore();
  await new Promise((resolve) => setTimeout(resolve, 5));
  assert.deepEqual(summary(next.view).at(-1), ["note", "noTarget"], "the test page has no #form: corrected, not claimed");
  assert.equal(storage.getItem("test:pending"), null, "run once");

  // Expired, or on another page: dropped with a correction.
  storage.setItem("test:pending", JSON.stringify({ url: "https://shop.example/contact", at: Date.now() - 60000, commands }));
  const late = setup({ storage, href: "https://shop.example/contact" });
  late.chat.restore();
  assert.deepEqual(summary(late.view).at(-1), ["note", "notDone"]);
});

test("on a QR landing page navigation becomes a link card", async () => {
  const commands = [{ type: "navigate", url: "/pricing" }];
  const { chat, view, events } = setup({ config: { linkOnly: true }, script: { send: [[done("Linked below.", { commands })]] } });
  chat.restore();
  chat.send("price?");
  await settled(view);
  await new Promise((resolve) => setTimeout(resolve, 5));
  assert.deepEqual(summary(view).at(-1), ["link", 'openTab {"page":"pricing"} https://shop.example/pricing']);
  assert.equal(events.filter(([name]) => name === "navigate").length, 0, "the visitor stays in the chat");
  assert.equal(chat.state.messages.at(-1).role, "link", "kept in the transcript");
});

test("a stale Retry asks again at the end of the conversation", async () => {
  const { chat, view, transport } = setup({ script: { send: [[{ code: "upstream_error", message: "Down." }], [done("B answer.")], [done("A answer.")]] } });
  chat.restore();
  chat.send("A");
  await settled(view);
  const error = view.shown.at(-1);
  chat.send("B");
  await settled(view);
  error.retry();
  await settled(view);
  assert.equal(transport.calls.send.length, 3);
  assert.deepEqual(summary(view).slice(1).filter(([kind]) => kind !== "error"),
    [["user", "A"], ["user", "B"], ["reply", "B answer.", "done"], ["user", "A"], ["reply", "A answer.", "done"]]);
  assert.deepEqual(chat.state.messages.slice(-2).map((m) => m.text), ["A", "A answer."]);
});

test("a message over the limit is refused whole, never cut", async () => {
  const { chat, view, transport } = setup({ config: { maxChars: 10 } });
  chat.restore();
  assert.equal(chat.send("x".repeat(11)), false);
  assert.match(view.noticed, /^tooLong/);
  assert.equal(transport.calls.send.length, 0);
  assert.equal(chat.limit(), 10);
});

test("Stop pressed in another tab is reported as such in the tab that was writing", async () => {
  const storage = memoryStorage();
  const [one, two] = channelPair();
  const writer = setup({ storage, channel: one, script: { send: ["hang"] } });
  const reader = setup({ storage, channel: two });
  writer.chat.restore();
  reader.chat.restore();
  writer.chat.send("long one");
  await new Promise((resolve) => setTimeout(resolve, 5));
  reader.chat.stop();
  await settled(writer.view);
  await new Promise((resolve) => setTimeout(resolve, 5));
  assert.deepEqual(summary(writer.view).at(-1), ["reply", "", "stoppedElsewhere"]);
  assert.deepEqual(summary(reader.view).at(-1), ["reply", "", "stopped"]);
});

test("New conversation forgets the transcript and the session, in every tab", async () => {
  const storage = memoryStorage();
  const [one, two] = channelPair();
  const here = setup({ storage, channel: one, script: { send: [[done("Hi.")], [done("Fresh.")]] } });
  const there = setup({ storage, channel: two });
  here.chat.restore();
  there.chat.restore();
  here.chat.send("hello");
  await settled(here.view);
  here.chat.reset();
  await new Promise((resolve) => setTimeout(resolve, 5));
  assert.equal(storage.getItem("test"), null);
  assert.deepEqual(summary(here.view), [["reply", "Hello!", "done"]]);
  assert.deepEqual(summary(there.view), [["reply", "Hello!", "done"]]);
  here.chat.send("again");
  await settled(here.view);
  assert.equal(here.transport.calls.session, 2, "a new session");
});

test("a form the page lacks, on another page of the site, is filled there after navigating", async () => {
  const storage = memoryStorage();
  const fill = { type: "fill_form", form: "#contact-form", fields: { name: "Ana" } };
  const first = setup({ storage, script: { send: [[done("Filling it in.", { commands: [fill] })]] } });
  const contact = new URL("https://shop.example/contact");
  const env = { links: [{ href: contact.href, origin: contact.origin, pathname: contact.pathname, textContent: "Contact" }], location: new URL("https://shop.example/"), readyState: "complete", querySelector: () => null };
  // The page has no such form, but links to /contact: go there, carrying the fill.
  first.setDoc(env);
  first.chat.restore();
  first.chat.send("fill the form, I'm Ana");
  await settled(first.view);
  await new Promise((resolve) => setTimeout(resolve, 5));
  assert.deepEqual(first.events.filter(([name]) => name === "navigate"), [["navigate", "https://shop.example/contact"]]);
  assert.deepEqual(JSON.parse(storage.getItem("test:pending")).commands, [fill]);
  assert.deepEqual(summary(first.view).at(-1), ["note", 'navigated {"page":"contact"}']);
  assert.ok(!summary(first.view).some(([kind, text]) => kind === "note" && /^no/.test(text)), "no correction: it is being done");
});

test("actions carried over a navigation belong to the tab that navigated", () => {
  const local = memoryStorage();
  const tab = createStore("test", local, memoryStorage());
  const otherTab = createStore("test", local, memoryStorage());
  tab.hold({ url: "https://shop.example/contact", at: Date.now(), commands: [{ type: "scroll_to", selector: "#form" }] });
  assert.equal(otherTab.take(), null, "another tab of the site never runs them");
  assert.equal(tab.take().commands.length, 1);
  assert.equal(tab.take(), null, "once");
});
