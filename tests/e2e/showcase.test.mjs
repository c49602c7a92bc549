// The gallery as a showcase, in Chromium: the wire panel, the split view,
// the connection indicator, the phone layout, accessibility (axe-core), the
// way through a category, and screenshots of how it all looks.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import path from "node:path";
import { startGallery, launchBrowser, waitConnected, eventually } from "./harness.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const AXE = path.join(root, "node_modules/axe-core/axe.min.js");
const ARTIFACTS = path.join(root, "target/artifacts");
// The same secrets across the restart below, as a deployment would keep them.
const ENV = { LVT_SECRET: "showcase-test-secret", LVT_WEBHOOK_SECRET: "showcase-webhook" };

const env = {};
before(async () => {
  env.gallery = await startGallery([], { env: ENV });
  env.browser = await launchBrowser();
  mkdirSync(ARTIFACTS, { recursive: true });
});
after(async () => {
  await env.browser?.close();
  await env.gallery?.stop();
});

/** A fresh browser context (its own cookies: its own session group). */
async function newPage(options = {}) {
  const context = await env.browser.newContext({ viewport: { width: 1280, height: 900 }, ...options });
  return context.newPage();
}

/** Every page of the site: the index, the README, each category and each example. */
async function allPages() {
  const catalog = await (await fetch(`${env.gallery.url}/api/index.json`)).json();
  const pages = ["/", "/readme"];
  for (const category of catalog.categories) {
    pages.push(`/${category.slug}`);
    for (const example of category.examples) pages.push(example.path);
  }
  return { catalog, pages };
}

async function open(page, where) {
  await page.goto(`${env.gallery.url}${where}`);
  if (await page.locator("[data-lvt-id]").count()) {
    await waitConnected(page);
    await page.locator("html[data-conn=live]").waitFor();
  }
}

test("the wire panel lists the Server Push ticks, newest first, with their byte counts", async () => {
  const page = await newPage();
  // What Chromium itself saw on the socket, to check the panel against.
  const received = [];
  page.on("websocket", (ws) => ws.on("framereceived", (f) => received.push(Buffer.byteLength(f.payload))));
  await open(page, "/realtime/server-push");
  assert.equal(await page.locator("#wire").evaluate((d) => d.open), true, "open on a desktop");
  await page.getByRole("button", { name: "Start Timer" }).click();
  await page.getByText("Timer running: 3 / 10s").waitFor({ timeout: 10_000 });

  const frames = await eventually(async () => {
    // Open every frame: its JSON is drawn once it is open.
    await page.locator("#wire li.frame details:not([open])").evaluateAll((ds) => ds.forEach((d) => { d.open = true; }));
    const all = await page.locator("#wire li.frame").evaluateAll((items) => items.map((li) => ({
      dir: li.dataset.dir,
      bytes: Number(li.dataset.bytes),
      shown: li.querySelector(".bytes").textContent,
      what: li.querySelector(".what").textContent,
      json: li.querySelector("pre")?.textContent,
    })));
    return all.filter((f) => f.what.startsWith("push")).length >= 3 && all.every((f) => f.json) && all;
  }, 5_000, "three pushed ticks in the panel");
  const ticks = frames.filter((f) => f.dir === "in" && f.what.startsWith("push"));
  // Newest first: the first pushed frame listed carries the latest second.
  assert.match(ticks[0].json, /"3"/, `the newest tick is listed first: ${ticks[0].json}`);
  for (const tick of ticks) {
    assert.ok(tick.bytes > 0 && tick.shown === `${tick.bytes} B`, JSON.stringify(tick));
    assert.ok(received.includes(tick.bytes), `${tick.bytes} B is a size Chromium received: ${received}`);
  }
  const sent = frames.find((f) => f.dir === "out");
  assert.match(sent.what, /action “startTimer”/);
  assert.match(await page.locator("[data-wire-totals]").innerText(), /↑ 1 sent .* ↓ \d+ received/);
  await page.context().close();
});

