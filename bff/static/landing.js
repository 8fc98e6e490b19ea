// The QR landing page's own script: "Leave your details" opens the chat's
// contact card (the widget sends it with the page's source and campaign).
// The queue stub lets a click count even before widget.js has loaded.
window.RepChat = window.RepChat || (function (q) {
  var api = { q: q };
  "open close toggle send stop compact contextUsage on registerCommand setContext destroy contact".split(" ").forEach(function (m) {
    api[m] = function () { q.push([m, [].slice.call(arguments)]); };
  });
  return api;
})([]);
document.querySelectorAll("[data-repchat-contact]").forEach(function (button) {
  button.addEventListener("click", function () { window.RepChat.contact(); });
});
