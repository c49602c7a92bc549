// Real-Time & Multi-User patterns in Chromium, each Try done as a person
// would: Markdown previewed as it is typed, with anything hostile left inert;
// a topic feed where a tab gets only what it subscribed to, scrolled to the
// newest; a shared list where one browser's change shows in another at once.
import { test } from "node:test";
import assert from "node:assert/strict";
import { eventually, galleryAndBrowser, waitConnected } from "./harness.mjs";

const env = galleryAndBrowser();

/** A fresh browser context (another person: other cookies) on `path`. */
async function open(path) {
  const context = await env.browser.newContext();
  const page = await context.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(e.message));
  page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
  const dialogs = [];
  page.on("dialog", (d) => {
    dialogs.push(d.message());
    d.dismiss().catch(() => {});
  });
  await page.goto(`${env.gallery.url}${path}`);
  await waitConnected(page);
  return { context, page, errors, dialogs, demo: page.locator("[data-lvt-id]") };
}

test("live preview: the preview follows the typing, and typed HTML or a javascript: link stays inert", async () => {
  const { context, page, errors, dialogs, demo } = await open("/realtime/live-preview");
  const preview = demo.locator(".md-preview");
  const source = demo.getByLabel("Markdown");
  await preview.locator("h3", { hasText: "Release notes" }).waitFor();

  await source.fill("");
  await preview.getByText("Nothing to preview yet.").waitFor();
  await source.pressSequentially("# Plan\n\nShip **fast** and *well*, see [docs](https://example.com/docs).\n\n- one\n- two ");
  await preview.locator("h3", { hasText: "Plan" }).waitFor();
  await preview.locator("strong", { hasText: "fast" }).waitFor();
  await preview.locator("em", { hasText: "well" }).waitFor();
  await preview.locator("li", { hasText: "two" }).waitFor();
  assert.equal(await preview.getByRole("link", { name: "docs" }).getAttribute("href"), "https://example.com/docs");
  // Word and character counts.
  await eventually(async () => (await demo.locator(".words").textContent()) === "12", 5000, "12 words");
  const typed = await source.inputValue();
  assert.equal(await demo.locator(".chars").textContent(), String([...typed].length));
  // The browser owns the textarea: no render took back the trailing space.
  assert.ok((await source.inputValue()).endsWith("two "), "what was typed stays as typed");

  await source.pressSequentially("\n\n<script>alert(1)</script>\n\n[x](javascript:alert(1)) <img src=x onerror=alert(2)>");
  await preview.getByText("<script>alert(1)</script>", { exact: false }).waitFor();
  assert.equal(await preview.locator("script, img, [onerror]").count(), 0, "no element made of typed HTML");
  const hrefs = await preview.locator("a").evaluateAll((as) => as.map((a) => a.getAttribute("href")));
  assert.deepEqual(hrefs, ["https://example.com/docs"], "the javascript: link lost its URL");
  await preview.locator(".dropped", { hasText: "x" }).waitFor();
  // Clicking what was the link does nothing either.
  await preview.locator(".dropped", { hasText: "x" }).click();
  assert.deepEqual(dialogs, [], "no dialog opened");
  assert.deepEqual(errors, []);
  await context.close();
});

test("pub/sub: a tab gets the topics it subscribed to, and only those; the feed stays at the newest", async () => {
  const a = await open("/realtime/pubsub");
  const b = await open("/realtime/pubsub");
  const stamp = Date.now();
  await a.demo.getByRole("button", { name: "Subscribe to #alerts" }).click();
  await a.demo.getByRole("button", { name: "Unsubscribe from #alerts" }).waitFor();

  const publish = async (topic, text) => {
    await b.demo.getByLabel("Topic", { exact: true }).selectOption(topic);
    await b.demo.getByLabel("Message", { exact: true }).fill(text);
    await b.demo.getByRole("button", { name: "Publish" }).click();
    await b.demo.getByText(`Published “${text}” to #${topic}.`).waitFor();
  };
  await publish("deploys", `deploy ${stamp}`);
  await publish("alerts", `alert ${stamp}`);
  const feedA = a.demo.locator(".feed");
  await feedA.getByText(`alert ${stamp}`).waitFor();
  // The deploy was published first: had it been sent to A, it would be here.
  assert.equal(await feedA.getByText(`deploy ${stamp}`).count(), 0, "A does not follow #deploys");
  // B follows only #chat (the default): neither reached B's own feed.
  assert.equal(await b.demo.locator(".feed").getByText(`alert ${stamp}`).count(), 0);

  // Enough #chat messages to overflow the feed: it keeps the newest in view.
  for (let i = 1; i <= 12; i++) await publish("chat", `chat ${i} ${stamp}`);
  const last = feedA.getByText(`chat 12 ${stamp}`);
  await last.waitFor();
  await eventually(
    () =>
      feedA.evaluate((el) => el.scrollHeight > el.clientHeight && el.scrollHeight - el.scrollTop - el.clientHeight < 2),
    5000,
    "A's feed overflows and is scrolled to the bottom",
  );
  assert.ok(await last.isVisible());
  // Messages are keyed: one element per message.
  const keys = await feedA.locator("li[data-key]").evaluateAll((lis) => lis.map((li) => li.dataset.key));
  assert.equal(new Set(keys).size, keys.length);

  // Unsubscribed, A gets no more alerts (the chat after it does arrive).
  await a.demo.getByRole("button", { name: "Unsubscribe from #alerts" }).click();
  await a.demo.getByRole("button", { name: "Subscribe to #alerts" }).waitFor();
  await publish("alerts", `late alert ${stamp}`);
  await publish("chat", `after ${stamp}`);
  await feedA.getByText(`after ${stamp}`).waitFor();
  assert.equal(await feedA.getByText(`late alert ${stamp}`).count(), 0);
  assert.deepEqual([...a.errors, ...b.errors], []);
  await a.context.close();
  await b.context.close();
});

test("multi-user refresh: a change in one browser shows in another at once, with who made it", async () => {
  const a = await open("/realtime/multi-user-refresh");
  const b = await open("/realtime/multi-user-refresh");
  const nameA = await a.demo.locator(".me").textContent();
  const nameB = await b.demo.locator(".me").textContent();
  assert.match(nameA, /^guest-[0-9a-f]{4}$/);
  assert.notEqual(nameA, nameB, "two browsers, two names");

  const task = `Order <b>pizza</b> ${Date.now()}`;
  await a.demo.getByLabel("Task", { exact: true }).fill(task);
  await a.demo.getByRole("button", { name: "Add" }).click();
  // B did nothing: the new list and who changed it arrive by themselves.
  const rowB = b.demo.locator(".tasks li", { hasText: task });
  await rowB.waitFor();
  assert.equal(await b.demo.locator(".tasks b").count(), 0, "the task's text stays text");
  await eventually(async () => (await b.demo.locator(".last-change").textContent()).includes(`${nameA} added`), 5000, "B sees who added it");

  // And back: B ticks it, A sees it ticked, by B.
  await rowB.getByRole("checkbox").check();
  const rowA = a.demo.locator(".tasks li", { hasText: task });
  await eventually(() => rowA.getByRole("checkbox").isChecked(), 5000, "A sees the task ticked");
  await eventually(async () => (await a.demo.locator(".last-change").textContent()).includes(`${nameB} checked`), 5000, "A sees who ticked it");
  await b.demo.getByRole("button", { name: `Remove “${task}”` }).click();
  await rowA.waitFor({ state: "detached" });
  assert.deepEqual([...a.errors, ...b.errors], []);
  await a.context.close();
  await b.context.close();
});
