// @ts-check
// The widget's styles, adopted into its shadow root as a constructable
// stylesheet: no <style> element and no style attribute, so a host page's
// strict Content-Security-Policy (style-src 'self') does not block them,
// and host CSS cannot reach in. Theme with the --rc-* custom properties.
const BASE_CSS = `
:host{all:initial;position:fixed;z-index:var(--rc-z,2147483000);bottom:calc(var(--rc-bottom,20px) + var(--rc-lift,0px));right:var(--rc-side,20px);
 --rc-accent:#2563eb;--rc-accent-text:#fff;--rc-bg:#fff;--rc-text:#0f172a;--rc-muted:#475569;
 --rc-bubble:#f1f5f9;--rc-border:#e2e8f0;--rc-radius:16px;--rc-font:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;
 --rc-size:15px;--rc-width:380px;--rc-height:620px;--rc-error:#b91c1c;--rc-focus:#1d4ed8;
 font-family:var(--rc-font);font-size:var(--rc-size);color:var(--rc-text);line-height:1.45}
:host([data-position=left]){right:auto;left:var(--rc-side,20px)}
:host([data-mode=inline]){position:relative;inset:auto;display:block;z-index:auto}
:host([data-theme=dark]){--rc-bg:#0f172a;--rc-text:#e2e8f0;--rc-muted:#94a3b8;--rc-bubble:#1e293b;--rc-border:#334155;--rc-error:#fca5a5;--rc-focus:#93c5fd}
@media (prefers-color-scheme:dark){:host(:not([data-theme=light])){--rc-bg:#0f172a;--rc-text:#e2e8f0;--rc-muted:#94a3b8;--rc-bubble:#1e293b;--rc-border:#334155;--rc-error:#fca5a5;--rc-focus:#93c5fd}}
*{box-sizing:border-box}
[hidden]{display:none!important}
.sr{position:absolute;width:1px;height:1px;margin:-1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap;border:0}
button{font:inherit;color:inherit;cursor:pointer}
:focus-visible{outline:3px solid var(--rc-focus);outline-offset:2px}
.launcher{width:60px;height:60px;border-radius:50%;border:0;background:var(--rc-accent);color:var(--rc-accent-text);
 box-shadow:0 8px 24px rgba(15,23,42,.25);display:grid;place-items:center;position:relative}
.launcher i{position:relative;width:19px;height:14px;margin:-5px 0 0;border-radius:2px;background:currentColor}
.launcher i::after{content:"";position:absolute;top:100%;left:0;border-top:5px solid currentColor;border-right:6px solid transparent}
.badge{position:absolute;top:-2px;right:-2px;min-width:20px;height:20px;border-radius:10px;background:#dc2626;color:#fff;font-size:12px;font-weight:700;display:grid;place-items:center;padding:0 5px}
.preview{position:absolute;bottom:72px;right:0;display:flex;align-items:flex-start;gap:4px;width:max-content;max-width:min(300px,calc(100vw - 40px));
 background:var(--rc-bg);color:var(--rc-text);border:1px solid var(--rc-border);border-radius:14px;box-shadow:0 8px 24px rgba(15,23,42,.18);padding:6px}
.teaser{border:0;background:none;text-align:start;padding:6px 8px;font-size:.95em;line-height:1.4}
.dismiss{border:0;background:none;width:28px;height:28px;border-radius:50%;font-size:18px;line-height:1;flex:none}
:host([data-position=left]) .preview{right:auto;left:0}
.notice{flex-direction:column;padding:10px 12px;color:var(--rc-error)}
.notice p{margin:0;color:var(--rc-text)}
:host(:not([data-mode=launcher])) .notice{position:static;max-width:none}
.retry{margin-top:8px;display:inline-block;border:1px solid currentColor;background:transparent;border-radius:999px;padding:4px 12px;font-size:.9em}
:host([dir=rtl]) [data-icon=send],:host([dir=rtl]) [data-icon=chat]{transform:scaleX(-1)}
`;

