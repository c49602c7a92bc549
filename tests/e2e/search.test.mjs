// Search & Filtering, and Tabs, in Chromium: search as you type (debounced
// by the client, keyed results, escaped highlights), and state kept in the
// URL — filters and tabs are links the client sends over the open socket as
// `__navigate__`; reload, a new browser context and Back/Forward (the
// client fetches the page and reconnects) all show the same state.
import { test } from "node:test";
import assert from "node:assert/strict";
import { eventually, galleryAndBrowser, waitConnected, listOps } from "./harness.mjs";

const env = galleryAndBrowser();

/**
 * Opens `path` in a new page (of `context`, else a fresh one) and records its
 * frames: `received` (parsed, with `bytes`), `sent`; `replyTo(action)`
 * resolves with the next reply to `action`; `sockets()` counts the sockets
 * whose first frame arrived.
 */
async function open(path, context) {
  const page = context ? await context.newPage() : await env.browser.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(e.message));
  page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
  const received = [];
  const sent = [];
  const waiting = [];
  let opened = 0;
  page.on("websocket", (ws) => {
    let first = true;
    ws.on("framesent", (f) => sent.push(JSON.parse(String(f.payload))));
    ws.on("framereceived", (f) => {
      if (first) opened += 1;
      first = false;
      const text = String(f.payload);
      const frame = { ...JSON.parse(text), bytes: Buffer.byteLength(text), text };
      received.push(frame);
      for (const w of waiting.splice(0)) {
        if (frame.meta?.action === w.action) w.resolve(frame);
        else waiting.push(w);
      }
    });
  });
  const replyTo = (action) => new Promise((resolve) => waiting.push({ action, resolve }));
  const response = await page.goto(env.gallery.url + path);
  await waitConnected(page);
  const live = page.locator("[data-lvt-id]");
  return { page, live, errors, received, sent, replyTo, response, sockets: () => opened };
}

/**
 * Goes Back (or Forward): the client fetches the page at that URL, swaps it
 * in and opens a new socket; resolves once that socket's first frame is in
 * (a second step taken before then races the client's own reconnect).
 */
async function step(page, sockets, direction) {
  const before = sockets();
  await (direction === "back" ? page.goBack() : page.goForward());
  await eventually(() => sockets() > before, 5000, `a new socket after going ${direction}`);
}

/** The texts of `selector` in the live region, spaces folded. */
const texts = (page, selector) =>
  page.$$eval(`[data-lvt-id] ${selector}`, (els) => els.map((e) => e.innerText.replace(/\s+/g, " ").trim()));

/** Resolves once the table's first product is `name`. */
const firstRow = (page, name) =>
  page.waitForFunction((n) => document.querySelector("[data-lvt-id] tbody td")?.innerText === n, name);

/** The page's query string, decoded into an object. */
const queryOf = (page) => Object.fromEntries(new URL(page.url()).searchParams);

