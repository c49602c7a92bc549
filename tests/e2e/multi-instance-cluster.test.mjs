// Two gallery instances over a real Redis Cluster of three masters (started
// here on free ports): `--redis-url` with the nodes' URLs, comma-separated.
// A ping fired on B reaches the tab on A; each instance says which channels
// it listens on and counts what crossed the bus.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startGallery, launchBrowser, eventually, waitConnected, metrics, startRedisCluster } from "./harness.mjs";

const PAGE = "/realtime/multi-instance";

const env = {};
before(async () => {
  env.redis = await startRedisCluster();
  env.a = await startGallery(["--redis-url", env.redis.url, "--instance-name", "a"]);
  env.b = await startGallery(["--redis-url", env.redis.url, "--instance-name", "b"]);
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

test("over a Redis Cluster a tab on A follows a ping fired on B, and each instance listens only on its tabs' channels", async () => {
  const status = await cluster(env.a);
  assert.match(status.bus, /cluster/);
  assert.deepEqual(status.subscriptions, ["lvt:bus"], "no tabs yet: the control channel alone");

  const context = await env.browser.newContext();
  const onA = await context.newPage();
  await onA.goto(`${env.a.url}${PAGE}`);
  await waitConnected(onA);
  // A listens on the tab's group channel from its first tab there; B has no tab and does not.
  await eventually(async () => (await cluster(env.a)).subscriptions.some((c) => c.startsWith("lvt:g:")), 5_000, "A listens on the tab's group");
  assert.deepEqual((await cluster(env.b)).subscriptions, ["lvt:bus"]);

  const onB = await context.newPage();
  await onB.goto(`${env.b.url}${PAGE}`);
  await waitConnected(onB);
  await onB.getByRole("button", { name: "Ping my tabs from this instance" }).click();
  await onA.locator(".pings li", { hasText: "ping from instance b" }).waitFor();

  const [onAMetrics, onBMetrics] = [await metrics(env.a.url), await metrics(env.b.url)];
  assert.ok(onBMetrics.livetemplate_bus_published_total > 0, "B published");
  assert.ok(onAMetrics.livetemplate_bus_received_total > 0, "A received");

  // The last tab on A gone, A stops listening on its group.
  await onA.close();
  await eventually(async () => !(await cluster(env.a)).subscriptions.some((c) => c.startsWith("lvt:g:")), 5_000, "A lets go of the group");
  await context.close();
});
