// The real desktop window, driven through WebKitWebDriver, side by side
// with Chromium tabs on the same in-process server.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { eventually, launchBrowser, waitConnected } from "../e2e/harness.mjs";
import { startDesktopSession } from "./webdriver.mjs";

const env = {};

before(async () => {
  env.data = mkdtempSync(path.join(tmpdir(), "lvt-desktop-"));
  // "Open in browser" runs $BROWSER: here, a script that writes down the URL.
  env.opened = path.join(env.data, "opened.txt");
  const fakeBrowser = path.join(env.data, "browser.sh");
  writeFileSync(fakeBrowser, `#!/bin/sh\nprintf '%s\\n' "$1" >> '${env.opened}'\n`);
  chmodSync(fakeBrowser, 0o755);
  env.desktop = await startDesktopSession({
    args: ["--addr", "127.0.0.1:0"],
    env: { XDG_DATA_HOME: env.data, BROWSER: fakeBrowser },
  });
  env.window = env.desktop.session;
  env.url = new URL(await env.window.url()).origin;
  env.browser = await launchBrowser();
});

after(async () => {
  await env.browser?.close();
  await env.desktop?.stop();
  rmSync(env.data, { recursive: true, force: true });
});

test("the desktop window shows the index with every category, and its own address", async () => {
  const window = env.window;
  assert.equal(await window.url(), `${env.url}/`);
  const catalog = await (await fetch(`${env.url}/api/index.json`)).json();
  const shown = await window.run(() => [...document.querySelectorAll("section.category h2")].map((h) => h.textContent));
  assert.deepEqual(shown, catalog.categories.map((c) => c.name));
  assert.ok(shown.length > 0);
  const address = await window.run(() => document.querySelector(".desktop-bar .desktop-url").textContent);
  assert.equal(address, `${env.url}/`);
  await window.screenshot("desktop-index.png");
});

test("cross-tab: the desktop window follows a Chromium tab that joined through the hand-off link", async () => {
  const window = env.window;
  await window.click('a[href="/realtime/cross-tab"]');
  // The click only starts the navigation: wait on the new page, not the old one.
  await eventually(async () => (await window.url()) === `${env.url}/realtime/cross-tab`, 20_000, "the example page");
  await window.waitFor("[data-lvt-id]:not([data-lvt-loading])");
  assert.equal(await window.url(), `${env.url}/realtime/cross-tab`);

  // The desktop offers the link …
  await window.click("[data-handoff]");
  await window.waitFor('#handoff:not([hidden]) a.handoff-link[href^="http"]');
  const link = await window.run(() => document.querySelector("a.handoff-link").href);
  // The desktop listens on loopback: no phone can follow, and the panel says why.
  const why = await window.run(() => document.querySelector("#handoff").textContent);
  assert.match(why, /No QR code for a phone: .*--addr 0\.0\.0\.0:/);

  // … which, opened in Chromium, asks first, and on "Join" joins the
  // desktop's session group.
  const context = await env.browser.newContext();
  const tab = await context.newPage();
  await tab.goto(link);
  await tab.getByRole("heading", { name: "Join this session?" }).waitFor();
  await tab.getByRole("button", { name: "Join" }).click();
  await tab.waitForURL(`${env.url}/realtime/cross-tab`);
  await waitConnected(tab);

  await tab.click('button[name="increment"]'); // Sync
  await window.waitForText(".big-number strong", "1");
  await tab.click('button[name="wave"]'); // broadcast_action to the other tabs
  await window.waitForText(".waves-received", "1");
  await tab.click('button[name="ringAll"]'); // trigger_action on every tab
  await window.waitForText(".rings", "1");
  await tab.locator(".rings", { hasText: "1" }).waitFor();

  // The other way round: the desktop's click reaches the Chromium tab.
  await window.click('button[name="increment"]');
  await tab.locator(".big-number strong", { hasText: "2" }).waitFor();
  await window.screenshot("desktop-cross-tab.png");

  // Used once: the same link is refused the second time.
  const again = await fetch(link, { redirect: "manual" });
  assert.equal(again.status, 410);
  await context.close();
});

