// Lists & Data in Chromium: each example's Try done as a person would, and
// what travelled — every change is the client's list operations (`r`, `u`,
// `a`, `p`, `o`), applied by the stock client to the rows they name.
import { test } from "node:test";
import assert from "node:assert/strict";
import { galleryAndBrowser, waitConnected, listOps } from "./harness.mjs";

const env = galleryAndBrowser();

/**
 * Opens `path` in a fresh context and records its frames: `received` (parsed,
 * with `bytes`) and `sent`; `replyTo(action)` resolves with the next reply
 * to `action`.
 */
async function open(path) {
  const page = await env.browser.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(e.message));
  page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
  const received = [];
  const sent = [];
  const waiting = [];
  page.on("websocket", (ws) => {
    ws.on("framesent", (f) => sent.push(JSON.parse(String(f.payload))));
    ws.on("framereceived", (f) => {
      const text = String(f.payload);
      const frame = { ...JSON.parse(text), bytes: Buffer.byteLength(text) };
      received.push(frame);
      for (const w of waiting.splice(0)) {
        if (frame.meta?.action === w.action) w.resolve(frame);
        else waiting.push(w);
      }
    });
  });
  const replyTo = (action) => new Promise((resolve) => waiting.push({ action, resolve }));
  // How long the client takes from a frame's arrival to the end of its DOM
  // update (its `lvt:updated` event), per action: the browser's share.
  await page.addInitScript(() => {
    const Native = window.WebSocket;
    window.__applyMs = {};
    window.WebSocket = class extends Native {
      constructor(...args) {
        super(...args);
        this.addEventListener("message", () => (window.__arrived = performance.now()));
      }
    };
    const time = (e) => (window.__applyMs[e.detail?.action] = performance.now() - window.__arrived);
    document.addEventListener("lvt:updated", time, true);
  });
  await page.goto(env.gallery.url + path);
  await waitConnected(page);
  // The live region: the page around it shows the template's source too.
  const live = page.locator("[data-lvt-id]");
  return { page, live, errors, received, sent, replyTo };
}

/** The texts of the rows of `selector`, trimmed. */
const texts = (page, selector) =>
  page.$$eval(selector, (els) => els.map((e) => e.innerText.replace(/\s+/g, " ").trim()));

/** Marks every row of `selector` with a JS property, to see which DOM nodes survive. */
const mark = (page, selector) =>
  page.$$eval(selector, (els) => els.forEach((e) => (e.__lvtSeen = true)));

/** How many rows of `selector` still carry the mark. */
const marked = (page, selector) =>
  page.$$eval(selector, (els) => els.filter((e) => e.__lvtSeen === true).length);

test("delete-row: Delete removes one row by one r op; Undo slides it back in place; a reload keeps deletions", async () => {
  const { page, live, errors, replyTo } = await open("/lists/delete-row");
  const rows = "tbody tr";
  assert.equal((await texts(page, rows)).length, 6);
  await mark(page, rows);
  await page.evaluate(() => {
    window.__animations = [];
    document.addEventListener("animationstart", (e) => window.__animations.push(`${e.target.dataset.key}:${e.animationName}`), true);
  });

  const deleted = replyTo("delete");
  await live.getByRole("button", { name: "Delete Grace Hopper" }).click();
  const reply = await deleted;
  await live.getByText("Deleted Grace Hopper.").waitFor();
  assert.deepEqual(listOps(reply), [["r", "2"]], JSON.stringify(reply));
  const names = await texts(page, "tbody tr td:first-child");
  assert.deepEqual(names, ["Ada Lovelace", "Alan Turing", "Katherine Johnson", "Edsger Dijkstra", "Barbara Liskov"]);
  assert.equal(await marked(page, rows), 5, "the other rows are the same DOM nodes");

  const undone = replyTo("undo");
  await live.getByRole("button", { name: "Undo" }).click();
  const undo = await undone;
  assert.deepEqual(listOps(undo).map((op) => op[0]), ["i"], JSON.stringify(undo));
  await page.locator('tbody tr[data-key="2"]').waitFor();
  assert.equal((await texts(page, "tbody tr td:first-child"))[1], "Grace Hopper", "back in second place");
  await page.waitForFunction(() => window.__animations.includes("2:lvt-slide-in"));
  assert.equal(await marked(page, rows), 5, "only the restored row is new");

  await live.getByRole("button", { name: "Delete Alan Turing" }).click();
  await live.getByText("Deleted Alan Turing.").waitFor();
  await page.reload();
  await waitConnected(page);
  assert.ok(!(await texts(page, "tbody tr td:first-child")).includes("Alan Turing"), "still deleted after a reload");
  assert.deepEqual(errors, []);
  await page.close();
});

