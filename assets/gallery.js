// The example page around the demo: the connection indicator, the split view
// and its "tabs in this group" count, copy buttons on the sources, and the
// webhook sender. Loaded before the stock client (not deferred), so it hears
// the client's first lvt:connected.
(() => {
  "use strict";
  const html = document.documentElement;
  // Inside the split view's frames, the page shows only its demo.
  const embedded = window.self !== window.top;
  if (embedded) html.classList.add("embedded");

  // ---- connection: live / reconnecting / offline --------------------------
  // The client dispatches lvt:connected, lvt:disconnected and lvt:reconnected
  // on its wrapper element without bubbling, so they are heard while capturing.
  const WORDS = { connecting: "Connecting…", live: "Live", reconnecting: "Reconnecting…", offline: "Offline — retrying" };
  let offlineTimer = null;
  let socketOpen = false;

  function show(state) {
    html.dataset.conn = state;
    for (const el of document.querySelectorAll("[data-conn-label]")) {
      if (el.textContent !== WORDS[state]) el.textContent = WORDS[state];
    }
  }

  document.addEventListener("lvt:connected", () => {
    socketOpen = true;
    clearTimeout(offlineTimer);
    show("live");
    if (embedded) tellParent({ connected: true });
    else countTabs();
  }, true);
  document.addEventListener("lvt:disconnected", () => {
    socketOpen = false;
    show("reconnecting");
    // The client retries on its own; if the server is still away after a
    // few seconds, say so plainly.
    clearTimeout(offlineTimer);
    offlineTimer = setTimeout(() => html.dataset.conn !== "live" && show("offline"), 3000);
  }, true);
  document.addEventListener("lvt:reconnected", () => show(socketOpen ? "live" : "offline"), true);
  // A retry that failed before it opened: the server is not there.
  const Watched = window.WebSocket;
  window.WebSocket = class extends Watched {
    constructor(url, protocols) {
      super(url, protocols);
      let opened = false;
      this.addEventListener("open", () => { opened = true; });
      this.addEventListener("close", () => {
        if (!opened && html.dataset.conn !== "connecting") show("offline");
      });
    }
  };
  window.addEventListener("offline", () => show("offline"));

  // ---- tabs in this group ------------------------------------------------
  async function countTabs() {
    const out = document.querySelectorAll("[data-group-count]");
    if (!out.length || document.hidden) return;
    try {
      const answer = await fetch("/api/group.json", { cache: "no-store" });
      if (!answer.ok) return;
      const { tabs } = await answer.json();
      const text = `${tabs} tab${tabs === 1 ? "" : "s"} in this group`;
      for (const el of out) if (el.textContent !== text) el.textContent = text;
    } catch {
      // Offline: the indicator already says so.
    }
  }

  // ---- split view ---------------------------------------------------------
  // A frame tells the page around it when it connects (one more tab to
  // count) and how tall it is (so the frame shows it whole).
  function tellParent(message) {
    window.parent.postMessage({ gallery: message }, location.origin);
  }
  if (embedded) {
    const size = () => tellParent({ height: document.documentElement.scrollHeight });
    document.addEventListener("DOMContentLoaded", () => new ResizeObserver(size).observe(document.body));
  }
  window.addEventListener("message", (event) => {
    if (event.origin !== location.origin || !event.data?.gallery) return;
    const said = event.data.gallery;
    if (said.connected) countTabs();
    const frame = [...document.querySelectorAll("#split iframe")].find((f) => f.contentWindow === event.source);
    if (frame && said.height) frame.style.height = `${Math.min(Math.max(said.height, 200), 1400)}px`;
  });

  function openSplit(button) {
    const split = document.getElementById("split");
    split.hidden = false;
    button.setAttribute("aria-expanded", "true");
    for (const frame of split.querySelectorAll("iframe[data-src]")) {
      // A second user: a credentialless frame keeps cookies of its own
      // (Chromium); elsewhere the frame is another tab of this browser.
      if (frame.dataset.user === "second") {
        if ("credentialless" in HTMLIFrameElement.prototype) frame.credentialless = true;
        else split.querySelector("[data-second-user-fallback]").hidden = false;
      }
      if (!frame.src) frame.src = frame.dataset.src;
    }
    countTabs();
  }

  function closeSplit(button) {
    const split = document.getElementById("split");
    split.hidden = true;
    button.setAttribute("aria-expanded", "false");
    // Close their connections, so they stop counting as tabs.
    for (const frame of split.querySelectorAll("iframe")) frame.removeAttribute("src");
    setTimeout(countTabs, 300);
  }

  // ---- the other loopback name: another cookie jar, so another user ------
  function otherLoopback() {
    const swap = { "127.0.0.1": "localhost", localhost: "127.0.0.1" };
    const other = swap[location.hostname];
    return other ? `${location.protocol}//${other}${location.port ? `:${location.port}` : ""}${location.pathname}` : null;
  }

  // ---- copy buttons -------------------------------------------------------
  async function copy(button) {
    const code = button.closest("details").querySelector("pre code");
    const text = code.textContent;
    try {
      await navigator.clipboard.writeText(text);
    } catch {
      // Not a secure context (a LAN address): select it for Ctrl+C instead.
      const range = document.createRange();
      range.selectNodeContents(code);
      getSelection().removeAllRanges();
      getSelection().addRange(range);
      button.textContent = "Selected — press Ctrl+C";
      return;
    }
    button.textContent = "Copied";
    setTimeout(() => { button.textContent = "Copy"; }, 1500);
  }

  // ---- the webhook sender: what an outside service would do ---------------
  async function sendWebhook(button) {
    const out = button.parentElement.querySelector("[data-webhook-answer]");
    const answer = await fetch(button.dataset.url, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-Signature": button.dataset.signature },
      body: button.dataset.body,
    });
    out.textContent = `HTTP ${answer.status}: ${await answer.text()}`;
  }

  document.addEventListener("click", (event) => {
    const target = event.target.closest("button, a");
    if (!target) return;
    if (target.matches("[data-split]")) {
      if (target.getAttribute("aria-expanded") === "true") closeSplit(target);
      else openSplit(target);
    } else if (target.matches("[data-copy]")) {
      copy(target);
    } else if (target.matches("[data-webhook-send]")) {
      event.preventDefault();
      sendWebhook(target);
    }
  });

  document.addEventListener("DOMContentLoaded", () => {
    show(html.dataset.conn ?? "connecting");
    const other = otherLoopback();
    for (const a of document.querySelectorAll("a[data-other-loopback]")) {
      if (other) a.href = other;
      else a.closest("[data-second-user-fallback]")?.remove();
    }
    if (!embedded) {
      // Counted once this tab is connected (it counts itself), then every 2 s.
      setInterval(countTabs, 2000);
      document.addEventListener("visibilitychange", countTabs);
    }
  });
})();
