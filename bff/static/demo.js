// The demo site's own script: the hero button opens the chat through the public API.
document.getElementById("ask-button").addEventListener("click", () => {
  if (window.RepChat && window.RepChat.open) window.RepChat.open();
});
