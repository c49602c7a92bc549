// Dialogs, Tabs & Navigation in Chromium: each example's Try done as a person
// would, with the stock client; and what the server holds while a tab goes
// from one live page to another (its /metrics gauges).
import { test } from "node:test";
import assert from "node:assert/strict";
import { galleryAndBrowser, waitConnected, metrics, eventually } from "./harness.mjs";

const env = galleryAndBrowser();

/**
 * Opens `path` in a new page and records the frames of its sockets:
 * `sent` (actions, parsed), `received` (parsed) and `sockets` (Playwright's).
 */
async function open(path) {
  const page = await env.browser.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(e.message));
  const sent = [];
  const received = [];
  const sockets = [];
  page.on("websocket", (ws) => {
    sockets.push(ws);
    ws.on("framesent", (f) => sent.push(JSON.parse(String(f.payload))));
    ws.on("framereceived", (f) => received.push(JSON.parse(String(f.payload))));
  });
  await page.goto(env.gallery.url + path);
  await waitConnected(page);
  // The live region: the page around it shows the template's source too.
  const live = page.locator("[data-lvt-id]");
  return { page, live, errors, sent, received, sockets };
}

/** The actions a page sent, by name, leaving out the heartbeat. */
const actions = (sent) => sent.map((m) => m.action).filter((a) => a && a !== "__ping__");

/** Closes every page still open (a test that failed left its own). */
const closeAll = () => Promise.all(env.browser.contexts().map((c) => c.close()));

/** Waits until the server holds `connections` connections and `tasks` tasks. */
async function gauges(connections, tasks, what) {
  return eventually(async () => {
    const m = await metrics(env.gallery.url);
    const ok = m.livetemplate_connections === connections && (tasks === undefined || m.livetemplate_tasks === tasks);
    return ok ? m : false;
  }, 5000, `${what}: ${connections} connection(s)${tasks === undefined ? "" : `, ${tasks} task(s)`}`);
}

test("modal dialog: pushes arriving while it is open leave it open with what was typed; a good save closes it", async () => {
  const { page, live, errors, received } = await open("/navigation/modal-dialog");
  const dialog = page.locator("#edit-profile");
  await page.getByRole("button", { name: "Edit profile" }).click();
  await dialog.waitFor({ state: "visible" });
  const name = dialog.getByLabel("Name");
  const email = dialog.getByLabel("Email");
  await name.fill("Grace Hopper");
  await email.fill("grace@");
  // Two of the server's clock pushes, applied while the dialog is open. The
  // name field no longer has the focus (the client leaves a focused field
  // alone anyway): its text stays because the server's markup for it did not
  // change.
  const before = received.length;
  await eventually(() => received.length >= before + 2, 5000, "two clock pushes");
  await page.evaluate(() => new Promise(requestAnimationFrame));
  assert.equal(await dialog.evaluate((d) => d.open && d.matches(":modal")), true, "still open, still modal");
  assert.equal(await name.inputValue(), "Grace Hopper");
  assert.equal(await email.inputValue(), "grace@");

  // A save the checks refuse: the error shows in the open dialog.
  await name.fill("");
  await email.fill("grace@example.org");
  await dialog.getByRole("button", { name: "Save" }).click();
  await dialog.locator("#name-error").filter({ hasText: /./ }).waitFor();
  assert.equal(await dialog.evaluate((d) => d.open), true);

  // A good save closes it, and the page behind is usable again.
  await name.fill("Grace Hopper");
  await dialog.getByRole("button", { name: "Save" }).click();
  await live.getByText(/Saved at/).waitFor();
  await eventually(() => page.evaluate(() => document.querySelector(":modal") === null), 3000, "no modal left");
  await page.locator(".profile-card").getByText("Grace Hopper").waitFor();
  await page.getByRole("button", { name: "Edit profile" }).click();
  await dialog.waitFor({ state: "visible" });
  assert.equal(await name.inputValue(), "Grace Hopper", "the new dialog shows the saved name");
  await page.keyboard.press("Escape");
  await dialog.waitFor({ state: "hidden" });
  assert.deepEqual(errors, []);
  await page.close();
});

