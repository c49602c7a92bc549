// Visual Feedback in Chromium: each example's Try done as a person would,
// and what a person would notice — what moves, what is busy, what flashes,
// what message shows and for how long.
import { test } from "node:test";
import assert from "node:assert/strict";
import { eventually, galleryAndBrowser, waitConnected } from "./harness.mjs";

const env = galleryAndBrowser();

/**
 * Opens `path` in a new context (its own session group) and records the
 * frames it sends; `replyTo(action)` resolves with the next reply to
 * `action`. `options.context` goes to `newContext`; `options.before(page)`
 * runs before the page loads.
 */
async function open(path, options = {}) {
  const context = await env.browser.newContext(options.context ?? {});
  const page = await context.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(e.message));
  const sent = [];
  const waiting = [];
  page.on("websocket", (ws) => {
    ws.on("framesent", (f) => sent.push(JSON.parse(String(f.payload))));
    ws.on("framereceived", (f) => {
      const frame = JSON.parse(String(f.payload));
      for (const w of waiting.splice(0)) {
        if (frame.meta?.action === w.action) w.resolve(frame);
        else waiting.push(w);
      }
    });
  });
  const replyTo = (action) => new Promise((resolve) => waiting.push({ action, resolve }));
  if (options.before) await options.before(page);
  await page.goto(env.gallery.url + path);
  if (options.context?.javaScriptEnabled !== false) await waitConnected(page);
  const live = page.locator("[data-lvt-id]");
  return { context, page, live, errors, sent, replyTo };
}

/** Records every CSS animation that starts: `window.__anims` of { name, text }. */
const recordAnimations = (page) =>
  page.addInitScript(() => {
    window.__anims = [];
    document.addEventListener(
      "animationstart",
      (e) => window.__anims.push({ name: e.animationName, text: e.target.textContent.replace(/\s+/g, " ").trim() }),
      true,
    );
  });

const animations = (page) => page.evaluate(() => window.__anims);

test("animations: a new item slides in, a removed one fades out, the panel scales in", async () => {
  const { context, page, live, errors, replyTo } = await open("/feedback/animations", { before: recordAnimations });
  const slid = async (text) => (await animations(page)).filter((a) => a.name === "lvt-slide-in" && a.text.includes(text)).length;
  // Everything on the page slid in once as the client first rendered it.
  const before = await eventually(() => slid("Water the plants"), 3000, "the first render's animation");

  await live.getByLabel("New item").fill("Buy milk");
  const added = replyTo("add");
  await live.getByRole("button", { name: "Add" }).click();
  await added;
  await eventually(() => slid("Buy milk"), 3000, "the new item slides in");
  assert.equal(await slid("Water the plants"), before, "items already there do not move again");

  await live.getByRole("button", { name: "Remove Call the bakery" }).click();
  await eventually(
    async () => (await animations(page)).some((a) => a.name === "fx-leave" && a.text.includes("Call the bakery")),
    3000,
    "the removed item fades out",
  );
  await live.getByText("Call the bakery").waitFor({ state: "detached" });

  for (let i = 0; i < 2; i++) {
    await live.getByRole("button", { name: "Show details" }).click();
    await eventually(
      async () => (await animations(page)).filter((a) => a.name === "lvt-scale-in").length === i + 1,
      3000,
      `the panel scales in (opening ${i + 1})`,
    );
    await live.getByRole("button", { name: "Hide details" }).click();
    await live.locator(".fx-panel").waitFor({ state: "detached" });
  }
  assert.deepEqual(errors, []);
  await context.close();
});

test("animations: reduced motion turns the animations off", async () => {
  const { context, live } = await open("/feedback/animations", { context: { reducedMotion: "reduce" } });
  await live.getByLabel("New item").fill("Quietly");
  await live.getByRole("button", { name: "Add" }).click();
  const item = live.locator(".fx-list li", { hasText: "Quietly" });
  await item.waitFor();
  const { inline, computed } = await item.evaluate((li) => ({
    inline: li.style.animation,
    computed: getComputedStyle(li).animationName,
  }));
  assert.match(inline, /lvt-slide-in/, "the client asked for the animation");
  assert.equal(computed, "none", "the stylesheet turned it off");
  await context.close();
});

test("loading states: busy and disabled until the slow save is done, and one click sends one save", async () => {
  const { context, page, live, sent, replyTo } = await open("/feedback/loading-states");
  await live.getByLabel("Note").fill("First");
  const button = live.getByRole("button", { name: "Save" });
  const box = await button.boundingBox();
  const reply = replyTo("save");
  const started = Date.now();
  await button.click();
  // At once, before the server answered: the client's own states.
  const right_away = await page.evaluate(() => ({
    busy: !!document.querySelector('[data-lvt-id] [aria-busy="true"]'),
    disabled: [...document.querySelectorAll("[data-lvt-id] button")].some((b) => b.disabled && b.textContent.includes("Saving")),
  }));
  assert.deepEqual(right_away, { busy: true, disabled: true });
  // A second click on the same spot meanwhile.
  await page.mouse.click(box.x + box.width / 2, box.y + box.height / 2);
  await reply;
  // The handler answered at once; the work goes on: still busy.
  assert.equal(await live.locator('.save-area[aria-busy="true"]').count(), 1);
  assert.equal(await live.getByRole("button", { name: "Saving…" }).isDisabled(), true);

  await live.locator(".saved li", { hasText: "First" }).waitFor();
  const took = Date.now() - started;
  assert.ok(took >= 700, `the save took the server's time (${took} ms)`);
  assert.equal(await live.locator('.save-area[aria-busy="true"]').count(), 0, "no longer busy");
  assert.equal(await live.getByRole("button", { name: "Save" }).isEnabled(), true);
  assert.equal(sent.filter((m) => m.action === "save").length, 1, "one save sent");
  assert.equal(await live.locator(".saved li", { hasText: "First" }).count(), 1);
  await context.close();
});

