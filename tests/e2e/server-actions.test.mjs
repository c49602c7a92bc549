// The server-action demos in Chromium: each example's "Try" flow, tabs of one
// browser context following each other (one session group) while other
// contexts do not, signed-in users, the webhook, and cancellation.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { createHmac } from "node:crypto";
import { promisify } from "node:util";
import { metrics, eventually, waitConnected, galleryAndBrowser } from "./harness.mjs";

const env = galleryAndBrowser();
const run = promisify(execFile);

/** Opens `path` in `context` and waits for the live connection. */
async function open(context, path) {
  const page = await context.newPage();
  await page.goto(`${env.gallery.url}${path}`);
  await waitConnected(page);
  return page;
}

/** A new browser context (its own cookies: its own session group), signed in as `name`. */
async function signedIn(name, path) {
  const context = await env.browser.newContext();
  const page = await context.newPage();
  await page.goto(`${env.gallery.url}${path}`);
  await page.getByLabel("Sign in as").fill(name);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByText(`Signed in as ${name}`).waitFor();
  await waitConnected(page);
  return { context, page };
}

const number = async (page, selector) => Number(await page.locator(selector).first().innerText());

test("Ticker: both tabs of a group tick together, Reset resets both, another group is separate", async () => {
  const group = await env.browser.newContext();
  const tab1 = await open(group, "/realtime/ticker");
  await eventually(async () => (await number(tab1, ".big-number strong")) >= 2, 5_000, "tab 1 ticks");
  const tab2 = await open(group, "/realtime/ticker");
  // The second tab starts where the group is, then both count on together.
  await eventually(async () => {
    const [a, b] = [await number(tab1, ".big-number strong"), await number(tab2, ".big-number strong")];
    return a >= 3 && a === b;
  }, 5_000, "tabs in step");
  await tab2.getByRole("button", { name: "Reset" }).click();
  await eventually(async () => (await number(tab1, ".big-number strong")) <= 1, 3_000, "tab 1 follows the reset");

  const other = await open(await env.browser.newContext(), "/realtime/ticker");
  assert.ok((await number(other, ".big-number strong")) <= 1, "a new group starts from 0");
  await group.close();
  await other.context().close();
});

test("Dashboard: the figures refresh every 5 s and count the connections", async () => {
  const context = await env.browser.newContext();
  const page = await open(context, "/realtime/dashboard");
  await page.getByText("sample 2").waitFor({ timeout: 8_000 });
  const more = await open(await env.browser.newContext(), "/realtime/dashboard");
  await page.getByRole("button", { name: "Refresh now" }).click();
  await eventually(async () => (await number(page, ".figure strong")) >= 2, 3_000, "two connections counted");
  await more.context().close();
  await context.close();
});

test("Export: progress, a real CSV to download, a simulated failure, and cancel on close", async () => {
  const context = await env.browser.newContext();
  const page = await open(context, "/realtime/export");
  await page.getByRole("button", { name: "Start export" }).click();
  await page.locator("progress").waitFor();
  await page.locator(".demo [aria-busy=true]").waitFor();
  const link = page.getByRole("link", { name: "Download export.csv" });
  await link.waitFor({ timeout: 10_000 });
  const csv = await (await fetch(`${env.gallery.url}${await link.getAttribute("href")}`)).text();
  const lines = csv.trim().split("\n");
  assert.equal(lines[0], "id,name,amount");
  assert.equal(lines.length, 1001, "a header and 1000 rows");

  await page.getByLabel("Simulate a failure").check();
  await page.getByRole("button", { name: "Start export" }).click();
  await page.getByText("Failed: the disk is full (simulated)").waitFor({ timeout: 10_000 });

  // Earlier tabs of this file are closed: their tasks end, and so does the failed job.
  await eventually(async () => (await metrics(env.gallery.url)).livetemplate_tasks === 0, 3_000, "no live task");
  const baseline = 0;
  await page.getByLabel("Simulate a failure").uncheck();
  await page.getByRole("button", { name: "Start export" }).click();
  await page.locator(".demo [aria-busy=true]").waitFor();
  assert.equal((await metrics(env.gallery.url)).livetemplate_tasks, baseline + 1, "the job is a live task");
  await page.close();
  await eventually(async () => (await metrics(env.gallery.url)).livetemplate_tasks === baseline, 3_000, "the job is cancelled");
  await context.close();
});