test("confirm dialog: Cancel and Escape send nothing, confirming deletes; all by keyboard too", async () => {
  const { page, live, errors, sent } = await open("/navigation/confirm-dialog");
  const row = (name) => page.locator(".files li", { hasText: name });

  // Cancel by mouse: the dialog closes, nothing is sent.
  await page.getByRole("button", { name: "Delete team-photo.jpg" }).click();
  const dialog = page.getByRole("alertdialog", { name: "Delete team-photo.jpg?" });
  await dialog.waitFor();
  assert.equal(await page.evaluate(() => document.activeElement.textContent), "Cancel", "focus starts on Cancel");
  await dialog.getByRole("button", { name: "Cancel" }).click();
  await dialog.waitFor({ state: "hidden" });

  // Confirm by mouse: the one action sent, and the row goes.
  await page.getByRole("button", { name: "Delete team-photo.jpg" }).click();
  await dialog.getByRole("button", { name: "Delete" }).click();
  await row("team-photo.jpg").waitFor({ state: "detached" });
  await live.getByRole("status").filter({ hasText: "Deleted team-photo.jpg." }).waitFor();
  assert.deepEqual(actions(sent), ["delete"], "Cancel sent nothing, Delete sent one action");
  assert.equal(await page.evaluate(() => document.querySelector(":modal")), null);

  // By keyboard: Enter opens on Cancel, Escape backs out, Tab + Enter deletes.
  const invoker = page.getByRole("button", { name: "Delete meeting-notes.md" });
  await invoker.focus();
  await page.keyboard.press("Enter");
  const notes = page.getByRole("alertdialog", { name: "Delete meeting-notes.md?" });
  await notes.waitFor();
  await page.keyboard.press("Escape");
  await notes.waitFor({ state: "hidden" });
  assert.equal(await invoker.evaluate((b) => b === document.activeElement), true, "focus back on the row's Delete");
  await page.keyboard.press("Enter");
  await notes.waitFor();
  await page.keyboard.press("Enter"); // on Cancel
  await notes.waitFor({ state: "hidden" });
  await page.keyboard.press("Enter");
  await notes.waitFor();
  await page.keyboard.press("Tab");
  await page.keyboard.press("Enter");
  await row("meeting-notes.md").waitFor({ state: "detached" });
  assert.deepEqual(actions(sent), ["delete", "delete"]);
  assert.deepEqual(sent.filter((m) => m.action === "delete").map((m) => String(m.data.value)), ["2", "4"]);
  assert.deepEqual(errors, []);
  await page.close();
});

test("spa navigation: A → B → A without a reload, each page live, one connection throughout; the old page's tasks end", async () => {
  await closeAll();
  await gauges(0, 0, "nothing open before");
  const { page, live, errors, sockets } = await open("/navigation/spa-navigation");
  await page.evaluate(() => (window.__sameDocument = true));
  await gauges(1, 0, "Home");
  await live.getByRole("button", { name: "Clap" }).click();
  await live.locator(".big-number strong").filter({ hasText: /^1$/ }).waitFor();

  // A → B: the client fetches Tasks and moves its socket there.
  await live.getByRole("link", { name: /^Tasks/ }).click();
  await live.getByRole("heading", { name: "Tasks" }).waitFor();
  assert.equal(new URL(page.url()).pathname, "/navigation/spa-navigation/tasks");
  await eventually(() => sockets.length === 2 && sockets[0].isClosed() && !sockets[1].isClosed(), 5000, "socket moved");
  await gauges(1, 0, "Tasks");
  await waitConnected(page);
  await live.getByRole("textbox", { name: "New task" }).fill("Water the plants");
  await live.getByRole("button", { name: "Add" }).click();
  await live.locator(".tasks li", { hasText: "Water the plants" }).waitFor();

  // B → A: Home as it was left, still the same document.
  await live.getByRole("link", { name: "Home" }).click();
  await live.getByRole("heading", { name: "Home" }).waitFor();
  await live.locator(".big-number strong").filter({ hasText: /^1$/ }).waitFor();
  await eventually(() => sockets.length === 3 && sockets.slice(0, 2).every((s) => s.isClosed()), 5000, "socket moved back");
  await gauges(1, 0, "Home again");
  await waitConnected(page);
  await live.getByRole("button", { name: "Clap" }).click();
  await live.locator(".big-number strong").filter({ hasText: /^2$/ }).waitFor();
  assert.equal(await page.evaluate(() => window.__sameDocument), true, "never reloaded");
  assert.equal(await live.getByRole("link", { name: "Tasks (1)" }).count(), 1);

  // From a page with a task (Modal Dialog's clock) to another live page: the
  // clock ends with the old page's socket.
  await page.goto(`${env.gallery.url}/navigation/modal-dialog`);
  await waitConnected(page);
  await gauges(1, 1, "Modal Dialog and its clock");
  await page.evaluate(() => (window.__sameDocument = true));
  // A link in the live region, clicked at once (the next clock push would
  // morph it away): the stock client follows it.
  await live.evaluate((wrapper) => {
    const a = document.createElement("a");
    a.href = "/navigation/spa-navigation/settings";
    wrapper.append(a);
    a.click();
  });
  await live.getByRole("heading", { name: "Settings" }).waitFor();
  await gauges(1, 0, "Settings, the clock gone");
  assert.equal(await page.evaluate(() => window.__sameDocument), true, "never reloaded");
  assert.deepEqual(errors, []);
  await page.close();
});