test("highlight: only the prices that changed flash", async () => {
  const { context, page, live, replyTo } = await open("/feedback/highlight");
  // Which rows' prices get the client's highlight style.
  await page.evaluate(() => {
    window.__flashed = new Set();
    new MutationObserver((records) => {
      for (const r of records) {
        const row = r.target.closest?.("tr");
        if (row && r.target.style.backgroundColor) window.__flashed.add(row.dataset.key);
      }
    }).observe(document.querySelector("[data-lvt-id]"), { subtree: true, attributes: true, attributeFilter: ["style"] });
  });
  const prices = () =>
    page.$$eval("[data-lvt-id] tbody tr", (rows) => Object.fromEntries(rows.map((r) => [r.dataset.key, r.querySelector(".price").textContent])));

  for (const [name, count] of [["Update prices", 2], ["Move one", 1], ["Update prices", 2]]) {
    // The client flashes an element once at a time: let the last flash end.
    await eventually(() => page.$$eval("td.price[style]", (els) => els.length === 0), 3000, "the last flash ended");
    const old = await prices();
    await page.evaluate(() => window.__flashed.clear());
    const action = name === "Move one" ? "updateOne" : "update";
    const reply = replyTo(action);
    await live.getByRole("button", { name }).click();
    await reply;
    const now = await prices();
    const changed = Object.keys(now).filter((k) => now[k] !== old[k]).sort();
    assert.equal(changed.length, count, `${name} moves ${count}`);
    const flashed = await eventually(
      async () => {
        const keys = await page.evaluate(() => [...window.__flashed].sort());
        return keys.length >= count && keys;
      },
      3000,
      "the changed prices flash",
    );
    assert.deepEqual(flashed, changed, "exactly the changed prices flash");
  }
  await context.close();
});

test("flash messages: shown with the action's update, gone with the next", async () => {
  const { context, live, errors } = await open("/feedback/flash-messages");
  await live.getByLabel("Message").fill("Lunch at <noon>?");
  await live.getByRole("button", { name: "Send" }).click();
  const success = live.locator(".flash-success");
  await success.waitFor();
  assert.equal((await success.textContent()).includes("Sent “Lunch at <noon>?”."), true, "escaped, shown as typed");

  await live.getByRole("button", { name: "Send" }).click();
  await live.getByRole("alert").filter({ hasText: "Write something before sending." }).waitFor();
  assert.equal(await success.count(), 0, "the success went with the next action");

  await live.getByRole("button", { name: "Check for replies" }).click();
  await live.locator(".flash-info", { hasText: "No replies yet" }).waitFor();
  await live.getByRole("button", { name: "Dismiss" }).click();
  await live.locator(".flash").waitFor({ state: "detached" });
  assert.deepEqual(errors, []);
  await context.close();
});

test("flash messages without JavaScript: shown once after the post, not after a reload", async () => {
  const { context, page } = await open("/feedback/flash-messages", { context: { javaScriptEnabled: false } });
  await page.getByLabel("Message").fill("From a plain form");
  await page.getByRole("button", { name: "Send" }).click();
  await page.locator(".flash-success", { hasText: "Sent “From a plain form”." }).waitFor();
  assert.ok(await page.getByText(/sent at \d\d:\d\d UTC/).count(), "the plain time, without JavaScript");
  const cookies = await context.cookies();
  assert.equal(cookies.find((c) => c.name === "lvt-flash"), undefined, "the page cleared the flash cookie");

  await page.reload();
  await page.locator(".sent").waitFor();
  assert.equal(await page.locator(".flash").count(), 0, "not again after a reload");
  await context.close();
});

test("relative time: \"now\" becomes \"2 min. ago\" on the page's clock, with no frame sent", async () => {
  const { context, page, live, sent } = await open("/feedback/flash-messages", {
    before: (page) => page.clock.install({ time: new Date() }),
  });
  await live.getByLabel("Message").fill("Tick tock");
  await live.getByRole("button", { name: "Send" }).click();
  const time = live.locator(".sent time").first();
  await eventually(async () => (await time.textContent()) === "now", 3000, "a new message was sent now");
  assert.match(await time.getAttribute("title"), /\d/, "the full date in the title");
  const frames = sent.length;

  await page.clock.fastForward("02:00");
  await eventually(async () => (await time.textContent()) === "2 min. ago", 3000, "the time counts on");
  assert.ok(
    sent.slice(frames).every((m) => m.action === "__ping__"),
    "nothing but the heartbeat went to the server",
  );
  await context.close();
});