test("click-to-load: Load more appends ten rows as one a op, the rows shown stay; the button goes at the end", async () => {
  const { page, live, errors, replyTo } = await open("/lists/click-to-load");
  const rows = "tbody tr";
  assert.equal((await texts(page, rows)).length, 10);
  await mark(page, rows);
  const loaded = replyTo("loadMore");
  await live.getByRole("button", { name: /Load more/ }).click();
  const reply = await loaded;
  await live.getByText("Showing 20 of 45 orders.").waitFor();
  const ops = listOps(reply);
  assert.equal(ops.length, 1, JSON.stringify(reply));
  assert.equal(ops[0][0], "a");
  assert.equal(ops[0][1].length, 10, "only the new rows travel");
  assert.equal(await marked(page, rows), 10, "the first ten are the same DOM nodes");
  assert.equal((await texts(page, "tbody tr td:first-child")).at(-1), "#1020");
  for (const shown of [30, 40, 45]) {
    await live.getByRole("button", { name: /Load more/ }).click();
    await live.getByText(`Showing ${shown} of 45 orders.`).waitFor();
  }
  await live.getByText("That is all of them.").waitFor();
  assert.equal(await live.getByRole("button", { name: /Load more/ }).count(), 0);
  assert.deepEqual(errors, []);
  await page.close();
});

test("infinite-scroll: scrolling the feed to its end makes the client send load_more; twenty commits are appended", async () => {
  const { page, live, errors, sent, replyTo } = await open("/lists/infinite-scroll");
  await live.getByText("20 of 200 commits loaded.").waitFor();
  assert.ok(!sent.some((m) => m.action === "load_more"), "nothing loads before the end is seen");
  const loaded = replyTo("load_more");
  await page.locator(".feed").evaluate((feed) => (feed.scrollTop = feed.scrollHeight));
  const reply = await loaded;
  await live.getByText("40 of 200 commits loaded.").waitFor();
  const ops = listOps(reply);
  assert.deepEqual(ops.map((op) => op[0]), ["a"], JSON.stringify(reply));
  assert.equal(ops[0][1].length, 20);
  assert.equal(await page.locator(".feed li").count(), 40);
  // Scrolling on reaches the first commit, and the sentinel goes.
  const feed = page.locator(".feed");
  while (await page.locator("[lvt-scroll-sentinel]").count()) {
    const before = await page.locator(".feed li").count();
    await feed.evaluate((f) => (f.scrollTop = f.scrollHeight));
    await page.waitForFunction(
      (n) => document.querySelectorAll(".feed li").length > n || !document.querySelector("[lvt-scroll-sentinel]"),
      before,
    );
  }
  await live.getByText("That was the first commit.").waitFor();
  assert.equal(await page.locator(".feed li").count(), 200);
  assert.deepEqual(errors, []);
  await page.close();
});

