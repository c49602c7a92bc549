// lvt-x:relative — a time shown as "3 min. ago", kept current in the browser
// without asking the server.
//
//   <time datetime="2026-12-02T15:00:00Z" lvt-x:relative="short">15:00 UTC</time>
//
// The value is the style of Intl.RelativeTimeFormat: "long" ("3 minutes ago"),
// "short" ("3 min. ago") or "narrow". The server renders a plain time inside
// (what a page without JavaScript shows); this replaces it, and the full date
// goes to the title.
//
// An attribute of our own, added through the stock client's public
// registerAttribute(): the client itself is unmodified. Its registry calls
// onElement after every render (the server's text comes back with each
// update, so it is replaced again before the browser paints) and
// onElementRemoved when the element goes; one timer ticks while any are shown.
// Loaded after the client (deferred, in order).
(() => {
  "use strict";
  const client = window.LiveTemplateClient;
  if (!client || typeof client.registerAttribute !== "function") return;

  const ATTRIBUTE = "lvt-x:relative";
  const STYLES = new Set(["long", "short", "narrow"]);
  const UNITS = [["day", 86400], ["hour", 3600], ["minute", 60], ["second", 1]];
  const lang = document.documentElement.lang || undefined;
  const formats = new Map();
  const shown = new Set();
  let timer = null;

  function formatter(style) {
    if (!formats.has(style)) {
      formats.set(style, new Intl.RelativeTimeFormat(lang, { numeric: "auto", style }));
    }
    return formats.get(style);
  }

  /** "5 min. ago" for a time 5 minutes past; "now" for the last 10 seconds and for a time
   *  ahead of this clock (the server's may run a little ahead). */
  function relative(when, style) {
    const seconds = Math.round((when - Date.now()) / 1000);
    if (seconds > -10) return formatter(style).format(0, "second");
    for (const [unit, size] of UNITS) {
      if (-seconds >= size || unit === "second") {
        return formatter(style).format(Math.trunc(seconds / size) || 0, unit);
      }
    }
  }

  function update(el) {
    const when = Date.parse(el.getAttribute("datetime") || "");
    if (Number.isNaN(when)) return;
    const requested = el.getAttribute(ATTRIBUTE);
    const text = relative(when, STYLES.has(requested) ? requested : "long");
    if (el.textContent !== text) el.textContent = text;
    const full = new Date(when).toLocaleString(lang);
    if (el.getAttribute("title") !== full) el.setAttribute("title", full);
  }

  function tick() {
    for (const el of shown) {
      if (el.isConnected) update(el);
      else shown.delete(el);
    }
    if (shown.size === 0) stop();
  }

  function stop() {
    clearInterval(timer);
    timer = null;
  }

  client.registerAttribute({
    attribute: ATTRIBUTE,
    onElement(el) {
      shown.add(el);
      update(el);
      if (timer === null) timer = setInterval(tick, 1000);
    },
    onElementRemoved(el) {
      shown.delete(el);
      if (shown.size === 0) stop();
    },
    dispose() {
      shown.clear();
      stop();
    },
  });
})();
