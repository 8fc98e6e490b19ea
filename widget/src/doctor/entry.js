// @ts-check
// The doctor script's entry (built to /widget/doctor.<hash>.js): it hands the
// doctor to the widget.js that loaded it, as the conversation chunk does.
import { diagnose } from "./index.js";
import { CONTRACT } from "../loader.js";

/** @type {Window & {__repchatChunk?: import("../loader.js").Doctor}} */ (window).__repchatChunk = { contract: CONTRACT, diagnose };