test("Notifications: only the addressed user's tabs, in every browser of theirs, show it", async () => {
  const ana = await signedIn("ana", "/realtime/notifications");
  const ana2 = await open(ana.context, "/realtime/notifications");
  const ben = await signedIn("ben", "/realtime/notifications");

  await ana.page.getByLabel("To").fill("ana");
  await ana.page.getByLabel("Message").fill("hello ana");
  await ana.page.getByRole("button", { name: "Send" }).click();
  await ana2.locator(".toast", { hasText: "hello ana" }).waitFor();
  await ana.page.getByText("Delivered to 2 tab(s) of ana.").waitFor();

  // Then a message for ben: had ben got ana's, it would have arrived first.
  await ana.page.getByLabel("To").fill("ben");
  await ana.page.getByLabel("Message").fill("for ben");
  await ana.page.getByRole("button", { name: "Send" }).click();
  await ben.page.locator(".toast", { hasText: "for ben" }).waitFor();
  assert.equal(await ben.page.locator(".toast", { hasText: "hello ana" }).count(), 0);

  await ana.page.getByLabel("To").fill("nobody");
  await ana.page.getByLabel("Message").fill("anyone?");
  await ana.page.getByRole("button", { name: "Send" }).click();
  await ana.page.getByText("nobody has no tab open right now").waitFor();
  await ana.context.close();
  await ben.context.close();
});

test("Webhook: the page's signed command reaches the user's tab; unsigned or bad bodies are refused", async () => {
  const wes = await signedIn("wes", "/realtime/webhook");
  const command = await wes.page.locator("pre.command").innerText();
  assert.match(command, /curl -X POST http:\/\/127\.0\.0\.1:\d+\/webhooks\/notify/);
  // The Try flow as a person runs it: the commands shown, in a shell.
  const { stdout } = await run("sh", ["-c", command]);
  assert.deepEqual(JSON.parse(stdout), { delivered: 1 });
  await wes.page.locator(".toast", { hasText: "Deploy finished" }).waitFor();

  const secret = await wes.page.locator("code.secret").innerText();
  const sign = (body) => `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`;
  const post = (body, signature = sign(body)) =>
    fetch(`${env.gallery.url}/webhooks/notify`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-signature": signature },
      body,
    });
  const again = JSON.stringify({ user_id: "wes", message: "Deployed again" });
  const ok = await post(again);
  assert.equal(ok.status, 200);
  assert.deepEqual(await ok.json(), { delivered: 1 });
  await wes.page.locator(".toast", { hasText: "Deployed again" }).waitFor();
  assert.equal((await post(again, "sha256=00")).status, 401, "a wrong signature");

  const nobody = await post(JSON.stringify({ user_id: "nobody", message: "x" }));
  assert.deepEqual(await nobody.json(), { delivered: 0 });
  for (const bad of ["not json", "{}", JSON.stringify({ user_id: "wes" }), JSON.stringify({ user_id: "", message: "x" })]) {
    const answer = await post(bad);
    assert.equal(answer.status, 400, bad);
    assert.ok((await answer.json()).error.length > 10, "a clear message");
  }
  await wes.context.close();
});

test("Welcome: the greeting arrives a moment after the page", async () => {
  const wil = await signedIn("wil", "/realtime/welcome");
  await wil.page.reload();
  await waitConnected(wil.page);
  await wil.page.getByText("Welcome back, wil!").waitFor({ timeout: 3_000 });
  await wil.context.close();
});

test("Cross-tab: three tabs follow each other by Sync, broadcast and trigger; another context does not", async () => {
  const group = await env.browser.newContext();
  const [t1, t2, t3] = [await open(group, "/realtime/cross-tab"), await open(group, "/realtime/cross-tab"), await open(group, "/realtime/cross-tab")];
  const other = await open(await env.browser.newContext(), "/realtime/cross-tab");

  await t1.getByRole("button", { name: "+1" }).click();
  for (const t of [t2, t3]) await eventually(async () => (await number(t, ".big-number strong")) === 1, 3_000, "sync");
  await t2.getByRole("button", { name: "Wave to the other tabs" }).click();
  for (const t of [t1, t3]) await eventually(async () => (await number(t, ".waves-received")) === 1, 3_000, "wave");
  assert.equal(await number(t2, ".waves-received"), 0, "the sender is not waved at");
  await t3.getByRole("button", { name: "Ring every tab" }).click();
  for (const t of [t1, t2, t3]) await eventually(async () => (await number(t, ".rings")) === 1, 3_000, "ring");

  // The other context is another group: its count starts from its own 0.
  await other.getByRole("button", { name: "+1" }).click();
  await eventually(async () => (await number(other, ".big-number strong")) === 1, 3_000, "own count");
  assert.equal(await number(other, ".rings"), 0);
  assert.equal(await number(t1, ".big-number strong"), 1);
  await group.close();
  await other.context().close();
});

test("Chat: two users see each other's messages and who is here", async () => {
  const cai = await signedIn("cai", "/realtime/chat");
  const dee = await signedIn("dee", "/realtime/chat");
  await cai.page.getByText("Here now (2)").waitFor();
  await cai.page.getByLabel("Message").fill("hello dee");
  await cai.page.getByRole("button", { name: "Send" }).click();
  await dee.page.locator(".messages li", { hasText: "hello dee" }).waitFor();
  assert.equal(await cai.page.getByLabel("Message").inputValue(), "", "the box is cleared after sending");
  await dee.context.close();
  await cai.page.getByText("Here now (1)").waitFor();
  await cai.context.close();
});