test("value-select: the city select follows the country, and a city says how many live there", async () => {
  const { page, live, errors } = await open("/lists/value-select");
  const city = live.locator('select[name="city"]');
  assert.ok(await city.isDisabled(), "no city before a country");
  await live.locator('select[name="country"]').selectOption("Japan");
  await page.locator('select[name="city"]:not([disabled])').waitFor();
  assert.deepEqual(await texts(page, 'select[name="city"] option'), ["Choose a city in Japan", "Tokyo", "Osaka", "Sapporo", "Kyoto"]);
  await city.selectOption("Kyoto");
  await live.getByText("About 1.5 million people live in Kyoto, Japan.").waitFor();
  await live.locator('select[name="country"]').selectOption("Kenya");
  await page.locator('select[name="city"] option', { hasText: "Nairobi" }).waitFor({ state: "attached" });
  assert.deepEqual(await texts(page, 'select[name="city"] option'), ["Choose a city in Kenya", "Nairobi", "Mombasa", "Kisumu"]);
  assert.equal(await city.inputValue(), "", "the choice is cleared");
  assert.equal(await live.getByText(/people live in/).count(), 0);
  assert.deepEqual(errors, []);
  await page.close();
});

test("sortable: a real drag moves a row, sent as one o op; ↑ does it from the keyboard; the order survives a reload", async () => {
  const { page, live, errors, replyTo } = await open("/lists/sortable");
  const items = "[data-lvt-id] ol li";
  const titles = async () => (await texts(page, items)).map((t) => t.replace(/^⠿\s*/, "").replace(/\s*↑\s*↓$/, ""));
  await mark(page, items);
  const reordered = replyTo("reorder");
  await page.locator(items, { hasText: "Announce it" }).dragTo(page.locator(items, { hasText: "Bump the version" }));
  const reply = await reordered;
  assert.deepEqual(listOps(reply), [["o", ["1", "6", "2", "3", "4", "5"]]], JSON.stringify(reply));
  await page.waitForFunction(() => document.querySelectorAll("[data-lvt-id] ol li")[1]?.dataset.key === "6");
  assert.deepEqual(await titles(), [
    "Write the changelog",
    "Announce it",
    "Bump the version",
    "Run the full test suite",
    "Tag the release",
    "Publish the crate",
  ]);
  assert.equal(await marked(page, items), 6, "rows were moved, not redrawn");

  const moved = replyTo("move");
  await live.getByRole("button", { name: "Move Announce it up" }).focus();
  await page.keyboard.press("Enter");
  assert.equal(listOps(await moved)[0][0], "o");
  await page.waitForFunction(() => document.querySelector("[data-lvt-id] ol li")?.dataset.key === "6");

  await page.reload();
  await waitConnected(page);
  assert.equal((await titles())[0], "Announce it", "the order is kept");
  await live.getByRole("button", { name: "Reset the order" }).click();
  await page.waitForFunction(() => document.querySelector("[data-lvt-id] ol li")?.dataset.key === "1");
  assert.deepEqual(errors, []);
  await page.close();
});

