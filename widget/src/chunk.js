// @ts-check
// The second script's entry (see loader.js): it hands the conversation UI
// to the widget.js that loaded it.
import { mountConversation } from "./conversation.js";
import { CONTRACT } from "./loader.js";

/** @type {Window & {__repchatChunk?: import("./loader.js").Chunk}} */ (window).__repchatChunk = { contract: CONTRACT, mountConversation };
