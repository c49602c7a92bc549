// Resumable connections in Chromium, driven by the stock client. The page
// goes through a TCP proxy that can drop the network for a while: cut every
// connection (no close frame), or let them go silent (what a vanished
// network does: the server notices nothing); new connections wait until it
// is back. The client notices at its next heartbeat (1 s here, set the
// documented way: data-lvt-heartbeat-ms on <body>) and reconnects with its
// page load's token.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import net from "node:net";
import { metrics, eventually, waitConnected, galleryAndBrowser } from "./harness.mjs";

const env = galleryAndBrowser();
let proxy;

/**
 * A TCP proxy to `target` on a free port. `drop(ms)` cuts every connection
 * and holds new ones (unanswered, as a dead network would) for `ms`;
 * `silence(ms)` instead lets the open ones carry nothing, for good.
 */
function startProxy(target) {
  const { hostname, port } = new URL(target);
  const pairs = new Set();
  let online = Promise.resolve();
  const server = net.createServer(async (client) => {
    client.pause();
    await online;
    if (client.destroyed) return;
    const upstream = net.connect(Number(port), hostname);
    const pair = { client, upstream, silent: false };
    pairs.add(pair);
    const end = () => {
      client.destroy();
      upstream.destroy();
      pairs.delete(pair);
    };
    for (const s of [client, upstream]) {
      s.on("error", end);
      s.on("close", end);
    }
    client.on("data", (d) => pair.silent || upstream.write(d));
    upstream.on("data", (d) => pair.silent || client.write(d));
    client.resume();
  });
  return new Promise((resolve) => {
    server.listen(0, "127.0.0.1", () => {
      resolve({
        url: `http://127.0.0.1:${server.address().port}`,
        sever() {
          const n = pairs.size;
          for (const { client, upstream } of pairs) {
            client.destroy();
            upstream.destroy();
          }
          pairs.clear();
          return n;
        },
        /** Cuts every connection, holds new ones for `ms`; how many were cut. */
        drop(ms) {
          online = new Promise((r) => setTimeout(r, ms));
          return this.sever();
        },
        /**
         * Every open connection carries nothing from now on (neither end
         * hears of it), and new ones wait `ms`; how many went silent.
         */
        silence(ms) {
          const silenced = [...pairs];
          for (const pair of silenced) pair.silent = true;
          online = new Promise((r) => setTimeout(r, ms));
          return silenced.length;
        },
        close: () => new Promise((r) => server.close(r)),
      });
    });
  });
}

after(async () => {
  proxy?.sever();
  await proxy?.close();
});

/**
 * A new tab on `path` through the proxy, with a 1 s client heartbeat; its
 * sockets are recorded: `{ url, opened, first: {at, bytes, text} }`.
 */
async function open(context, path) {
  proxy ??= await startProxy(env.gallery.url);
  const page = await context.newPage();
  await page.addInitScript(() => {
    // When each socket opened, and when the first update after it was applied.
    window.__links = [];
    document.addEventListener("lvt:connected", () => window.__links.push({ open: performance.now(), applied: null }), true);
    document.addEventListener("lvt:updated", () => {
      const last = window.__links.at(-1);
      if (last && last.applied === null) last.applied = performance.now();
    }, true);
    new MutationObserver((_, seen) => {
      if (!document.body) return;
      document.body.setAttribute("data-lvt-heartbeat-ms", "1000");
      seen.disconnect();
    }).observe(document, { childList: true, subtree: true });
  });
  const sockets = [];
  page.on("websocket", (ws) => {
    const socket = { url: ws.url(), opened: performance.now(), first: null };
    sockets.push(socket);
    ws.on("framereceived", ({ payload }) => {
      if (socket.first === null && typeof payload === "string" && payload.includes('"tree"')) {
        socket.first = { at: performance.now(), bytes: Buffer.byteLength(payload), text: payload };
      }
    });
  });
  await page.goto(`${proxy.url}${path}`);
  await waitConnected(page);
  return { page, sockets };
}

/** Waits for the tab's `n`th socket (1-based) to have its first frame. */
async function socketBack(tab, n) {
  return eventually(() => tab.sockets[n - 1]?.first && tab.sockets[n - 1], 10_000, `socket ${n} and its first frame`);
}

