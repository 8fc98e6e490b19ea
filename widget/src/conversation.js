// @ts-check
// The conversation UI: the panel, its bubbles and the chat behind them,
// wired to the transport and to the site's other tabs. Mounted when the
// visitor (or the host page) first needs it, never at page load.
import { createBubbles } from "./bubbles.js";
import { createChat } from "./chat.js";
import { createPageContext } from "./context.js";
import { formatter } from "./i18n.js";
import { createLeads } from "./leads.js";
import { createPanel } from "./panel.js";
import { CONVERSATION_EN } from "./strings.js";
import { createTransport } from "./transport.js";

/** @typedef {import("./chat.js").View} View */
/** @typedef {import("./chat.js").Config} ChatConfig */
/** @typedef {import("./launcher.js").Frame} Frame */
/** @typedef {import("./storage.js").Store} Store */
/** @typedef {import("./commands.js").Env} Env */
/** @typedef {ReturnType<typeof createChat>} Chat */

/**
 * @typedef {object} ConversationOptions
 * @property {Document} doc
 * @property {Window} win
 * @property {HTMLElement} host
 * @property {Frame} frame
 * @property {Record<string, string>} strings the visitor's language from widget.js, over the launcher's English
 * @property {string} mode
 * @property {ChatConfig & {base: string, title?: string, subtitle?: string, avatar?: string, imageHosts: string, source?: string}} config
 * @property {Store} store
 * @property {string} key the storage key, also the name of the tabs' channel
 * @property {{clicks: () => Element[], extra: () => Record<string, unknown>, identity: () => string[]}} page what
 *   widget.js tracked of the page since load, and the visitor's signed identity
 * @property {Env} env
 * @property {(name: string, detail?: unknown) => void} emit
 */

/**
 * @typedef {object} Conversation
 * @property {Chat} chat
 * @property {View & {close: () => void}} view
 * @property {ReturnType<typeof createLeads>} leads
 * @property {() => void} destroy
 */

/**
 * Build the panel and the chat, and put the stored transcript back on screen.
 * @param {ConversationOptions} options
 * @returns {Conversation}
 */
export function mountConversation(options) {
  const { doc, win, host, frame, mode, config, emit } = options;
  const context = {
    ...createPageContext({ win, doc, base: config.base, source: config.source, clicks: options.page.clicks, extra: options.page.extra }),
    identity: options.page.identity,
  };
  const t = formatter(options.strings, CONVERSATION_EN);
  /** @type {Chat} */
  let chat;
  const panel = createPanel({
    doc, win, host, frame, t, mode,
    title: config.title, subtitle: config.subtitle, avatar: config.avatar,
    handlers: {
      send: (text) => chat.send(text),
      contact: () => leads.openContact(),
      stop: () => chat.stop(),
      reset: () => chat.reset(),
      limit: () => chat.limit(),
      prepare: () => chat.prepare(),
      open: () => {
        context.ready(); // what counts as secret, before the visitor's first message
        chat.remember({ open: true });
        emit("open");
      },
      close: () => {
        chat.remember({ open: false });
        emit("close");
      },
      expand: (on) => {
        panel.expand(on);
        chat.remember({ expanded: on });
      },
    },
  });
  const bubbles = createBubbles({
    doc, win, t, lang: host.getAttribute("lang") || "en", imageHosts: config.imageHosts,
    append: panel.append, nearBottom: panel.nearBottom, follow: panel.follow, reveal: panel.reveal, announce: panel.announce,
  });
  const transport = createTransport(config.base);
  const leads = createLeads({
    doc, t, transport, emit, profile: config.profile, append: panel.append, show: panel.open,
    session: (fresh) => chat.session(fresh),
    privacyUrl: () => chat.state.privacyUrl || "",
    note: (text) => {
      chat.note(text);
      chat.remember({});
    },
  });
  // `collect_contact`, and an open_modal for a contact window the page lacks, open the card.
  options.env.contact = (prefill) => leads.openContact(prefill);
  /** @type {View & {close: () => void}} */
  const view = {
    ...bubbles,
    open: panel.open,
    close: panel.close,
    clear: panel.clear,
    notice: panel.notice,
    isOpen: panel.isOpen,
    setBusy: panel.setBusy,
    setChips: panel.setChips,
    announce: panel.announce,
    addRating: leads.addRating,
    setUnread: frame.setUnread,
    get unread() {
      return frame.unread;
    },
  };
  // Tabs of the same site share one conversation (see tabs.js).
  const channel = "BroadcastChannel" in win ? new BroadcastChannel(options.key) : null;
  chat = createChat({
    // On a QR landing page the chat is the page: links open beside it, never instead of it.
    config: { ...config, linkOnly: mode === "fullscreen", inline: mode === "inline" },
    transport,
    store: options.store,
    view, t, context, env: options.env, emit, channel,
  });
  chat.restore();
  if (chat.state.expanded) panel.expand(true);
  return {
    chat,
    view,
    leads,
    destroy() {
      chat.stop();
      if (channel) channel.close();
      panel.destroy();
    },
  };
}