test("a new desktop window shares the cookie jar, so it is one more tab of the same group", async () => {
  const window = env.window;
  const [first] = await window.handles();
  await window.click('[data-desktop="new-window"]');
  const handles = await eventually(async () => {
    const now = await window.handles();
    return now.length === 2 && now;
  }, 20_000, "a second window");
  const second = handles.find((h) => h !== first);
  await window.switchTo(second);
  await window.waitFor("[data-lvt-id]:not([data-lvt-loading])");
  assert.equal(await window.url(), `${env.url}/realtime/cross-tab`);
  // The group's persisted count, so the same group.
  await window.waitForText(".big-number strong", "2");
  // The first window got one wave from Chromium before; this is its second.
  await window.click('button[name="wave"]');
  await window.switchTo(first);
  await window.waitForText(".waves-received", "2");
  await window.click('button[name="wave"]');
  await window.switchTo(second);
  await window.waitForText(".waves-received", "1");
  await window.command("DELETE", "/window");
  await window.switchTo(first);
});

test("a target=_blank link opens another desktop window, not a browser", async () => {
  const window = env.window;
  const [first] = await window.handles();
  await window.click('a[target="_blank"]'); // "Open in a new tab ↗"
  const handles = await eventually(async () => {
    const now = await window.handles();
    return now.length === 2 && now;
  }, 20_000, "a second window");
  await window.switchTo(handles.find((h) => h !== first));
  // Once loaded: until then the address carries the live connection's tab
  // token (`lvt_tab`), which the page takes out as soon as the client has it.
  const expected = `${env.url}/realtime/cross-tab`;
  await eventually(async () => (await window.url()) === expected, 10_000, `the window at ${expected}`);
  await window.command("DELETE", "/window");
  await window.switchTo(first);
});

test("open in browser hands the current page to the system browser", async () => {
  const window = env.window;
  await window.click('[data-desktop="open-in-browser"]');
  await window.waitForText(".desktop-bar .desktop-status", "Opened in your browser");
  const opened = await eventually(() => {
    try {
      return readFileSync(env.opened, "utf8").trim();
    } catch {
      return false;
    }
  }, 10_000, "the browser command ran");
  assert.equal(opened, `${env.url}/realtime/cross-tab`);
});

test("the desktop's own routes refuse anyone but its windows", async () => {
  const fromOutside = await fetch(`${env.url}/_desktop/new-window`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ path: "/" }),
  });
  assert.equal(fromOutside.status, 403);
  assert.match((await fromOutside.json()).error, /only the desktop app's own windows/);
  // A Chromium tab on the same server cannot either.
  const context = await env.browser.newContext();
  const tab = await context.newPage();
  await tab.goto(`${env.url}/`);
  const status = await tab.evaluate(() =>
    fetch("/_desktop/open-in-browser", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ path: "/" }),
    }).then((r) => r.status),
  );
  assert.equal(status, 403);
  await context.close();
  assert.equal((await env.window.handles()).length, 1, "no window was opened");
});

test("every example opens in the desktop window and goes live, without a script error", async () => {
  const window = env.window;
  const catalog = await (await fetch(`${env.url}/api/index.json`)).json();
  const paths = catalog.categories.flatMap((c) => c.examples.map((e) => e.path));
  assert.ok(paths.length >= 10, `${paths.length} examples`);
  for (const path of paths) {
    await window.go(`${env.url}${path}`);
    // The client marks the page loading until its first update arrives.
    await window.waitFor("[data-lvt-id]:not([data-lvt-loading])");
    const errors = await window.run(() => window.__lvtScriptErrors);
    assert.deepEqual(errors, [], `script errors on ${path}`);
  }
});