test("a second tab of a group whose timer runs shows it running, never Last completed", async () => {
  const first = await newPage();
  await open(first, "/realtime/server-push");
  await first.getByRole("button", { name: "Start Timer" }).click();
  await first.getByText("Timer running: 1 / 10s").waitFor({ timeout: 10_000 });
  const second = await first.context().newPage();
  await open(second, "/realtime/server-push");
  const demo = second.locator(".demo");
  await demo.getByText(/Timer running: \d+ \/ 10s/).waitFor({ timeout: 5_000 });
  assert.equal(await demo.getByText("Last completed").count(), 0);
  await first.context().close();
});

test("the split view shows two frames of the group that follow each other on Cross-Tab", async () => {
  const page = await newPage();
  await open(page, "/realtime/cross-tab");
  await page.getByRole("button", { name: "Split view" }).click();
  const frames = [0, 1].map((i) => page.frameLocator("#split iframe").nth(i));
  for (const frame of frames) await frame.locator("html[data-conn=live]").waitFor();
  await eventually(async () => (await page.locator(".split [data-group-count]").innerText()) === "3 tabs in this group", 5_000, "three tabs counted");
  const count = (frame) => frame.locator(".big-number strong").innerText().then(Number);
  const start = await count(frames[1]);
  await frames[0].getByRole("button", { name: "+1" }).click();
  await eventually(async () => (await count(frames[1])) === start + 1, 3_000, "the right frame follows the left");
  await frames[1].getByRole("button", { name: "Ring every tab" }).click();
  await eventually(async () => (await frames[0].locator(".rings").innerText()) === "1", 3_000, "the left frame rings");
  assert.equal(Number(await page.locator(".demo .big-number strong").innerText()), start + 1, "the page's own demo follows too");
  await page.context().close();
});

test("the split view puts a second user beside the first on Notifications", async () => {
  const page = await newPage();
  await open(page, "/realtime/notifications");
  await page.locator(".demo").getByText("A name is 1 to 32 letters").waitFor();
  await page.locator(".demo").getByLabel("Sign in as").fill("ana");
  await page.locator(".demo").getByRole("button", { name: "Sign in" }).click();
  await waitConnected(page);
  await page.getByRole("button", { name: "Split view" }).click();
  const benFrame = page.frameLocator("#split iframe[data-user=second]");
  const ben = benFrame.locator(".demo");
  await ben.getByLabel("Sign in as").fill("ben");
  await ben.getByRole("button", { name: "Sign in" }).click();
  await ben.getByText("Signed in as").waitFor();
  await benFrame.locator("html[data-conn=live]").waitFor();
  await page.locator(".demo").getByLabel("To").fill("ben");
  await page.locator(".demo").getByLabel("Message").fill("hello from ana");
  await page.locator(".demo").getByRole("button", { name: "Send" }).click();
  await ben.getByText("hello from ana").waitFor({ timeout: 3_000 });
  assert.equal(await page.locator(".demo").getByText("hello from ana").count(), 0, "not ana's");
  await page.context().close();
});

test("the webhook page sends its signed POST from a button", async () => {
  const page = await newPage();
  await open(page, "/realtime/webhook");
  await page.getByLabel("Sign in as").fill("cleo");
  await page.getByRole("button", { name: "Sign in" }).click();
  await waitConnected(page);
  await page.getByRole("button", { name: "Send the webhook" }).click();
  await page.locator(".toast", { hasText: "Deploy finished" }).waitFor({ timeout: 10_000 });
  await page.getByText('HTTP 200: {"delivered":1}').waitFor();
  // A second one is prepended: on the wire, the list operation is spelled out.
  await page.getByRole("button", { name: "Send the webhook" }).click();
  await eventually(async () => (await page.locator(".toast").count()) === 2, 10_000, "two toasts");
  // Pinned by its id: later frames (the toasts expiring) match the same text.
  const first = page
    .locator("#wire li.frame", { hasText: "push: 1 list op" })
    .filter({ hasText: "prepend 1 item" })
    .first();
  const push = page.locator(`#wire li.frame[data-frame="${await first.getAttribute("data-frame")}"]`);
  // Opened by script: frames arriving meanwhile move the list under the pointer.
  await push.locator("details").evaluate((details) => (details.open = true));
  await push.locator("pre").waitFor();
  assert.deepEqual(await push.locator(".ops li").allInnerTexts(), ["prepend 1 item"]);
  assert.match(await push.locator("pre").innerText(), /"p",/);
  assert.match(await page.locator("pre.command").innerText(), /curl -X POST/);
  await page.context().close();
});

