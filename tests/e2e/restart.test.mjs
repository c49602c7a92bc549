// Restarts: a gallery with two Chromium tabs open on /realtime/cross-tab
// gets SIGTERM; it closes their sockets (1001, "going away"), ends what
// they run, exits 0 within its grace and logs that nothing is left. A new
// gallery starts on the same port; the tabs, untouched (no reload),
// reconnect by themselves at their next heartbeat tick (the stock client's
// default, 20 s) and show the persisted count again, and their buttons work.
//
// The persisted count survives only because both processes use one Redis
// (a real redis-server started here on a free port): the default store is
// in the process's memory, and a restart loses it.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { once } from "node:events";
import { startGallery, launchBrowser, eventually, waitConnected, freePort, startRedis } from "./harness.mjs";

const PAGE = "/realtime/cross-tab";
/** The gallery's shutdown grace here, in seconds: the bound on its exit. */
const GRACE = 5;

/** Starts a gallery on `addr` sharing `redisUrl`; collects its log. */
async function gallery(addr, redisUrl) {
  const g = await startGallery(["--redis-url", redisUrl, "--shutdown-grace", String(GRACE)], { addr });
  g.log = "";
  g.proc.stderr.on("data", (d) => (g.log += d));
  return g;
}

const env = {};
before(async () => {
  const redisPort = await freePort();
  env.redis = await startRedis(redisPort);
  env.redisUrl = `redis://127.0.0.1:${redisPort}`;
  env.addr = `127.0.0.1:${await freePort()}`;
  env.browser = await launchBrowser();
});
after(async () => {
  await env.browser?.close();
  await env.old?.stop();
  await env.new?.stop();
  await env.redis?.kill();
});

/** A tab on `url` whose sockets' closes and first frames are recorded. */
async function open(context, url) {
  const page = await context.newPage();
  // The close codes the page's sockets got, as the client saw them.
  await page.addInitScript(() => {
    window.__closes = [];
    const Native = window.WebSocket;
    window.WebSocket = class extends Native {
      constructor(...args) {
        super(...args);
        this.addEventListener("close", (e) => window.__closes.push(e.code));
      }
    };
  });
  const sockets = [];
  page.on("websocket", (ws) => {
    const socket = { frames: 0, closed: false };
    sockets.push(socket);
    ws.on("framereceived", () => socket.frames++);
    ws.on("close", () => (socket.closed = true));
  });
  await page.goto(`${url}${PAGE}`);
  await waitConnected(page);
  return { page, sockets };
}

const count = (page) => page.locator(".big-number strong").innerText();

test("a restart: tabs reconnect by themselves to the new process and get their persisted count back", async () => {
  env.old = await gallery(env.addr, env.redisUrl);
  // One context: one cookie, one session group, as two tabs of one browser.
  const context = await env.browser.newContext();
  const a = await open(context, env.old.url);
  const b = await open(context, env.old.url);
  for (let i = 0; i < 3; i++) await a.page.getByRole("button", { name: "+1" }).click();
  await eventually(async () => (await count(a.page)) === "3" && (await count(b.page)) === "3", 5_000, "both tabs show 3");

  // SIGTERM: the old process tells the tabs, and exits 0 within its grace.
  const stopping = Date.now();
  const exited = once(env.old.proc, "exit");
  env.old.proc.kill("SIGTERM");
  const [code] = await exited;
  const took = Date.now() - stopping;
  assert.equal(code, 0, env.old.log);
  assert.ok(took < GRACE * 1000, `exited after ${took} ms; grace ${GRACE} s`);
  assert.match(env.old.log, /shut down cleanly: 0 connections, 0 tasks, 0 kept tabs, 0 unsaved field sets left/);
  await eventually(() => a.sockets[0].closed && b.sockets[0].closed, 2_000, "the tabs' sockets were closed");
  // With 1001 "going away", not dropped: the stock client reconnects at its next heartbeat.
  for (const tab of [a, b]) assert.deepEqual(await tab.page.evaluate(() => window.__closes), [1001]);
  // The tabs still show what they showed: nothing cleared them.
  assert.equal(await count(a.page), "3");

  // A new process on the same port; the tabs are left alone.
  const restarting = Date.now();
  env.new = await gallery(env.addr, env.redisUrl);
  assert.equal(env.new.url, env.old.url);
  for (const tab of [a, b]) {
    await eventually(() => tab.sockets.length === 2 && tab.sockets[1].frames > 0, 30_000, "the tab reconnected by itself");
  }
  const back = Date.now() - restarting;
  assert.equal(await count(a.page), "3", "the persisted count, from Redis");
  assert.equal(await count(b.page), "3");

  // Live again: an action in one tab reaches the other.
  await b.page.getByRole("button", { name: "+1" }).click();
  await eventually(async () => (await count(a.page)) === "4" && (await count(b.page)) === "4", 5_000, "both tabs show 4");
  console.log(`restart: old process exited ${took} ms after SIGTERM; tabs back ${back} ms after the new one started`);
  await context.close();
});

test("without Redis the count is lost on restart: the store is the process's memory", async () => {
  const addr = `127.0.0.1:${await freePort()}`;
  const first = await startGallery(["--shutdown-grace", String(GRACE)], { addr });
  const context = await env.browser.newContext();
  try {
    const a = await open(context, first.url);
    await a.page.getByRole("button", { name: "+1" }).click();
    await eventually(async () => (await count(a.page)) === "1", 5_000, "the tab shows 1");
    await first.stop();
    const second = await startGallery(["--shutdown-grace", String(GRACE)], { addr });
    try {
      await eventually(() => a.sockets.length === 2 && a.sockets[1].frames > 0, 30_000, "the tab reconnected by itself");
      await eventually(async () => (await count(a.page)) === "0", 5_000, "the count starts again from 0");
    } finally {
      await second.stop();
    }
  } finally {
    await context.close();
  }
});
