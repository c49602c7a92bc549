// The Server Push example in Chromium, driven by the stock client.
import { test } from "node:test";
import assert from "node:assert/strict";
import { metrics, eventually, waitConnected, galleryAndBrowser } from "./harness.mjs";

const env = galleryAndBrowser();

test("Start Timer: ticks 1..10 arrive about a second apart, then Last completed: 10s", async () => {
  const page = await env.browser.newPage();
  await page.goto(`${env.gallery.url}/realtime/server-push`);
  await waitConnected(page);
  // Record when each running-view value first appears in the DOM.
  await page.evaluate(() => {
    window.__ticks = [];
    new MutationObserver(() => {
      const m = document.body.innerText.match(/Timer running: (\d+) \/ (\d+)s/);
      if (m && !window.__ticks.some((t) => t.n === Number(m[1]))) {
        window.__ticks.push({ n: Number(m[1]), total: Number(m[2]), at: performance.now() });
      }
    }).observe(document.body, { subtree: true, childList: true, characterData: true });
  });
  await page.getByRole("button", { name: "Start Timer" }).click();
  await page.getByText("Last completed: 10s").waitFor({ timeout: 20_000 });

  const ticks = await page.evaluate(() => window.__ticks);
  const seen = ticks.map((t) => t.n).filter((n) => n > 0);
  assert.deepEqual(seen, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], `ticks seen: ${JSON.stringify(ticks)}`);
  assert.ok(ticks.every((t) => t.total === 10), "the running view shows / 10s");
  const at = ticks.filter((t) => t.n > 0).map((t) => t.at);
  for (let i = 1; i < at.length; i++) {
    const gap = at[i] - at[i - 1];
    assert.ok(gap > 500 && gap < 2000, `gap between tick ${i} and ${i + 1} was ${gap.toFixed(0)} ms`);
  }
  // The running view is gone, the button is back.
  assert.equal(await page.locator("[aria-busy=true]").count(), 0);
  await page.getByRole("button", { name: "Start Timer" }).waitFor();
  await page.close();
});

test("closing the tab after two ticks ends its task and connection within 3 s", async () => {
  const page = await env.browser.newPage();
  await page.goto(`${env.gallery.url}/realtime/server-push`);
  await waitConnected(page);
  await page.getByRole("button", { name: "Start Timer" }).click();
  await page.getByText("Timer running: 2 / 10s").waitFor({ timeout: 10_000 });
  const during = await metrics(env.gallery.url);
  assert.ok(during.livetemplate_tasks >= 1, `a task is live: ${JSON.stringify(during)}`);
  assert.ok(during.livetemplate_connections >= 1, `a connection is live: ${JSON.stringify(during)}`);

  await page.close();
  await eventually(async () => {
    const m = await metrics(env.gallery.url);
    return m.livetemplate_tasks === 0 && m.livetemplate_connections === 0 && m;
  }, 3000, "tasks and connections back to 0");
});