test("source panels: the template first, the controller second, collapsible, with a Copy button", async () => {
  const page = await newPage();
  await page.context().grantPermissions(["clipboard-read", "clipboard-write"]);
  await open(page, "/realtime/chat");
  const summaries = await page.locator(".sources details > summary").allInnerTexts();
  assert.match(summaries[0], /^Template templates\/realtime\/chat\.html/);
  assert.match(summaries[1], /^Controller gallery\/src\/examples\/realtime\/chat\.rs/);
  assert.ok(summaries.some((s) => /^Included templates\/partials\/sign-in\.html/.test(s)), summaries.join(" | "));
  assert.match(await page.locator(".routes").innerText(), /POST \/auth\/sign-in/);
  const template = page.locator(".sources details").first();
  await template.getByRole("button", { name: "Copy" }).click();
  await template.getByRole("button", { name: "Copied" }).waitFor();
  const copied = await page.evaluate(() => navigator.clipboard.readText());
  assert.equal(copied, await template.locator("pre code").textContent());
  assert.match(copied, /^<article class="chat">/);
  await template.locator("summary").click();
  assert.equal(await template.locator("pre").isVisible(), false, "collapsed");
  await page.context().close();
});

test("previous and next walk each category, both ways", async () => {
  const { catalog } = await allPages();
  const page = await newPage();
  for (const category of catalog.categories) {
    const expected = category.examples.map((e) => e.path);
    await page.goto(`${env.gallery.url}${expected[0]}`);
    const seen = [new URL(page.url()).pathname];
    while (await page.locator(".pager a[rel=next]").count()) {
      await page.locator(".pager a[rel=next]").click();
      await page.waitForURL((u) => !seen.includes(u.pathname));
      seen.push(new URL(page.url()).pathname);
    }
    assert.deepEqual(seen, expected, `${category.name} forwards`);
    const back = [seen.at(-1)];
    while (await page.locator(".pager a[rel=prev]").count()) {
      await page.locator(".pager a[rel=prev]").click();
      await page.waitForURL((u) => !back.includes(u.pathname));
      back.push(new URL(page.url()).pathname);
    }
    assert.deepEqual(back, [...expected].reverse(), `${category.name} backwards`);
    // The crumb leads to the category's own page, which lists them all.
    await page.locator(".crumbs a").nth(1).click();
    await page.waitForURL(`**/${category.slug}`);
    assert.deepEqual(await page.locator(".cards a").evaluateAll((as) => as.map((a) => a.pathname)), expected);
  }
  await page.context().close();
});

