// The last Real-Time patterns in Chromium, each Try done as a person would:
// who is here, with tab counts and "typing…", across two people and three
// tabs; a tab whose connection is cut comes back to its own count, every
// tick made while it was away and none twice.
import { test } from "node:test";
import assert from "node:assert/strict";
import { eventually, galleryAndBrowser, metrics, waitConnected } from "./harness.mjs";

const env = galleryAndBrowser();

test("reconnection: cut the connection, the state line says so, and the count catches up with no tick lost or doubled", async () => {
  const before = await metrics(env.gallery.url);
  const context = await env.browser.newContext();
  const page = await context.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(e.message));
  await page.addInitScript(() => {
    // A 3 s client heartbeat (the documented data-lvt-heartbeat-ms on <body>;
    // the gallery keeps the default 20 s), so the client notices the cut
    // socket within 3 s.
    new MutationObserver((_, seen) => {
      if (!document.body) return;
      document.body.setAttribute("data-lvt-heartbeat-ms", "3000");
      seen.disconnect();
    }).observe(document, { childList: true, subtree: true });
    // What the state line says as it changes, and each count shown, when.
    window.__states = [];
    window.__counts = [];
    window.__lists = [];
    const look = () => {
      const line = document.querySelector(".link-state");
      if (line) {
        const said = line.innerText.trim();
        if (window.__states.at(-1)?.said !== said) window.__states.push({ said, at: performance.now() });
      }
      const count = document.querySelector(".tick-count strong");
      const n = count ? Number(count.textContent) : null;
      if (n !== null && window.__counts.at(-1)?.n !== n) {
        window.__counts.push({ n, at: performance.now() });
        window.__lists.push([...document.querySelectorAll(".ticks li")].map((li) => Number(li.textContent)));
      }
    };
    new MutationObserver(look).observe(document, { subtree: true, childList: true, characterData: true, attributes: true });
  });
  const sockets = [];
  let lastPing = 0;
  page.on("websocket", (ws) => {
    sockets.push(ws.url());
    ws.on("framesent", ({ payload }) => {
      if (String(payload).includes("__ping__")) lastPing = Date.now();
    });
  });
  await page.goto(`${env.gallery.url}/realtime/reconnection`);
  await waitConnected(page);
  const demo = page.locator("[data-lvt-id]");
  await demo.getByText("Socket connected").waitFor();

  const started = await page.evaluate(() => performance.now());
  await demo.getByRole("button", { name: "Start" }).click();
  await demo.getByText("Tick 2 / 60").waitFor({ timeout: 10_000 });
  // Cut just after a heartbeat, so the socket stays down until the next
  // one, about 3 s later.
  const pings = lastPing;
  await eventually(() => lastPing > pings, 5000, "a heartbeat");
  const cut = await page.evaluate(() => performance.now());
  await demo.getByRole("button", { name: "Cut the connection" }).click();
  await demo.getByText("Socket down").waitFor({ timeout: 5000 });
  assert.equal(await demo.getByText("Socket connected").isVisible(), false);
  await demo.getByText("Socket connected").waitFor({ timeout: 10_000 });
  assert.equal(sockets.length, 2, `it came back on a second socket: ${sockets}`);
  assert.equal(sockets[1], sockets[0], "with the same page load's token");
  const cutAt = Number(await demo.locator(".cut-after").textContent());
  await demo.getByText(`Tick ${cutAt + 6} / 60`).waitFor({ timeout: 15_000 });

  const states = await page.evaluate(() => window.__states);
  const counts = await page.evaluate(() => window.__counts);
  const lists = await page.evaluate(() => window.__lists);
  const down = states.find((s) => s.said.startsWith("Socket down") && s.at > cut);
  const up = states.find((s) => s.said === "Socket connected" && down && s.at > down.at);
  assert.ok(down && up, `the state line said down, then connected: ${JSON.stringify(states)}`);
  // Each count shown is one more than the last, except the catch-up.
  const seen = counts.map((c) => c.n);
  for (let i = 1; i < seen.length; i++) {
    assert.ok(seen[i] > seen[i - 1], `counts in order, none twice: ${seen}`);
  }
  // Every list shown holds each tick once, in order, none missing.
  for (const list of lists) {
    assert.deepEqual(list, list.map((_, i) => i + 1), `ticks ${list}`);
  }
  // Nothing moved while the socket was down; the first count after it is
  // the server's: the ticks since Start (within one), a jump over the
  // ticks made while away.
  const away = up.at - down.at;
  assert.ok(away > 1500, `down for ${away.toFixed(0)} ms`);
  assert.ok(!counts.some((c) => c.at > down.at + 50 && c.at < up.at - 50), `no tick shown while down: ${JSON.stringify(counts)}`);
  const back = counts.find((c) => c.at >= up.at - 50);
  const lastBefore = counts.filter((c) => c.at < down.at).at(-1);
  const expected = Math.floor((back.at - started) / 1000);
  assert.ok(Math.abs(back.n - expected) <= 1, `shown ${back.n} ${((back.at - started) / 1000).toFixed(1)} s after Start; counts ${seen}`);
  assert.ok(back.n - lastBefore.n >= 2, `caught up from ${lastBefore.n} to ${back.n} at once`);
  const after = await metrics(env.gallery.url);
  assert.equal(after.livetemplate_resumes_total - before.livetemplate_resumes_total, 1, "resumed, not mounted afresh");
  console.log(`# reconnection: down ${away.toFixed(0)} ms; count ${lastBefore.n} before the cut, ${back.n} on return`);
  assert.deepEqual(errors, []);

  // Closing the tab ends its job.
  await context.close();
  await eventually(async () => {
    const m = await metrics(env.gallery.url);
    return m.livetemplate_tasks === 0 && m.livetemplate_connections === 0 && m.livetemplate_parked_views === 0 && m;
  }, 5000, "tasks, connections and kept tabs back to 0");
});

