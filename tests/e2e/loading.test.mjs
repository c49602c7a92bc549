// Loading & Progress in Chromium, each Try done as a person would: the page
// paints before its slow parts and they replace the placeholders; a
// progress bar fills through many frames and Cancel stops its task; a slow
// operation shows loading at once, then its result, or its error and Retry.
import { test } from "node:test";
import assert from "node:assert/strict";
import { eventually, galleryAndBrowser, metrics, waitConnected } from "./harness.mjs";

const env = galleryAndBrowser();

/**
 * Opens `path` in `context` (a fresh one if none) and records the frames the
 * page receives, each with the time it arrived (`at`, ms since the epoch).
 */
async function open(path, context) {
  context ??= await env.browser.newContext();
  const page = await context.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(e.message));
  page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
  const received = [];
  page.on("websocket", (ws) => {
    ws.on("framereceived", (f) => {
      const text = String(f.payload);
      received.push({ ...JSON.parse(text), text, at: Date.now() });
    });
  });
  return { context, page, errors, received, demo: page.locator("[data-lvt-id]") };
}

test("lazy loading: the page paints with placeholders first, and each slow part replaces its own", async (t) => {
  const { context, page, errors, received, demo } = await open("/loading/lazy-loading");
  // In the page's own clock: when each part's data first shows, and what
  // the document held when its HTML was parsed.
  await page.addInitScript(() => {
    window.__arrived = {};
    document.addEventListener("DOMContentLoaded", () => {
      window.__parsed = {
        at: performance.now(),
        skeletons: document.querySelectorAll("[data-lvt-id] .skeleton").length,
        arrived: document.querySelectorAll("[data-lvt-id] .arrived").length,
      };
      new MutationObserver(() => {
        for (const section of document.querySelectorAll("[data-lvt-id] section")) {
          const name = section.querySelector("h3")?.textContent;
          if (name && section.querySelector(".arrived") && !(name in window.__arrived)) {
            window.__arrived[name] = performance.now();
          }
        }
      }).observe(document.body, { subtree: true, childList: true, characterData: true });
    });
  });
  await page.goto(`${env.gallery.url}/loading/lazy-loading`);
  await waitConnected(page);
  // The last part (1.8 s away) replaces its placeholder.
  await demo.getByText("Monitor arm").waitFor({ timeout: 8000 });
  await demo.getByText("Ada Lovelace").waitFor();
  await demo.getByText("Mechanical keyboard").waitFor();
  assert.equal(await demo.locator(".skeleton").count(), 0, "no placeholder left");
  assert.equal(await demo.locator("[aria-busy=true]").count(), 0, "nothing busy any more");
  assert.equal(await demo.getByRole("button", { name: "Reload data" }).isEnabled(), true);

  const parsed = await page.evaluate(() => window.__parsed);
  assert.equal(parsed.skeletons, 3, "the page's HTML has three placeholders");
  assert.equal(parsed.arrived, 0, "and none of the slow data");
  const paint = await page.evaluate(
    () => performance.getEntriesByName("first-contentful-paint")[0]?.startTime ?? null,
  );
  const arrived = await page.evaluate(() => window.__arrived);
  const order = Object.entries(arrived).sort((a, b) => a[1] - b[1]);
  assert.deepEqual(order.map(([name]) => name), ["Account", "Recent orders", "Picked for you"], JSON.stringify(arrived));
  assert.ok(paint !== null && paint < order[0][1], `painted at ${paint} ms, before the first data at ${order[0][1]} ms`);
  t.diagnostic(`first paint ${paint.toFixed(0)} ms; data shown at ${order.map(([n, at]) => `${n} ${at.toFixed(0)} ms`).join(", ")}`);
  // The parts came one by one, each in a push of its own after the first frame.
  const first = received[0];
  assert.ok(first && !first.text.includes("Ada Lovelace"), "the first frame has no slow data");
  const carrying = (word) => received.findIndex((f) => f.text.includes(word));
  const [account, orders, picks] = ["Ada Lovelace", "Mechanical keyboard", "Monitor arm"].map(carrying);
  assert.ok(0 < account && account < orders && orders < picks, `frames: ${account}, ${orders}, ${picks}`);
  assert.ok(received[picks].at - received[account].at > 800, "the slowest part came well after the fastest");

  // Reload: the placeholders come back at once, then the data again.
  const before = received.length;
  await demo.getByRole("button", { name: "Reload data" }).click();
  await demo.locator(".skeleton").first().waitFor();
  assert.equal(await demo.getByRole("button", { name: "Reload data" }).isDisabled(), true);
  await demo.getByText("Monitor arm").waitFor({ timeout: 8000 });
  assert.ok(received.length - before >= 4, "the reply and three pushes");
  assert.deepEqual(errors, []);
  await context.close();
});

test("lazy loading without JavaScript: the placeholders stay and the page says why", async () => {
  const context = await env.browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  await page.goto(`${env.gallery.url}/loading/lazy-loading`);
  const demo = page.locator("[data-lvt-id]");
  assert.equal(await demo.locator(".skeleton").count(), 3);
  // The note is the page's <noscript>: parsed as markup with JavaScript
  // off (Playwright's switch still leaves it unpainted, a browser with
  // JavaScript off paints it).
  assert.match(await demo.locator("noscript p").textContent(), /Without JavaScript there is no live connection/);
  assert.equal(await demo.getByText("Ada Lovelace").count(), 0);
  await context.close();
});