test("a tab that follows a link ends its old page's tasks though another tab of the browser stays open", async () => {
  await closeAll();
  await gauges(0, 0, "nothing open before");
  // Two tabs of one browser: one session group. (The clock would also end by
  // itself at its next tick, finding no tab of its page; the runtime's own
  // test, livetemplate/tests/navigation.rs, holds a task that never would.)
  const context = await env.browser.newContext();
  const other = await context.newPage();
  await other.goto(`${env.gallery.url}/navigation/spa-navigation`);
  await waitConnected(other);
  const page = await context.newPage();
  await page.goto(`${env.gallery.url}/navigation/modal-dialog`);
  await waitConnected(page);
  await gauges(2, 1, "two tabs, the Modal Dialog's clock");
  await page.locator("[data-lvt-id]").evaluate((wrapper) => {
    const a = document.createElement("a");
    a.href = "/navigation/spa-navigation/tasks";
    wrapper.append(a);
    a.click();
  });
  await page.locator("[data-lvt-id]").getByRole("heading", { name: "Tasks" }).waitFor();
  await gauges(2, 0, "the clock ended with its page, the other tab open");
  await context.close();
});

test("spa navigation: a link marked lvt-nav:no-intercept is a full load", async () => {
  await closeAll();
  await gauges(0, undefined, "nothing open before");
  const { page, live, errors } = await open("/navigation/spa-navigation/tasks");
  await page.evaluate(() => (window.__sameDocument = true));
  const loaded = page.waitForEvent("load");
  await live.getByRole("link", { name: "This one opts out" }).click();
  await loaded;
  await waitConnected(page);
  assert.equal(new URL(page.url()).pathname, "/navigation/spa-navigation");
  assert.equal(await page.evaluate(() => window.__sameDocument), undefined, "a new document");
  await gauges(1, undefined, "one connection after the load");
  assert.deepEqual(errors, []);
  await page.close();
});

test("keyboard shortcuts: the keys do what the page says, and not while typing in the search", async () => {
  const { page, live, errors, sent, received } = await open("/navigation/keyboard-shortcuts");
  const rows = page.locator(".inbox li");
  const selected = page.locator('.inbox li[aria-current="true"]');
  await selected.filter({ hasText: "Grace" }).waitFor();

  await page.keyboard.press("j");
  await page.keyboard.press("j");
  await selected.filter({ hasText: "Ada" }).waitFor();
  await page.keyboard.press("k");
  await selected.filter({ hasText: "Alan" }).waitFor();
  await page.keyboard.press("Enter");
  const opened = live.getByRole("heading", { name: "Invoice for the bombe parts" });
  await opened.waitFor();
  await page.keyboard.press("Escape");
  await opened.waitFor({ state: "detached" });

  const keys = page.getByRole("region", { name: "Keyboard shortcuts" });
  await page.keyboard.press("?");
  await keys.waitFor();
  await page.keyboard.press("Escape");
  await keys.waitFor({ state: "hidden" });

  // / puts the focus in the search; letters typed there are text, not keys.
  const search = page.getByRole("searchbox", { name: "Search messages" });
  await page.keyboard.press("/");
  await eventually(() => search.evaluate((s) => s === document.activeElement), 3000, "search focused");
  const before = actions(sent).length;
  await page.keyboard.type("j?k");
  assert.equal(await search.inputValue(), "j?k", "typed, not taken by the shortcuts");
  await live.getByText("No message matches “j?k”.").waitFor();
  const typed = actions(sent).slice(before);
  assert.ok(typed.every((a) => a === "search"), `only searches sent while typing: ${typed}`);
  assert.equal(await keys.isHidden(), true, "? typed in the search did not open the key list");

  // Escape empties the search, also while typing in it.
  await page.keyboard.press("Escape");
  await eventually(async () => (await search.inputValue()) === "", 3000, "search emptied");
  await eventually(async () => (await rows.count()) === 6, 3000, "all six messages back");
  await page.keyboard.type("invoice");
  await eventually(async () => (await rows.count()) === 2, 3000, "two invoices");
  // Escape in a search field also empties it natively, which is an input
  // event: the debounced search for "" follows the escape action.
  const searches = () => received.filter((f) => f.meta?.action === "search").length;
  const answered = searches();
  await page.keyboard.press("Escape");
  await eventually(async () => (await rows.count()) === 6, 3000, "all six again");
  await eventually(() => searches() > answered, 3000, "the field's own search for nothing answered");

  // Leaving the field gives the keys back; / finds it again.
  await search.blur();
  await page.keyboard.press("j");
  await selected.filter({ hasText: "Alan" }).waitFor();
  await page.keyboard.press("/");
  await eventually(() => search.evaluate((s) => s === document.activeElement), 3000, "search focused again");
  assert.deepEqual(errors, []);
  await page.close();
});