// The panel's rules, adopted when the panel is first built.
const PANEL_CSS = `
.panel{position:absolute;bottom:76px;right:0;width:var(--rc-width);height:min(var(--rc-height),calc(100dvh - 120px - var(--rc-lift,0px)));
 background:var(--rc-bg);color:var(--rc-text);border:1px solid var(--rc-border);border-radius:var(--rc-radius);
 box-shadow:0 16px 48px rgba(15,23,42,.28);display:flex;flex-direction:column;overflow:hidden}
:host([data-position=left]) .panel{right:auto;left:0}
:host([data-expanded]) .panel{width:min(760px,calc(100vw - 40px));height:calc(100dvh - 120px - var(--rc-lift,0px))}
:host([data-mode=inline]){height:100%;min-height:var(--rc-min-height,360px);min-width:280px}
:host([data-mode=inline][data-fit-auto]){height:var(--rc-height)}
:host([data-mode=inline]) .panel{position:absolute;inset:0;width:auto;height:auto;box-shadow:none}
:host([data-mode=fullscreen]) .panel,.panel.full{position:fixed;inset:0;width:auto;height:var(--rc-vh,100dvh);border-radius:0;border:0}
@media (max-width:640px){:host(:not([data-mode=inline])) .panel{position:fixed;inset:0;width:auto;height:var(--rc-vh,100dvh);border-radius:0;border:0}.hbtn.grow{display:none}}
header{display:flex;align-items:center;gap:12px;padding:14px 16px;background:var(--rc-accent);color:var(--rc-accent-text);padding-top:max(14px,env(safe-area-inset-top))}
.avatar{width:38px;height:38px;border-radius:50%;background:rgba(0,0,0,.25);display:grid;place-items:center;font-weight:700;flex:none}
.who{flex:1;min-width:0}
h2{margin:0;font-size:1.05em;font-weight:650}
.sub{margin:0;font-size:.85em;opacity:.92}
.close{border:0;background:transparent;color:inherit;width:40px;height:40px;border-radius:50%;font-size:24px;line-height:1}
.close:hover,.hbtn:hover,.new:hover{background:rgba(255,255,255,.18)}
.hbtn,.new,.thumb{border:0;background:transparent;color:inherit;width:40px;height:40px;border-radius:50%;display:grid;place-items:center;flex:none}
.hbtn svg,.new svg{width:22px;height:22px}
.lead{display:block;align-self:stretch;border:1px solid var(--rc-border);border-radius:12px;padding:12px;background:var(--rc-bg)}
.lead h3{margin:0;font-size:1em}.lead .sub{margin:2px 0 8px;color:var(--rc-muted)}
.row{display:flex;flex-direction:column;gap:3px;margin:0 0 8px}.row.check{flex-direction:row;flex-wrap:wrap;align-items:flex-start;gap:8px}
.row label{font-size:.9em;font-weight:600}.row.check label{flex:1;font-weight:400}.row a{color:var(--rc-focus)}
.check input{width:20px;height:20px;margin:2px 0 0;accent-color:var(--rc-accent)}
.lead input:not([type=checkbox]),.lead textarea{width:100%;border:1px solid var(--rc-muted);border-radius:8px;padding:8px 10px;font:inherit;font-size:16px;color:var(--rc-text);background:var(--rc-bg);min-height:0}
[aria-invalid=true]{border-color:var(--rc-error)!important}
.err{display:block;color:var(--rc-error);font-size:.85em;margin:0}.err:empty{display:none}.check .err{flex-basis:100%}
.actions{display:flex;gap:8px;margin-top:8px}
.primary{border:0;background:var(--rc-accent);color:var(--rc-accent-text);border-radius:999px;padding:8px 16px;font-weight:600}
.primary:disabled{opacity:.7;cursor:default}
.plain{border:1px solid var(--rc-border);background:transparent;border-radius:999px;padding:8px 16px}
.rate{display:flex;align-items:center;gap:4px;margin-top:-6px}
.thumb{color:var(--rc-muted);width:32px;height:32px}
.thumb svg{width:16px;height:16px}.thumb.down svg{transform:rotate(180deg)}
.thumb[aria-pressed=true]{color:var(--rc-accent)}.thumb:disabled{cursor:default}
.why label{display:block;font-size:.9em;margin-bottom:4px}
.log{flex:1;overflow-y:auto;padding:16px;display:flex;flex-direction:column;gap:10px;overscroll-behavior:contain}
.msg{max-width:85%;padding:9px 13px;border-radius:14px;background:var(--rc-bubble);overflow-wrap:anywhere;white-space:normal}
.msg.user{align-self:flex-end;background:var(--rc-accent);color:var(--rc-accent-text);border-end-end-radius:4px;white-space:pre-wrap}
.msg.bot{align-self:flex-start;border-end-start-radius:4px}
.msg p,.msg ul,.msg ol,.msg pre,.msg blockquote,.msg h3,.msg h4,.msg h5,.msg h6{margin:0 0 .5em}
.msg>:last-child{margin-bottom:0}
.msg ul,.msg ol{padding-inline-start:1.3em}
.msg h3,.msg h4,.msg h5,.msg h6{font-size:1em}
.msg a{color:inherit;text-decoration:underline}
.msg code{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:.9em;background:rgba(100,116,139,.18);padding:.1em .3em;border-radius:4px}
.msg pre{background:#0f172a;color:#e2e8f0;padding:10px;border-radius:8px;overflow-x:auto}
.msg pre code{background:none;padding:0;color:inherit}
.msg blockquote{border-inline-start:3px solid var(--rc-border);padding-inline-start:10px;color:var(--rc-muted)}
.msg .code,.msg .table,.msg table,.msg hr{margin:0 0 .5em}
.msg .code{border-radius:8px;overflow:hidden;background:#0f172a;color:#e2e8f0}
.msg .code-bar{display:flex;align-items:center;gap:8px;padding:2px 4px 2px 10px;font-size:.8em;background:#1e293b;color:#cbd5e1}
.msg .code-lang{flex:1;font-family:ui-monospace,SFMono-Regular,Menlo,monospace}
.msg .copy{border:0;background:transparent;color:inherit;border-radius:6px;padding:4px 8px;min-height:28px}
.msg .copy:hover{background:rgba(255,255,255,.14)}
.msg .code pre{margin:0;border-radius:0}
.msg pre code>span{display:block}
.msg .code{direction:ltr;text-align:left}
.msg .table{max-width:100%;overflow-x:auto}
.msg table{border-collapse:collapse;font-size:.92em;overflow-wrap:normal}
.msg th,.msg td{border:1px solid var(--rc-border);padding:4px 8px;text-align:start;vertical-align:top;min-width:4em}
.msg th{background:rgba(100,116,139,.14);font-weight:600}
.msg [align=left]{text-align:left}.msg [align=center]{text-align:center}.msg [align=right]{text-align:right}
.msg li.task{list-style:none}
.msg .task>input{margin:0;margin-inline:-1.3em .4em;vertical-align:middle}
.msg hr{border:0;border-top:1px solid var(--rc-border)}
.msg img{max-width:100%;height:auto}
.recap{align-self:stretch;font-size:.9em;color:var(--rc-muted)}
.recap summary{cursor:pointer;text-align:center;padding:4px}
.recap .msg{max-width:none;margin-top:6px;color:var(--rc-text)}
.state{display:block;margin-top:6px;font-size:.85em;color:var(--rc-muted)}
.msg.error{background:transparent;border:1px solid var(--rc-error);color:var(--rc-error)}
.meta{display:flex;align-items:center;gap:8px;margin-top:-6px;font-size:.75em;color:var(--rc-muted)}
.meta.user{align-self:flex-end}
.meta .copy{border:0;background:none;padding:2px 4px;border-radius:6px;text-decoration:underline;color:inherit}
.card{align-self:center;border:1px solid var(--rc-accent);border-radius:12px;padding:8px 14px;color:var(--rc-text);font-weight:600}
.jump{align-self:center;margin:-46px 0 10px;position:relative;border:0;border-radius:999px;padding:6px 14px;background:var(--rc-accent);color:var(--rc-accent-text);box-shadow:0 4px 12px rgba(15,23,42,.25)}
.confirm{display:flex;flex-wrap:wrap;align-items:center;gap:6px;padding:8px 16px;border-top:1px solid var(--rc-border)}
.confirm p{margin:0;flex-basis:100%;font-size:.9em}
.count{margin:0;padding:4px 16px 0;font-size:.8em;color:var(--rc-muted);text-align:end}
.count.over{color:var(--rc-error);font-weight:600}
.note{align-self:center;font-size:.82em;color:var(--rc-muted);text-align:center;max-width:90%}
.typing{display:inline-flex;gap:4px;padding:4px 2px}
.typing i{width:7px;height:7px;border-radius:50%;background:var(--rc-muted);animation:blink 1.2s infinite ease-in-out}
.typing i:nth-child(2){animation-delay:.2s}.typing i:nth-child(3){animation-delay:.4s}
@keyframes blink{0%,80%,100%{opacity:.25}40%{opacity:1}}
.chips{display:flex;flex-wrap:wrap;gap:6px;padding:0 16px 8px}
.chip{border:1px solid var(--rc-accent);color:var(--rc-text);background:transparent;border-radius:999px;padding:5px 12px;font-size:.9em}
form{display:flex;gap:8px;align-items:flex-end;padding:10px 12px;border-top:1px solid var(--rc-border);padding-bottom:max(10px,env(safe-area-inset-bottom))}
textarea{flex:1;resize:none;border:1px solid var(--rc-border);border-radius:12px;padding:9px 12px;font:inherit;font-size:16px;
 color:var(--rc-text);background:var(--rc-bg);max-height:140px;min-height:42px;line-height:1.4}
textarea::placeholder{color:var(--rc-muted)}
.send,.stop{width:42px;height:42px;border-radius:50%;border:0;background:var(--rc-accent);color:var(--rc-accent-text);display:grid;place-items:center;flex:none}
.send:disabled{opacity:.5;cursor:default}
.send svg,.stop svg{width:20px;height:20px}
.foot{margin:0;padding:0 12px 8px;font-size:.75em;color:var(--rc-muted);text-align:center}
@media (prefers-reduced-motion:reduce){.typing i{animation:none;opacity:.6}*{scroll-behavior:auto!important;transition:none!important}}
`;

export function adopt(root, css) {
  const sheet = new CSSStyleSheet();
  sheet.replaceSync(css);
  root.adoptedStyleSheets = [...root.adoptedStyleSheets, sheet];
}

/** The host's and the launcher's rules (constructable sheets, CSP-safe). */
export const applyBaseStyles = (root) => adopt(root, BASE_CSS);

/** Everything the panel needs. */
export const applyPanelStyles = (root) => adopt(root, PANEL_CSS);
