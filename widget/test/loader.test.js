// Loading the conversation UI: one <script src> under the BFF, handed over
// through a property the chunk sets, refused when its contract differs.
import { test } from "node:test";
import assert from "node:assert/strict";
import { CONTRACT, DOCTOR, chunkUrl, loadChunk } from "../src/loader.js";

/** A document whose scripts "run" by calling `behave(script, win)` once appended. */
function fakePage(behave) {
  const win = {};
  const added = [];
  const doc = {
    head: {
      appendChild(script) {
        added.push(script);
        script.isConnected = true;
        queueMicrotask(() => behave(script, win));
      },
    },
    createElement(tag) {
      assert.equal(tag, "script");
      const listeners = {};
      return {
        addEventListener: (name, fn) => (listeners[name] = fn),
        fire: (name) => listeners[name](),
        remove() {
          this.isConnected = false;
        },
      };
    },
  };
  return { win, doc, added };
}

const mountConversation = () => ({});

test("the chunk is a script from the BFF that hands itself over and is then removed", async () => {
  const { win, doc, added } = fakePage((script, w) => {
    w.__repchatChunk = { contract: CONTRACT, mountConversation };
    script.fire("load");
  });
  const chunk = await loadChunk(doc, win, "https://chat.example");
  assert.equal(chunk.mountConversation, mountConversation);
  assert.equal(added.length, 1);
  assert.equal(added[0].src, chunkUrl("https://chat.example"));
  assert.match(added[0].src, /^https:\/\/chat\.example\/widget\/chunk\.([0-9a-f]{16}\.)?js$/); // hashed when built
  assert.equal(added[0].async, true);
  assert.equal(added[0].isConnected, false);
  assert.ok(!("__repchatChunk" in win), "the hand-over property does not linger on the page");
});

test("a script that fails, does not run, or fits another widget.js is refused", async () => {
  const failing = fakePage((script) => script.fire("error"));
  await assert.rejects(loadChunk(failing.doc, failing.win, "https://chat.example"), /could not load https:\/\/chat\.example\/widget\//);
  const silent = fakePage((script) => script.fire("load"));
  await assert.rejects(loadChunk(silent.doc, silent.win, "https://chat.example"), /did not run/);
  const other = fakePage((script, w) => {
    w.__repchatChunk = { contract: CONTRACT + 1, mountConversation };
    script.fire("load");
  });
  await assert.rejects(loadChunk(other.doc, other.win, "https://chat.example"), /another version of widget\.js/);
});

test("the embed doctor is another script of the BFF, loaded the same way only when asked", async () => {
  const diagnose = () => ({});
  const { win, doc, added } = fakePage((script, w) => {
    w.__repchatChunk = { contract: CONTRACT, diagnose };
    script.fire("load");
  });
  const doctor = await loadChunk(doc, win, "https://chat.example", DOCTOR);
  assert.equal(doctor.diagnose, diagnose);
  assert.match(added[0].src, /^https:\/\/chat\.example\/widget\/doctor\.([0-9a-f]{16}\.)?js$/);
  assert.notEqual(added[0].src, chunkUrl("https://chat.example"));
  assert.ok(!("__repchatChunk" in win));
});