test("active-search: typing is sent after pauses, not per key; matches are keyed and highlighted; narrowing sends a small frame", async () => {
  const { page, live, errors, sent, replyTo } = await open("/search/active-search");
  const box = live.getByRole("searchbox", { name: /Search 1914 characters/ });
  await live.getByText("Type a word of a character's name").waitFor();

  await box.pressSequentially("arrow with", { delay: 20 });
  const changes = () => sent.filter((m) => m.action === "change");
  await eventually(() => changes().at(-1)?.data.q === "arrow with", 5000, "the box's value is sent");
  await live.getByText("28 characters match; the first 20:").waitFor();
  await page.waitForFunction(() => {
    const marks = [...document.querySelectorAll("[data-lvt-id] li mark")];
    return marks.length === 20 && marks.every((m) => m.innerText.toLowerCase() === "arrow with");
  });
  assert.ok(changes().length < 5, `ten keys, sent after pauses, not per key: ${JSON.stringify(changes())}`);
  assert.equal(await page.locator("[data-lvt-id] li[data-key]").count(), 20);
  const listBytes = await page.locator("[data-lvt-id] ul.hits").evaluate((ul) => ul.outerHTML.length);
  await page.$$eval("[data-lvt-id] li[data-key]", (els) => els.forEach((e) => (e.__seen = true)));

  // Narrowing to the two hooks: eighteen rows removed, two updated in place.
  const narrowed = replyTo("change");
  await box.fill("arrow with h");
  const reply = await narrowed;
  await live.getByText("2 characters match:").waitFor();
  assert.deepEqual(await texts(page, "li .name"), ["Leftwards arrow with hook", "Rightwards arrow with hook"]);
  assert.deepEqual(await texts(page, "li mark"), ["arrow with h", "arrow with h"]);
  const kinds = listOps(reply).map((op) => op[0]);
  assert.equal(kinds.filter((k) => k === "r").length, 18, reply.text);
  assert.ok(!kinds.includes("a") && !kinds.includes("p"), `no row is sent again: ${reply.text}`);
  assert.ok(reply.bytes < listBytes / 2, `the frame (${reply.bytes} B) is small next to the list (${listBytes} B)`);
  const kept = await page.$$eval("[data-lvt-id] li[data-key]", (els) => els.filter((e) => e.__seen).length);
  assert.equal(kept, 2, "the rows that stay are the same DOM nodes");

  // Markup typed in the box is text, in the box and in the message.
  await box.fill("<b>x</b>");
  await live.getByText("No character's name contains “<b>x</b>”.").waitFor();
  assert.equal(await page.locator("[data-lvt-id] b").count(), 0);
  assert.deepEqual(errors, []);
  await page.close();
});

test("url-filters: links change the URL over the socket; Back/Forward, reload and a new context show the same results", async () => {
  const { page, live, errors, sent, sockets } = await open("/search/url-filters");
  await page.evaluate(() => (window.__sameDocument = true));
  const status = live.getByRole("status");
  await live.getByText("35 products · page 1 of 6").waitFor();
  const names = () => texts(page, "tbody td:first-child");

  await live.getByRole("link", { name: "Kitchen" }).click();
  await live.getByText("7 products · page 1 of 2").waitFor();
  assert.deepEqual(queryOf(page), { department: "kitchen" });
  assert.equal(await live.getByRole("link", { name: "Kitchen" }).getAttribute("aria-current"), "true");
  assert.deepEqual(sent.at(-1), { action: "__navigate__", data: { department: "kitchen" } });
  const byName = await names();
  assert.equal(byName[0], "Cast Iron Skillet");

  await live.getByRole("link", { name: "Price, high to low" }).click();
  await page.waitForURL(/sort=price-high/);
  await firstRow(page, "Stand Mixer");
  assert.deepEqual(queryOf(page), { department: "kitchen", sort: "price-high" });
  const byPrice = await names();
  assert.equal(byPrice[0], "Stand Mixer");

  await live.getByRole("link", { name: "Next →" }).click();
  await live.getByText("7 products · page 2 of 2").waitFor();
  assert.deepEqual(queryOf(page), { department: "kitchen", sort: "price-high", page: "2" });
  assert.deepEqual(await names(), ["Wooden Spoon Set"]);
  const bookmark = page.url();

  // Back and Forward: the client fetches the page at that URL and reconnects.
  await step(page, sockets, "back");
  await live.getByText("7 products · page 1 of 2").waitFor();
  assert.deepEqual(queryOf(page), { department: "kitchen", sort: "price-high" });
  assert.deepEqual(await names(), byPrice);
  await step(page, sockets, "back");
  assert.deepEqual(queryOf(page), { department: "kitchen" });
  await firstRow(page, byName[0]);
  assert.deepEqual(await names(), byName);
  await step(page, sockets, "forward");
  await firstRow(page, "Stand Mixer");
  assert.deepEqual(await names(), byPrice);
  assert.equal(await page.evaluate(() => window.__sameDocument), true, "no full page load on the way");
  // The live page, after all that, still answers links.
  await live.getByRole("link", { name: "Next →" }).click();
  await live.getByText("7 products · page 2 of 2").waitFor();
  assert.equal(page.url(), bookmark);

  await page.reload();
  await waitConnected(page);
  assert.match(await status.innerText(), /7 products · page 2 of 2/);
  assert.deepEqual(await names(), ["Wooden Spoon Set"]);

  // The URL pasted into another browser (no shared cookies).
  const context = await env.browser.newContext();
  const other = await open(new URL(bookmark).pathname + new URL(bookmark).search, context);
  assert.match(await other.live.getByRole("status").innerText(), /7 products · page 2 of 2/);
  assert.deepEqual(await texts(other.page, "tbody td:first-child"), ["Wooden Spoon Set"]);
  assert.equal(await other.live.getByRole("link", { name: "Kitchen" }).getAttribute("aria-current"), "true");
  assert.deepEqual([...errors, ...other.errors], []);
  await context.close();
  await page.close();
});

