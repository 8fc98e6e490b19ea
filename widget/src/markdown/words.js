// @ts-check
// The markdown renderer's own English words, apart from strings.js so that the
// renderer can fall back to them without pulling every string of the widget
// into the conversation UI's chunk (strings.js spreads them into EN).
export const MARKDOWN_EN = {
  copy: "Copy",
  copyCode: "Copy code",
  copied: "Copied",
  copyFailed: "Could not copy: the code is selected, copy it with your keyboard.",
  task: "Task",
  image: "image",
};