/** Records every value the page's progress bar shows, in order. */
async function watchProgress(page) {
  await page.evaluate(() => {
    window.__values = [];
    const seen = () => {
      const bar = document.querySelector("[data-lvt-id] progress");
      const value = bar ? Number(bar.getAttribute("value")) : null;
      if (value !== null && window.__values.at(-1) !== value) window.__values.push(value);
    };
    new MutationObserver(seen).observe(document.body, { subtree: true, childList: true, attributes: true, characterData: true });
  });
}

test("progress bar: the percentage rises to 100 through many frames in every tab; Cancel stops the task", async (t) => {
  const { context, page, errors, received, demo } = await open("/loading/progress-bar");
  await page.goto(`${env.gallery.url}/loading/progress-bar`);
  await waitConnected(page);
  const other = await open("/loading/progress-bar", context);
  await other.page.goto(`${env.gallery.url}/loading/progress-bar`);
  await waitConnected(other.page);
  await watchProgress(page);
  await watchProgress(other.page);

  await demo.getByRole("button", { name: "Start" }).click();
  await demo.getByText("Done: 100%").waitFor({ timeout: 8000 });
  const values = await page.evaluate(() => window.__values);
  assert.ok(values.length >= 10, `values seen: ${values}`);
  assert.ok(values.every((v, i) => i === 0 || v > values[i - 1]), `always rising: ${values}`);
  assert.equal(values.at(-1), 100);
  t.diagnostic(`values shown: ${values.join(" ")} (${received.length} frames)`);
  assert.ok(received.length >= 10, `frames: ${received.length}`);
  assert.match(await demo.locator("#progress-label").innerText(), /100%/, "the percentage as text");
  // The other tab of this browser followed the same run.
  await other.demo.getByText("Done: 100%").waitFor();
  assert.ok((await other.page.evaluate(() => window.__values)).length >= 10);

  // Again, and cancel partway: the bar stops where it was, the task ends.
  await demo.getByRole("button", { name: "Start again" }).click();
  await eventually(async () => {
    const v = await demo.locator("progress").getAttribute("value");
    return Number(v) >= 20 && v;
  }, 5000, "the second run past 20%");
  await demo.getByRole("button", { name: "Cancel" }).click();
  await demo.getByText("Cancelled at").waitFor();
  const stoppedAt = await demo.locator("progress").getAttribute("value");
  assert.ok(Number(stoppedAt) < 100, `stopped at ${stoppedAt}`);
  const frames = received.length;
  await other.demo.getByText("Cancelled at").waitFor();
  // The task itself is gone (not just hidden): nothing can move the bar now.
  await eventually(async () => (await metrics(env.gallery.url)).livetemplate_tasks === 0, 3000, "no task left running");
  assert.equal(await demo.locator("progress").getAttribute("value"), stoppedAt);
  assert.equal(received.length, frames, "no step after Cancel");
  await demo.getByRole("button", { name: "Start again" }).waitFor();
  assert.deepEqual([...errors, ...other.errors], []);
  await context.close();
});

test("async operations: loading at once, then the result; with failure chosen, the error, and Retry succeeds", async () => {
  const { context, page, errors, received, demo } = await open("/loading/async-operations");
  await page.goto(`${env.gallery.url}/loading/async-operations`);
  await waitConnected(page);
  const button = demo.locator("button[name=fetch]");

  await button.click();
  // The click's own reply shows the loading state: disabled, busy.
  await eventually(() => received.some((f) => f.meta?.action === "fetch"), 3000, "the reply to fetch");
  await demo.getByText("Fetching…").waitFor({ timeout: 1000 });
  assert.equal(await button.isDisabled(), true);
  assert.equal(await button.getAttribute("aria-busy"), "true");
  await demo.getByText("Report ready: 1284 orders").waitFor({ timeout: 5000 });
  assert.equal(await button.isEnabled(), true);

  await demo.getByLabel("Make it fail").check();
  await button.click();
  await demo.getByText("Fetching…").waitFor({ timeout: 1000 });
  const alert = demo.getByRole("alert");
  await alert.waitFor({ timeout: 5000 });
  assert.match(await alert.innerText(), /Failed: the report service timed out/);
  assert.equal((await button.innerText()).trim(), "Retry");
  assert.equal(await demo.getByText("Report ready").count(), 0, "the error replaced the result");

  await demo.getByLabel("Make it fail").uncheck();
  await demo.getByRole("button", { name: "Retry" }).click();
  await demo.getByText("Fetching…").waitFor({ timeout: 1000 });
  await demo.getByText("Report ready: 1284 orders").waitFor({ timeout: 5000 });
  await demo.getByText("attempt 3").waitFor();
  assert.equal(await demo.getByRole("alert").count(), 0);
  assert.deepEqual(errors, []);
  await context.close();
});