test("url-filters: values that do not parse are named and ignored, never a failed page", async () => {
  const { page, live, response, errors } = await open("/search/url-filters?page=abc&sort=cheapest&department=kitchen");
  assert.equal(response.status(), 200);
  const alerts = await texts(page, '[role="alert"]');
  assert.ok(alerts.some((a) => a.startsWith('Ignored: "abc" is not a valid page')), JSON.stringify(alerts));
  assert.ok(alerts.some((a) => a.startsWith('Ignored: "cheapest" is not a valid sort')), JSON.stringify(alerts));
  await live.getByText("7 products · page 1 of 2").waitFor();
  assert.equal((await texts(page, "tbody td:first-child"))[0], "Cast Iron Skillet", "the rest applies, sorted by name");

  // A page past the end shows the last one, and says so.
  await page.goto(`${env.gallery.url}/search/url-filters?department=music&page=9`);
  await waitConnected(page);
  await live.getByText("There is no page 9: showing page 2 of 2.").waitFor();
  // A clean link clears the message.
  await live.getByRole("link", { name: "All" }).first().click();
  await live.getByText("35 products · page 1 of 6").waitFor();
  assert.equal(await live.getByRole("alert").count(), 0);
  assert.deepEqual(errors, []);
  await page.close();
});

test("tabs: tab links change the URL and only the panel on the wire; Back/Forward restore; no page reload", async () => {
  const { page, live, errors, replyTo, sockets } = await open("/navigation/tabs");
  await page.evaluate(() => (window.__sameDocument = true));
  const tab = (name) => live.getByRole("tab", { name });
  const panel = live.getByRole("tabpanel");
  assert.equal(await tab("Overview").getAttribute("aria-selected"), "true");
  assert.equal(await panel.getAttribute("aria-labelledby"), "tab-overview");
  await panel.getByText("boils water").waitFor();

  const toSpecs = replyTo("__navigate__");
  await tab("Specs").click();
  const reply = await toSpecs;
  await panel.getByText("Capacity").waitFor();
  assert.deepEqual(queryOf(page), { tab: "specs" });
  assert.equal(await tab("Specs").getAttribute("aria-selected"), "true");
  assert.equal(await tab("Overview").getAttribute("aria-selected"), "false");
  assert.equal(await live.getByRole("tabpanel", { name: "Specs" }).count(), 1, "the panel is labelled by its tab");
  assert.ok(!reply.text.includes("tablist") && !reply.text.includes("Overview"), `only the panel and selection travel: ${reply.text}`);
  assert.ok(reply.text.includes("Capacity"));

  await tab("Reviews").click();
  await panel.getByText("Three years").waitFor();
  assert.deepEqual(queryOf(page), { tab: "reviews" });

  await step(page, sockets, "back");
  await page.waitForURL(/tab=specs/);
  await live.getByRole("tabpanel").getByText("Capacity").waitFor();
  assert.equal(await tab("Specs").getAttribute("aria-selected"), "true");
  await step(page, sockets, "forward");
  await page.waitForURL(/tab=reviews/);
  await live.getByRole("tabpanel").getByText("Three years").waitFor();
  assert.equal(await tab("Reviews").getAttribute("aria-selected"), "true");
  assert.equal(await page.evaluate(() => window.__sameDocument), true, "no full page load");

  await page.goto(`${env.gallery.url}/navigation/tabs?tab=pricing`);
  await waitConnected(page);
  await live.getByText("There is no tab “pricing”: showing Overview.").waitFor();
  assert.equal(await tab("Overview").getAttribute("aria-selected"), "true");
  assert.deepEqual(errors, []);
  await page.close();
});