test("at 390 px wide no page scrolls sideways", async () => {
  const { pages } = await allPages();
  const page = await newPage({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
  const wide = [];
  for (const where of pages) {
    await open(page, where);
    const { doc, view } = await page.evaluate(() => ({ doc: document.documentElement.scrollWidth, view: window.innerWidth }));
    if (doc > view) wide.push(`${where}: ${doc} > ${view}`);
  }
  // With the split view open too.
  await open(page, "/realtime/chat");
  await page.getByRole("button", { name: "Split view" }).click();
  const split = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  if (split > 0) wide.push(`chat with the split view: ${split} px too wide`);
  assert.deepEqual(wide, []);
  await page.context().close();
});

test("axe-core finds no serious or critical violation on any page, light or dark; headings are in order", async () => {
  const { pages } = await allPages();
  const found = [];
  for (const colorScheme of ["light", "dark"]) {
    const page = await newPage({ colorScheme });
    for (const where of pages) {
      await open(page, where);
      // Rows sliding in are half transparent: judge contrast once they are in.
      await page.evaluate(() =>
        Promise.all(
          document
            .getAnimations()
            .filter((a) => a.effect?.getComputedTiming().iterations !== Infinity)
            .map((a) => a.finished.catch(() => {})),
        ),
      );
      await page.addScriptTag({ path: AXE });
      const violations = await page.evaluate(async () => {
        const result = await window.axe.run(document, { resultTypes: ["violations"] });
        return result.violations
          .filter((v) => v.impact === "serious" || v.impact === "critical")
          .map((v) => `${v.id}: ${v.nodes.slice(0, 3).map((n) => n.target.join(" ")).join(" | ")}`);
      });
      for (const v of violations) found.push(`${colorScheme} ${where}: ${v}`);
      const levels = await page.locator("h1, h2, h3, h4, h5, h6").evaluateAll((hs) =>
        hs.filter((h) => h.getClientRects().length).map((h) => Number(h.tagName[1])));
      assert.equal(levels.filter((l) => l === 1).length, 1, `${where}: one h1 (${levels})`);
      levels.forEach((l, i) => assert.ok(i === 0 || l <= levels[i - 1] + 1, `${where}: headings skip a level (${levels})`));
    }
    await page.context().close();
  }
  assert.deepEqual(found, []);
});

test("screenshots: the index and two examples at desktop, phone and dark", async () => {
  const shots = [
    ["desktop", { viewport: { width: 1280, height: 900 } }],
    ["phone", { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true }],
    ["dark", { viewport: { width: 1280, height: 900 }, colorScheme: "dark" }],
  ];
  for (const [name, options] of shots) {
    const page = await newPage(options);
    for (const [label, where] of [["index", "/"], ["server-push", "/realtime/server-push"], ["cross-tab", "/realtime/cross-tab"]]) {
      await open(page, where);
      if (label === "server-push") {
        await page.getByRole("button", { name: "Start Timer" }).click();
        await page.getByText("Timer running: 2 / 10s").waitFor({ timeout: 10_000 });
      }
      if (label === "cross-tab") {
        await page.getByRole("button", { name: "Split view" }).click();
        await page.frameLocator("#split iframe").nth(1).locator("html[data-conn=live]").waitFor();
      }
      await page.screenshot({ path: path.join(ARTIFACTS, `showcase-${label}-${name}.png`), fullPage: label !== "index" || name !== "desktop" });
    }
    await page.context().close();
  }
});

// Last: it stops the server.
test("the indicator says offline within seconds of the server stopping, and live once it is back", async () => {
  const page = await newPage();
  await open(page, "/realtime/ticker");
  const port = new URL(env.gallery.url).port;
  await env.gallery.stop();
  const stopped = Date.now();
  await page.locator("html[data-conn=offline]").waitFor({ timeout: 5_000 });
  assert.ok(Date.now() - stopped < 5_000);
  assert.match(await page.locator(".conn").innerText(), /Offline/);
  assert.ok(await page.locator(".offline-note").isVisible(), "the demo says it waits");

  env.gallery = await startGallery([], { addr: `127.0.0.1:${port}`, env: ENV });
  // The client retries with a growing back-off (1, 2, 4, 8 s and jitter).
  await page.locator("html[data-conn=live]").waitFor({ timeout: 20_000 });
  assert.match(await page.locator(".conn").innerText(), /Live/);
  // And the page works again: the new server's timer ticks in it.
  const seconds = () => page.locator(".big-number strong").innerText().then(Number);
  const before = await seconds();
  await eventually(async () => (await seconds()) !== before, 3_000, "ticks after the restart");
  await page.context().close();
});
