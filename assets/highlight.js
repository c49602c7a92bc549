// Highlights the source panels once highlight.js has loaded (all scripts are deferred, in order).
window.addEventListener("DOMContentLoaded", () => {
  if (window.hljs) document.querySelectorAll(".sources pre code").forEach((el) => window.hljs.highlightElement(el));
});