test("Server Push across a dropped socket: catches up, ends Last completed: 10s, no tick lost or doubled", async () => {
  const before = await metrics(env.gallery.url);
  const tab = await open(env.browser, "/realtime/server-push");
  const { page, sockets } = tab;
  // The token rides in the socket's URL; the address bar stays clean.
  assert.match(sockets[0].url, /[?&]lvt_tab=[0-9a-f]{32}/, sockets[0].url);
  assert.doesNotMatch(page.url(), /lvt_tab/, page.url());
  // Each running value as it first appears in the DOM, and when.
  await page.evaluate(() => {
    window.__ticks = [];
    new MutationObserver(() => {
      const m = document.body.innerText.match(/Timer running: (\d+) \/ 10s/);
      if (m && window.__ticks.at(-1)?.n !== Number(m[1])) {
        window.__ticks.push({ n: Number(m[1]), at: performance.now() });
      }
    }).observe(document.body, { subtree: true, childList: true, characterData: true });
  });
  const started = await page.evaluate(() => performance.now());
  await page.getByRole("button", { name: "Start Timer" }).click();
  await page.getByText("Timer running: 2 / 10s").waitFor({ timeout: 10_000 });

  const dropped = await page.evaluate(() => performance.now());
  assert.ok(proxy.drop(3000) >= 1, "a connection was cut");
  const back = await socketBack(tab, 2);
  assert.equal(back.url, sockets[0].url, "it came back on the same page load's URL");
  await page.getByText("Last completed: 10s").waitFor({ timeout: 20_000 });

  const ticks = await page.evaluate(() => window.__ticks);
  const seen = ticks.map((t) => t.n).filter((n) => n > 0);
  // In order, none twice, none past 10; the gap is the time away.
  for (let i = 1; i < seen.length; i++) {
    assert.ok(seen[i] > seen[i - 1], `ticks seen in order, none twice: ${JSON.stringify(seen)}`);
  }
  assert.ok(seen.at(-1) <= 10, JSON.stringify(seen));
  const afterDrop = ticks.filter((t) => t.at > dropped);
  assert.ok(afterDrop.length >= 1, `the tab showed the timer again after the drop: ${JSON.stringify(ticks)}`);
  // The first value shown again is the server's count of the seconds
  // since Start (within a tick): nothing was lost while away.
  const expected = Math.floor((afterDrop[0].at - started) / 1000);
  assert.ok(
    Math.abs(afterDrop[0].n - expected) <= 1,
    `shown ${afterDrop[0].n} ${((afterDrop[0].at - started) / 1000).toFixed(1)} s after Start; ticks ${JSON.stringify(seen)}`,
  );
  const after = await metrics(env.gallery.url);
  assert.equal(after.livetemplate_resumes_total - before.livetemplate_resumes_total, 1, "resumed, not mounted afresh");
  const links = await page.evaluate(() => window.__links);
  const link = links[1];
  console.log(
    `# resume: away ${(link.open - dropped).toFixed(0)} ms; socket open to caught-up frame applied ${(link.applied - link.open).toFixed(1)} ms; ` +
      `catch-up ${back.first.bytes} bytes (showing ${afterDrop[0].n}) vs first mount ${sockets[0].first.bytes} bytes`,
  );
  await page.close();
  await eventually(async () => {
    const m = await metrics(env.gallery.url);
    return m.livetemplate_tasks === 0 && m.livetemplate_connections === 0 && m.livetemplate_parked_views === 0 && m;
  }, 5000, "tasks, connections and kept tabs back to 0");
});

test("two tabs of one group each get their own list back after the drop", async () => {
  const context = await env.browser.newContext();
  const one = await open(context, "/lists/click-to-load");
  const two = await open(context, "/lists/click-to-load");
  await one.page.getByRole("button", { name: /Load more/ }).click();
  await one.page.getByText("Showing 20 of 45 orders.").waitFor();
  for (const shown of [20, 30]) {
    await two.page.getByRole("button", { name: /Load more/ }).click();
    await two.page.getByText(`Showing ${shown} of 45 orders.`).waitFor();
  }
  assert.notEqual(one.sockets[0].url, two.sockets[0].url, "each page load has its own token");

  const applied = (tab) => tab.page.evaluate(() => window.liveTemplateClient.messageCount);
  const shown = [await applied(one), await applied(two)];
  proxy.drop(1000);
  await Promise.all([socketBack(one, 2), socketBack(two, 2)]);
  // Once the catch-up frame is applied (a fresh mount would show the
  // first ten orders again), each shows its own.
  await eventually(async () => (await applied(one)) > shown[0] && (await applied(two)) > shown[1], 5000, "catch-up applied");
  await one.page.getByText("Showing 20 of 45 orders.").waitFor();
  await two.page.getByText("Showing 30 of 45 orders.").waitFor();
  assert.equal(await one.page.locator("tbody tr").count(), 20);
  assert.equal(await two.page.locator("tbody tr").count(), 30);
  // And each goes on from there.
  await one.page.getByRole("button", { name: /Load more/ }).click();
  await one.page.getByText("Showing 30 of 45 orders.").waitFor();
  await context.close();
});

test("a socket gone silent (the server cannot tell) is taken over by the tab coming back", async () => {
  const before = await metrics(env.gallery.url);
  const tab = await open(env.browser, "/realtime/server-push");
  const { page } = tab;
  await page.getByRole("button", { name: "Start Timer" }).click();
  await page.getByText("Timer running: 2 / 10s").waitFor({ timeout: 10_000 });
  // The client misses its pong, gives up on the socket (its close frame
  // goes nowhere) and opens another, which waits until the network is
  // back; the server still has the old one open, and takes it over.
  assert.ok(proxy.silence(3000) >= 1, "a connection went silent");
  await socketBack(tab, 2);
  await page.getByText("Last completed: 10s").waitFor({ timeout: 20_000 });
  const after = await metrics(env.gallery.url);
  assert.equal(after.livetemplate_resumes_total - before.livetemplate_resumes_total, 1, "taken over, not mounted afresh");
  await page.close();
  await eventually(async () => {
    const m = await metrics(env.gallery.url);
    return m.livetemplate_tasks === 0 && m.livetemplate_connections === 0 && m.livetemplate_parked_views === 0 && m;
  }, 5000, "tasks, connections and kept tabs back to 0");
});
