// A list whose rows carry no key attribute (the runtime's `todos` example):
// adding at the front, ticking and removing send row operations, not the
// list, and the browser shows the right rows after each.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { exampleBinary, launchBrowser, startServer, waitConnected } from "./harness.mjs";

const env = {};
before(async () => {
  env.server = await startServer(exampleBinary("todos"));
  env.browser = await launchBrowser();
});
after(async () => {
  await env.browser?.close();
  await env.server?.stop();
});

/** The rows as the page shows them: "☐ milk" … */
async function rows(page) {
  return page.$$eval("ul.todos li", (lis) =>
    lis.map((li) => li.innerText.replace(/×/g, "").replace(/\s+/g, " ").trim()),
  );
}

test("an unkeyed list: insert at the front, tick, remove — by rows, and the DOM is right", async () => {
  const page = await env.browser.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(e.message));
  page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
  const frames = [];
  page.on("websocket", (ws) => ws.on("framereceived", (f) => frames.push(String(f.payload))));
  await page.goto(env.server.url);
  await waitConnected(page);

  const add = async (title) => {
    await page.getByPlaceholder("What needs doing?").fill(title);
    await page.getByRole("button", { name: "Add" }).click();
  };
  for (const title of ["bread", "eggs", "milk"]) {
    await add(title);
    await page.locator("ul.todos li", { hasText: title }).waitFor();
  }
  assert.deepEqual(await rows(page), ["☐ milk", "☐ eggs", "☐ bread"], "new rows go first");

  // Mark the DOM rows, to see which survive each change.
  await page.$$eval("ul.todos li", (lis) => lis.forEach((li) => (li.dataset.seen = li.innerText)));
  const before = frames.length;
  await page.locator("ul.todos li", { hasText: "eggs" }).getByRole("button", { name: "☐" }).click();
  await page.locator("ul.todos li", { hasText: "☑ eggs" }).waitFor();
  assert.deepEqual(await rows(page), ["☐ milk", "☑ eggs", "☐ bread"]);

  await page.locator("ul.todos li", { hasText: "milk" }).getByRole("button", { name: "Remove" }).click();
  await page.getByText("2 to do.").waitFor();
  assert.deepEqual(await rows(page), ["☑ eggs", "☐ bread"]);

  await add("jam");
  await page.locator("ul.todos li", { hasText: "jam" }).waitFor();
  assert.deepEqual(await rows(page), ["☐ jam", "☑ eggs", "☐ bread"]);

  // Every change after the first frame travelled as row operations.
  const updates = frames.slice(before).map((f) => JSON.parse(f)).filter((f) => f.tree);
  assert.ok(updates.length >= 3, `updates: ${JSON.stringify(updates)}`);
  for (const u of updates) {
    const text = JSON.stringify(u.tree);
    assert.ok(!text.includes('"d":'), `a list was sent whole: ${text}`);
    assert.ok(text.length < 400, `a row change costs a row: ${text.length} bytes: ${text}`);
  }
  const ops = updates.flatMap((u) => Object.values(u.tree).filter(Array.isArray).flat());
  const kinds = new Set(ops.map((op) => op[0]));
  for (const kind of ["u", "r", "p"]) assert.ok(kinds.has(kind), `no ${kind} op in ${JSON.stringify(ops)}`);
  assert.deepEqual(errors, [], "no error in the page");
  await page.close();
});
