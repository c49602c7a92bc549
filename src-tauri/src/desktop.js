// Runs in every gallery page shown in a desktop window (a Tauri
// initialization script), before the page's own scripts. It adds the
// desktop bar — the page's address, "Open in browser", "New window" — and,
// in --smoke mode, drives the self-check the way a person would: index,
// Server Push, Start Timer, two ticks.
//
// It talks to the app over plain HTTP on the gallery's own server
// (/_desktop/…) with a token only this script knows; see bridge.rs.
(function lvtDesktop(desktop) {
  if (window.top !== window || location.origin !== desktop.origin) return;

  // The page's script errors, kept for the window tests: WebKitWebDriver
  // has no console log to read them from.
  const errors = (window.__lvtScriptErrors = []);
  window.addEventListener("error", (e) => errors.push(e.message));
  window.addEventListener("unhandledrejection", (e) => errors.push(String(e.reason)));
  const consoleError = console.error.bind(console);
  console.error = (...args) => {
    errors.push(args.map(String).join(" "));
    consoleError(...args);
  };

  const call = (path, body) =>
    fetch(path, {
      method: "POST",
      headers: { "content-type": "application/json", [desktop.tokenHeader]: desktop.token },
      body: JSON.stringify(body),
    });

  // The page's address without the live connection's tab token (`lvt_tab`,
  // in the address bar only until the stock client has read it).
  const here = () => {
    const url = new URL(location.href);
    url.searchParams.delete("lvt_tab");
    return url.pathname + url.search;
  };

  function addBar() {
    const style = document.createElement("style");
    style.textContent = `
      .desktop-bar { display: flex; gap: .5rem; align-items: center; padding: .4rem 2rem;
        background: #0f172a; color: #e2e8f0; font: 13px/1.4 system-ui, sans-serif; }
      .desktop-bar .desktop-url { flex: 1; font-family: ui-monospace, monospace; user-select: all;
        overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
      .desktop-bar .desktop-url::before { content: "●"; color: #22c55e; margin-right: .5rem; }
      .desktop-bar button { font: inherit; color: inherit; background: #1e293b; border: 1px solid #334155;
        border-radius: 6px; padding: .2rem .7rem; cursor: pointer; }
      .desktop-bar button:hover { background: #334155; }
      .desktop-bar .desktop-status { color: #94a3b8; }`;
    document.head.append(style);

    const bar = document.createElement("div");
    bar.className = "desktop-bar";
    bar.setAttribute("role", "toolbar");
    bar.setAttribute("aria-label", "Desktop");
    bar.innerHTML = `
      <span class="desktop-url" title="This page's address: open it in any browser on this machine"></span>
      <span class="desktop-status" aria-live="polite"></span>
      <button type="button" data-desktop="open-in-browser">Open in browser ↗</button>
      <button type="button" data-desktop="new-window">New window</button>`;
    bar.querySelector(".desktop-url").textContent = location.href;
    const status = bar.querySelector(".desktop-status");
    bar.addEventListener("click", async (event) => {
      const button = event.target.closest("[data-desktop]");
      if (!button) return;
      status.textContent = "";
      try {
        const answer = await call(`/_desktop/${button.dataset.desktop}`, { path: here() });
        if (!answer.ok) status.textContent = (await answer.json()).error;
        else if (button.dataset.desktop === "open-in-browser") status.textContent = "Opened in your browser";
      } catch (e) {
        status.textContent = `The app did not answer: ${e.message}`;
      }
    });
    document.body.prepend(bar);
  }

  // Resolves once `found()` returns something, checking on every DOM change.
  // No timeout here: the app gives the whole check 60 s and names the step.
  function until(found) {
    return new Promise((resolve) => {
      const now = found();
      if (now) return resolve(now);
      const watch = new MutationObserver(() => {
        const value = found();
        if (value) {
          watch.disconnect();
          resolve(value);
        }
      });
      watch.observe(document, { subtree: true, childList: true, attributes: true, characterData: true });
    });
  }

  const painted = () => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));

  async function smoke() {
    const step = (step, detail) => call("/_desktop/smoke", { stage: "step", step, detail });
    const fail = (reason) => call("/_desktop/smoke", { stage: "failed", reason });
    window.addEventListener("error", (e) => fail(`script error on ${here()}: ${e.message}`));
    await step(`loaded ${here()}`);

    if (location.pathname === "/") {
      const categories = [...document.querySelectorAll("section.category h2")].map((h) => h.textContent);
      if (categories.length === 0) return fail("the index lists no categories");
      await step("index loaded", `${categories.length} categories: ${categories.join(", ")}`);
      const link = document.querySelector('a[href="/realtime/server-push"]');
      if (!link) return fail("the index has no link to /realtime/server-push");
      link.click();
      return;
    }
    if (location.pathname !== "/realtime/server-push") return;

    await until(() => document.querySelector("[data-lvt-id]:not([data-lvt-loading])"));
    await step("live connection up");
    const start = document.querySelector('button[name="startTimer"]');
    if (!start) return fail("Server Push has no Start Timer button");
    start.click();
    await step("timer started");

    const ticks = [];
    await until(() => {
      const shown = document.querySelector("p[aria-busy] strong")?.textContent;
      if (shown && shown !== ticks[ticks.length - 1]) ticks.push(shown);
      return ticks.filter((t) => Number(t) > 0).length >= 2;
    });
    await painted();
    await call("/_desktop/smoke", { stage: "passed", ticks });
  }

  document.addEventListener("DOMContentLoaded", () => {
    addBar();
    if (desktop.smoke) smoke();
  });
})