test("large-table: 10,000 rows; delete is one r, rename one u, add one p, sort one o — applied to the rows they name", async () => {
  const { page, live, errors, replyTo } = await open("/lists/large-table");
  const rows = "tbody tr";
  // CSS selectors here: role and label queries walk all 80,000 elements.
  assert.equal(await page.locator(rows).count(), 10000);
  await live.locator("p", { hasText: "Showing 10000 of 10000 rows." }).waitFor();
  await mark(page, rows);
  await page.evaluate(() => (window.__lvtTargetedHits = 0));
  const timings = {};
  /**
   * Runs `act`, waits for the reply to `action` and for `done`; checks that
   * the client applied the reply on its targeted path (its own test counter,
   * `__lvtTargetedHits`, goes up) and returns the reply.
   */
  const step = async (action, act, done) => {
    const hits = await page.evaluate(() => window.__lvtTargetedHits);
    const reply = replyTo(action);
    const start = Date.now();
    await act();
    const frame = await reply;
    await done();
    timings[action] = Date.now() - start;
    const after = await page.evaluate(() => window.__lvtTargetedHits);
    assert.ok(after > hits, `${action}: the client rebuilt the list instead of applying ${JSON.stringify(frame.tree).slice(0, 200)}`);
    return frame;
  };

  // Delete row 9998: one r op, and the other 9,999 rows are the same DOM nodes.
  const del = await step(
    "delete",
    () => page.locator('tr[data-key="9998"] button[name="delete"]').click(),
    () => live.locator("p", { hasText: "Showing 9999 of 9999 rows." }).waitFor(),
  );
  assert.deepEqual(listOps(del), [["r", "9998"]], JSON.stringify(del));
  const tree = JSON.stringify(del.tree);
  assert.ok(tree.length <= 64, `the update is ${tree.length} B: ${tree}`);
  assert.equal(await page.locator(rows).count(), 9999);
  assert.equal(await marked(page, rows), 9999, "no other row was replaced");

  // Rename row 10: the form opens in that row, Enter saves; one u each.
  const opened = await step(
    "edit",
    () => page.locator('tr[data-key="10"] button[name="edit"]').click(),
    () => page.locator('input[aria-label="New name"]').waitFor(),
  );
  assert.deepEqual(listOps(opened).map((op) => op.slice(0, 2)), [["u", "10"]], JSON.stringify(opened));
  await page.locator('input[aria-label="New name"]').fill("Zed Quist");
  const renamed = await step(
    "rename",
    () => page.locator('input[aria-label="New name"]').press("Enter"),
    () => page.locator('tr[data-key="10"] td', { hasText: "Zed Quist" }).waitFor(),
  );
  assert.deepEqual(listOps(renamed).map((op) => op.slice(0, 2)), [["u", "10"]], JSON.stringify(renamed));
  assert.ok(JSON.stringify(renamed.tree).length <= 200, JSON.stringify(renamed.tree));
  assert.equal(await marked(page, rows), 9999, "rename touched its row only");

  // Add a row: newest first, it goes in at the top as one p.
  await page.locator('form input[aria-label="Name"]').fill("Newt Scamander");
  await page.locator('form input[aria-label="Email"]').fill("newt@example.com");
  const added = await step(
    "add",
    () => page.locator('form button:not([name])').click(),
    () => live.locator("p", { hasText: "Showing 10000 of 10000 rows." }).waitFor(),
  );
  assert.deepEqual(listOps(added).map((op) => op[0]), ["p"], JSON.stringify(added));
  assert.equal(await page.locator(rows).first().getAttribute("data-key"), "10001");
  assert.equal(await marked(page, rows), 9999, "the new row is the only new node");

  // Sort by score: one o with every key; rows move, none is redrawn.
  const sorted = await step(
    "sort",
    () => page.locator('th button[value="score"]').click(),
    () => page.locator('th button[value="score"]', { hasText: "↑" }).waitFor(),
  );
  const sortOps = listOps(sorted);
  assert.deepEqual(sortOps.map((op) => op[0]), ["o"]);
  assert.equal(sortOps[0][1].length, 10000);
  const scores = await page.$$eval("tbody tr td:nth-child(4)", (tds) => tds.slice(0, 50).map((td) => Number(td.innerText)));
  assert.deepEqual(scores, [...scores].sort((a, b) => a - b), "ascending by score");
  assert.equal(await marked(page, rows), 9999);

  // Filter as a person types.
  await page.locator('input[name="filter"]').pressSequentially("zed", { delay: 30 });
  await live.locator("p", { hasText: "Showing 1 of 10000 rows." }).waitFor();
  assert.deepEqual(await texts(page, "tbody tr td:nth-child(2)"), ["Zed Quist"]);
  await page.locator('input[name="filter"]').fill("");
  await live.locator("p", { hasText: "Showing 10000 of 10000 rows." }).waitFor();

  // Printed, not asserted: this machine is shared, and its load swings tenfold.
  const applied = await page.evaluate(() => window.__applyMs);
  console.log("large-table, click to DOM updated (ms):", JSON.stringify(timings));
  console.log("large-table, frame to DOM updated (ms):", JSON.stringify(applied));
  assert.deepEqual(errors, []);
  await page.close();
});
