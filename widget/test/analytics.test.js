import { test } from "node:test";
import assert from "node:assert/strict";
import { withAnalytics } from "../src/analytics.js";

/** The public events heard and the window the analytics array lives on. */
function setUp(layer) {
  const heard = [];
  const win = {};
  const emit = withAnalytics(win, layer, "shop", (name, detail) => heard.push([name, detail]));
  return { heard, win, emit };
}

test("nothing is pushed without data-analytics; listeners still hear the analytics events", () => {
  const { heard, win, emit } = setUp(undefined);
  emit("open");
  assert.deepEqual(win, {});
  assert.deepEqual(heard, [["open", undefined], ["analytics", { event: "repchat_opened", repchat: { site: "shop" } }]]);
});

test("the named array is created, or an existing one (Tag Manager's) is pushed to", () => {
  const fresh = setUp("");
  fresh.emit("close");
  assert.deepEqual(fresh.win.dataLayer, [{ event: "repchat_closed", repchat: { site: "shop" } }]);
  const existing = setUp("_mtm");
  const seen = [];
  existing.win._mtm = { push: (event) => seen.push(event.event) };
  existing.emit("lead");
  assert.deepEqual(seen, ["repchat_lead_sent"]);
});

test("events carry counts and known words, never text or what the model made up", () => {
  const { win, emit } = setUp("dataLayer");
  emit("message", { role: "user", text: "My email is ada@example.com" });
  emit("message", { role: "assistant", text: "Thanks Ada", id: "msg_1" });
  emit("command", { command: { type: "fill_form", fields: { email: "ada@example.com" } }, result: "executed" });
  emit("command", { command: { type: "ada_lovelace_ssn" }, result: "blocked" });
  emit("rating", { rating: "down", messageId: "msg_1" });
  emit("compact", { summary: "Ada asked about pricing" });
  emit("error", { code: "network", message: "The connection failed" });
  const events = win.dataLayer.map(({ event, repchat }) => [event, repchat]);
  assert.equal(events[1][1].durationMs >= 0, true);
  delete events[1][1].durationMs;
  assert.deepEqual(events, [
    ["repchat_message_sent", { site: "shop", characters: 27 }],
    ["repchat_reply_finished", { site: "shop", characters: 10 }],
    ["repchat_command_run", { site: "shop", commandType: "fill_form", result: "executed" }],
    ["repchat_command_run", { site: "shop", commandType: "other", result: "blocked" }],
    ["repchat_rating", { site: "shop", rating: "down" }],
  ]);
  assert.doesNotMatch(JSON.stringify(win.dataLayer), /ada|Ada|@|msg_1/);
});

test("the widget reopening the panel by itself is no new opening", () => {
  const { win, emit } = setUp("dataLayer");
  emit("open", { auto: true });
  assert.equal(win.dataLayer, undefined);
});
