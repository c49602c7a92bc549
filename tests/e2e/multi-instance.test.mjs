// Two gallery instances sharing one real redis-server (started here on a free
// port), with Chromium tabs on both: pushes fired on B reach tabs on A, each
// instance keeps serving its tabs while Redis is down, and after Redis comes
// back delivery returns and the tabs are resynced.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { startGallery, launchBrowser, eventually, waitConnected, freePort, startRedis } from "./harness.mjs";

const PAGE = "/realtime/multi-instance";

const env = {};
before(async () => {
  env.port = await freePort();
  env.redis = await startRedis(env.port);
  const redisUrl = `redis://127.0.0.1:${env.port}`;
  env.a = await startGallery(["--redis-url", redisUrl, "--instance-name", "a"]);
  env.b = await startGallery(["--redis-url", redisUrl, "--instance-name", "b"]);
  env.browser = await launchBrowser();
  await eventually(async () => (await cluster(env.a)).peers.length === 1 && (await cluster(env.b)).peers.length === 1, 10_000, "the instances meet");
});
after(async () => {
  await env.browser?.close();
  await env.a?.stop();
  await env.b?.stop();
  await env.redis?.kill();
});

const cluster = async (instance) => (await fetch(`${instance.url}/api/cluster.json`)).json();

/** B's count of tabs on A (as A last reported them). */
const tabsOnA = async () => (await cluster(env.b)).peers.find((p) => p.instance === "a")?.connections ?? 0;

async function open(context, instance, path) {
  const page = await context.newPage();
  await page.goto(`${instance.url}${path}`);
  await waitConnected(page);
  return page;
}

async function signedIn(context, instance, name, path) {
  const page = await context.newPage();
  await page.goto(`${instance.url}${path}`);
  await page.getByLabel("Sign in as").fill(name);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByText(`Signed in as ${name}`).waitFor();
  await waitConnected(page);
  return page;
}

const text = (page, selector) => page.locator(selector).first().innerText();

test("a tab on A follows a trigger fired on B and a Sync from a tab on B; persisted state moves to B", async () => {
  // One browser: the same cookie on both ports, so one session group.
  const context = await env.browser.newContext();
  const onA = await open(context, env.a, PAGE);
  const onB = await open(context, env.b, PAGE);
  assert.equal(await text(onA, ".instance"), "a");
  assert.equal(await text(onB, ".instance"), "b");

  await onB.getByRole("button", { name: "Ping my tabs from this instance" }).click();
  await onA.locator(".pings li", { hasText: "ping from instance b" }).waitFor();

  await onB.getByRole("button", { name: "+1" }).click();
  await eventually(async () => (await text(onA, ".count")) === "1", 5_000, "A takes B's count");

  await onA.getByRole("button", { name: "+1" }).click();
  await eventually(async () => (await text(onB, ".count")) === "2", 5_000, "B takes A's count");
  await onA.close();
  await onB.close();
  const again = await open(context, env.b, PAGE);
  assert.equal(await text(again, ".count"), "2", "restored on B from what A wrote");
  await context.close();
});

test("a webhook POSTed to B reaches the user's tab on A, and a topic publish from B reaches A", async () => {
  const ana = await env.browser.newContext();
  const webhook = await signedIn(ana, env.a, "ana", "/realtime/webhook");
  await eventually(async () => (await tabsOnA()) >= 1, 5_000, "B counts ana's tab on A");
  // The secret shown on A signs for B too: the instances share it through Redis.
  const secret = await webhook.locator("code.secret").innerText();
  const body = JSON.stringify({ user_id: "ana", message: "Deploy finished on B" });
  const signature = `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`;
  const answer = await fetch(`${env.b.url}/webhooks/notify`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-signature": signature },
    body,
  });
  assert.deepEqual(await answer.json(), { delivered: 1 }, "B counts the tab on A");
  await webhook.locator(".toast", { hasText: "Deploy finished on B" }).waitFor();

  // Signed in on A, the same cookie is accepted by B (one shared key in Redis).
  const chatOnA = await open(ana, env.a, "/realtime/chat");
  const ben = await env.browser.newContext();
  const chatOnB = await signedIn(ben, env.b, "ben", "/realtime/chat");
  await chatOnB.getByLabel("Message").fill("hello from B");
  await chatOnB.getByRole("button", { name: "Send" }).click();
  await chatOnA.locator(".messages li", { hasText: "hello from B" }).waitFor();
  await ana.close();
  await ben.close();
});

test("with Redis down each instance serves its own tabs; when it returns, delivery resumes and tabs are resynced", async () => {
  const context = await env.browser.newContext();
  const onA = await open(context, env.a, PAGE);
  const onB = await open(context, env.b, PAGE);
  const resyncsBefore = Number(await text(onA, ".resyncs"));

  await env.redis.kill();
  await eventually(async () => !(await cluster(env.a)).connected && !(await cluster(env.b)).connected, 10_000, "both see Redis gone");
  const before = Number(await text(onA, ".count"));
  await onA.getByRole("button", { name: "+1" }).click();
  await eventually(async () => Number(await text(onA, ".count")) === before + 1, 5_000, "A still serves its tab");
  await onB.getByRole("button", { name: "Ping my tabs from this instance" }).click();
  await onB.locator(".pings li", { hasText: "ping from instance b" }).waitFor();

  const restarted = Date.now();
  env.redis = await startRedis(env.port);
  await eventually(async () => (await cluster(env.a)).connected && (await cluster(env.b)).connected, 5_000, "both reconnect");
  await eventually(async () => Number(await text(onA, ".resyncs")) > resyncsBefore, 5_000, "the tab on A is resynced");
  // Delivery across instances is back, without restarting either.
  await eventually(async () => (await tabsOnA()) >= 1, 5_000, "B counts the tab on A again");
  const pingsOnA = await onA.locator(".pings li", { hasText: "ping from instance b" }).count();
  await onB.getByRole("button", { name: "Ping my tabs from this instance" }).click();
  await eventually(async () => (await onA.locator(".pings li", { hasText: "ping from instance b" }).count()) > pingsOnA, 5_000, "a ping from B reaches A");
  console.log(`# delivery back ${Date.now() - restarted} ms after Redis restarted`);
  await context.close();
});