/** A tab of `context` on `path`, signed in as `name` if it is not yet. */
async function tab(context, path, name) {
  const page = await context.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(e.message));
  await page.goto(`${env.gallery.url}${path}`);
  await waitConnected(page);
  const signIn = page.getByLabel("Sign in as");
  if (await signIn.isVisible()) {
    await signIn.fill(name);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByText(`Signed in as ${name}`).waitFor();
    await waitConnected(page);
  }
  return { page, errors, person: (key) => page.locator(`.here li[data-key="${key}"]`) };
}

test("presence: two people, three tabs — each listed once with their tab count, typing… shown to the other, a closed tab keeps its person", async () => {
  const path = "/realtime/presence";
  const [anaBrowser, benBrowser] = [await env.browser.newContext(), await env.browser.newContext()];
  const ana = await tab(anaBrowser, path, "ana");
  const ben = await tab(benBrowser, path, "ben");
  const ana2 = await tab(anaBrowser, path, "ana");

  // Each sees both, once each: ana with 2 tabs, ben with 1.
  for (const t of [ana, ana2, ben]) {
    await t.page.getByText("Here now (2)").waitFor();
    await t.person("ana").getByText("· 2 tabs").waitFor();
    await t.person("ben").getByText("· 1 tab").waitFor();
  }
  assert.equal(await ana.person("ana").getByText("(you)").count(), 1);
  assert.equal(await ben.person("ana").getByText("(you)").count(), 0);

  // ben types: both of ana's tabs show "typing…" beside ben, not beside ana.
  const box = ben.page.getByLabel("Say something");
  await box.pressSequentially("hello <b>", { delay: 60 });
  await ana.person("ben").getByText("typing…").waitFor({ timeout: 5000 });
  await ana2.person("ben").getByText("typing…").waitFor({ timeout: 5000 });
  assert.equal(await ana.person("ana").getByText("typing…").count(), 0);
  // A pause clears it (the client sends idle 1.5 s after the last key).
  await ana.person("ben").getByText("typing…").waitFor({ state: "detached", timeout: 5000 });
  // Typing again, then Say: it stops, and what ben said shows under his name.
  await box.pressSequentially("all", { delay: 60 });
  await ana.person("ben").getByText("typing…").waitFor({ timeout: 5000 });
  await ben.page.getByRole("button", { name: "Say" }).click();
  await ana.person("ben").locator("q", { hasText: "hello <b>all" }).waitFor();
  assert.equal(await ana.person("ben").getByText("typing…").count(), 0, "Say stops the typing");
  assert.equal(await ana.person("ben").locator("b").count(), 0, "what was said stays text");
  // Typing straight after Say shows again, at the first key.
  await box.press("o");
  await ana.person("ben").getByText("typing…").waitFor({ timeout: 5000 });
  await ana.person("ben").getByText("typing…").waitFor({ state: "detached", timeout: 5000 });

  // ana closes one of her tabs: still here, with 1 tab.
  await ana2.page.close();
  await ben.person("ana").getByText("· 1 tab").waitFor();
  assert.equal(await ben.page.getByText("Here now (2)").count(), 1);
  // Her last tab: she leaves.
  await ana.page.close();
  await ben.person("ana").waitFor({ state: "detached" });
  await ben.page.getByText("Here now (1)").waitFor();
  await ben.page.getByText("ana left").waitFor();
  for (const t of [ana, ana2, ben]) assert.deepEqual(t.errors, []);
  await anaBrowser.close();
  await benBrowser.close();
});
