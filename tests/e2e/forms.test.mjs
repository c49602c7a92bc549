// The Forms & Editing examples in Chromium, each Try done as a person would:
// click, type, press Enter or Escape, and read what the page shows.
import { test } from "node:test";
import assert from "node:assert/strict";
import { waitConnected, galleryAndBrowser } from "./harness.mjs";

const env = galleryAndBrowser();

const EMAIL_ERROR = "Enter an email address, like name@example.com.";
const PATHS = [
  "/forms/click-to-edit",
  "/forms/edit-row",
  "/forms/inline-validation",
  "/forms/bulk-update",
  "/forms/reset-input",
  "/forms/preserve-inputs",
];

/**
 * Opens `path` in a fresh browser context (its own session group, so
 * persisted examples start from their first state) and waits until it is
 * live. `demo` is the live region; `sent` the actions the page sent;
 * `replyTo(action)` resolves with the server's reply to the next `action`.
 */
async function open(path, contextOptions = {}) {
  const context = await env.browser.newContext(contextOptions);
  const page = await context.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(e.message));
  page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
  const sent = [];
  const received = [];
  const listeners = [];
  page.on("websocket", (ws) => {
    ws.on("framesent", (f) => sent.push(JSON.parse(String(f.payload))));
    ws.on("framereceived", (f) => {
      const frame = JSON.parse(String(f.payload));
      received.push(frame);
      listeners.forEach((l) => l(frame));
    });
  });
  const replyTo = (action) =>
    new Promise((resolve) => listeners.push((m) => m.meta?.action === action && resolve(m)));
  await page.goto(`${env.gallery.url}${path}`);
  if (contextOptions.javaScriptEnabled !== false) await waitConnected(page);
  const demo = page.locator("[data-lvt-id]");
  return { context, page, demo, sent, received, replyTo, errors };
}

/** Waits until `locator`'s text, trimmed, is `want`. */
async function hasText(locator, want, timeout = 3000) {
  const deadline = Date.now() + timeout;
  let last;
  while (Date.now() < deadline) {
    last = (await locator.innerText()).trim();
    if (last === want) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  assert.fail(`expected ${JSON.stringify(want)}, the page shows ${JSON.stringify(last)}`);
}

/** Waits until `check()` (in the page) holds. */
async function until(page, check, arg, timeout = 3000) {
  await page.waitForFunction(check, arg, { timeout });
}

test("every Forms & Editing page goes live with no error in the console", async () => {
  for (const path of PATHS) {
    const { context, demo, errors, received } = await open(path);
    assert.ok(received.length >= 1, `${path}: the first frame arrived`);
    assert.ok((await demo.innerText()).length > 0, `${path} shows its demo`);
    assert.deepEqual(errors, [], `${path}: console errors`);
    await context.close();
  }
});

test("click-to-edit: Edit, a bad email shown live, Save, reload, Escape", async () => {
  const { context, page, demo, replyTo, errors } = await open("/forms/click-to-edit");
  await demo.getByText("ada@example.com").waitFor();
  await demo.getByRole("button", { name: "Edit" }).click();
  const email = demo.getByLabel("Email");
  await email.waitFor();
  await until(page, () => document.activeElement?.name === "first_name");
  assert.equal(await email.inputValue(), "ada@example.com", "the form holds the current values");

  await email.fill("");
  await email.pressSequentially("ada@", { delay: 20 });
  await hasText(demo.locator("#email-error"), EMAIL_ERROR);

  const refused = replyTo("save");
  await demo.getByRole("button", { name: "Save" }).click();
  assert.equal((await refused).meta.success, false);
  assert.equal(await email.inputValue(), "ada@", "the form stays open with what was typed");

  await email.pressSequentially("analytical.engine", { delay: 10 });
  await hasText(demo.locator("#email-error"), "");
  await demo.getByRole("button", { name: "Save" }).click();
  await demo.getByRole("status").filter({ hasText: "Saved." }).waitFor();
  await demo.getByText("ada@analytical.engine").waitFor();
  assert.equal(await demo.getByLabel("Email").count(), 0, "back to the card");

  await page.reload();
  await waitConnected(page);
  await demo.getByText("ada@analytical.engine").waitFor();

  await demo.getByRole("button", { name: "Edit" }).click();
  await demo.getByLabel("First name").fill("Augusta");
  await demo.getByLabel("First name").press("Escape");
  await demo.getByRole("button", { name: "Edit" }).waitFor();
  await hasText(demo.locator("dd").first(), "Ada Lovelace");
  assert.deepEqual(errors, []);
  await context.close();
});

test("edit-row: one row becomes a form, Save sends only that row, Escape cancels", async () => {
  const { context, page, demo, replyTo, errors } = await open("/forms/edit-row");
  await demo.getByRole("button", { name: "Edit Alan Turing" }).click();
  const name = demo.getByLabel("Name");
  await name.waitFor();
  assert.equal(await name.inputValue(), "Alan Turing");
  assert.equal(await demo.locator("tbody input[aria-label=Name]").count(), 1, "one row is a form");
  // Mark another row's node: a keyed update leaves it where it is.
  await page.evaluate(() => (document.querySelector('tr[data-key="1"]').__untouched = true));

  await name.fill("Alan M. Turing");
  const saved = replyTo("save");
  await demo.getByRole("button", { name: "Save" }).click();
  const reply = JSON.stringify(await saved);
  assert.ok(reply.includes("Alan M. Turing"), reply);
  assert.ok(!reply.includes("Grace Hopper"), `the other rows are not sent again: ${reply}`);
  await demo.locator('tr[data-key="2"] td').first().filter({ hasText: "Alan M. Turing" }).waitFor();
  assert.equal(await demo.getByLabel("Name").count(), 0, "the form is gone");
  assert.ok(await page.evaluate(() => document.querySelector('tr[data-key="1"]').__untouched));

  await demo.getByRole("button", { name: "Edit Katherine Johnson" }).click();
  await demo.getByLabel("Email").fill("");
  await demo.locator('tr[data-key="3"] .field-error').filter({ hasText: "This field is required." }).waitFor();
  await demo.getByLabel("Email").press("Escape");
  await demo.getByRole("button", { name: "Edit Katherine Johnson" }).waitFor();
  await demo.getByText("katherine@example.com").waitFor();
  assert.deepEqual(errors, []);
  await context.close();
});

test("inline-validation: errors beside each field as it is typed, within about half a second", async () => {
  const { context, page, demo, sent, errors } = await open("/forms/inline-validation");
  const emailError = demo.locator("#email-error");

  const email = demo.getByLabel("Email");
  await email.pressSequentially("ann@", { delay: 20 });
  const typed = Date.now();
  await emailError.filter({ hasText: EMAIL_ERROR }).waitFor({ timeout: 2000 });
  const shownAfter = Date.now() - typed;
  // 300 ms of the client's debounce, then a round trip.
  assert.ok(shownAfter < 800, `the error showed ${shownAfter} ms after the last key`);
  console.log(`# email error shown ${shownAfter} ms after the last keystroke`);
  assert.equal(await demo.locator("#username-error").innerText(), "", "a field not yet touched shows nothing");
  assert.ok(!sent.some((m) => m.action === "register"), "nothing was submitted");
  assert.ok(sent.some((m) => m.action === "change" && m.data?.email === "ann@"), JSON.stringify(sent));

  await email.pressSequentially("example.com", { delay: 10 });
  await hasText(emailError, "");

  const username = demo.getByLabel("Username");
  await username.fill("admin");
  await demo.locator("#username-error").filter({ hasText: "admin is taken. How about admin_5?" }).waitFor();
  await username.fill("Ann!");
  await demo.locator("#username-error").filter({ hasText: "Use lower-case letters, digits and _ only." }).waitFor();
  await username.fill("ann_1");
  await hasText(demo.locator("#username-error"), "");

  const rules = demo.locator("#password-rules li");
  const password = demo.getByLabel("Password");
  await password.pressSequentially("abc", { delay: 20 });
  await hasText(rules.nth(2), "✓ not your username");
  assert.equal((await rules.nth(1).innerText()).trim(), "✗ letters and digits");
  await password.pressSequentially("12345", { delay: 20 });
  await hasText(rules.nth(0), "✓ 8 characters or more");
  await hasText(rules.nth(1), "✓ letters and digits");
  assert.ok(!(await demo.innerHTML()).includes("abc12345"), "the password is never rendered");

  await demo.getByRole("button", { name: "Create account" }).click();
  await demo.getByRole("status").filter({ hasText: "Welcome, ann_1! Your account is ready." }).waitFor();
  await until(page, () => [...document.querySelectorAll("input:not([type=hidden])")].filter((i) => i.closest("[data-lvt-id]")).every((i) => i.value === ""));
  assert.deepEqual(errors, []);
  await context.close();
});

test("inline-validation without JavaScript: the same errors come back after the 303", async () => {
  const { context, page } = await open("/forms/inline-validation", { javaScriptEnabled: false });
  const submit = async () => {
    const [response] = await Promise.all([
      page.waitForNavigation(),
      page.getByRole("button", { name: "Create account" }).click(),
    ]);
    const post = response.request().redirectedFrom();
    assert.equal(post?.method(), "POST");
    assert.equal((await post.response()).status(), 303, "the post is answered with a 303");
  };
  await page.getByLabel("Email").fill("nope");
  await page.getByLabel("Username").fill("ann");
  await page.getByLabel("Password").fill("abc12345");
  await submit();
  await hasText(page.locator("#email-error"), EMAIL_ERROR);
  assert.equal(await page.locator("[data-lvt-id]").getByRole("status").count(), 0, "not registered");
  assert.equal(await page.getByLabel("Email").inputValue(), "nope", "what was typed comes back");
  assert.equal(await page.getByLabel("Username").inputValue(), "ann");
  assert.equal(await page.getByLabel("Password").inputValue(), "", "but never the password");

  await page.getByLabel("Email").fill("ann@example.com");
  await page.getByLabel("Username").fill("admin");
  await page.getByLabel("Password").fill("short");
  await submit();
  await hasText(page.locator("#username-error"), "admin is taken. How about admin_5?");
  await hasText(page.locator("#password-error"), "Choose a password that meets all three rules.");

  await page.getByLabel("Email").fill("ann@example.com");
  await page.getByLabel("Username").fill("ann");
  await page.getByLabel("Password").fill("abc12345");
  await submit();
  await page.getByRole("status").filter({ hasText: "Welcome, ann!" }).waitFor();
  await context.close();
});

test("bulk-update: tick three rows, one Activate, a count, the ticks clear", async () => {
  const { context, demo, sent, errors } = await open("/forms/bulk-update");
  for (const name of ["Alan Turing", "Edsger Dijkstra", "Grace Hopper"]) {
    await demo.getByLabel(`Select ${name}`).check();
  }
  await demo.getByRole("button", { name: "Activate", exact: true }).click();
  await demo.getByRole("status").filter({ hasText: "Activated 2 users. 1 already active." }).waitFor();
  const actions = sent.filter((m) => m.action === "activate");
  assert.equal(actions.length, 1, "one action for all rows");
  assert.deepEqual([...actions[0].data.ids].sort(), ["1", "2", "4"]);
  for (const key of ["2", "4", "1"]) {
    await hasText(demo.locator(`tr[data-key="${key}"] td`).last(), "Active");
  }
  await hasText(demo.locator('tr[data-key="5"] td').last(), "Inactive");
  for (const box of await demo.getByRole("checkbox").all()) {
    await box.waitFor();
    assert.equal(await box.isChecked(), false, "the ticks clear after a success");
  }

  await demo.getByRole("button", { name: "Deactivate" }).click();
  await demo.getByRole("alert").filter({ hasText: "Tick at least one row first." }).waitFor();
  assert.deepEqual(errors, []);
  await context.close();
});

test("reset-input: the box empties after Enter, and keeps a refused note", async () => {
  const { context, page, demo, errors } = await open("/forms/reset-input");
  const note = demo.getByLabel("Note");
  await note.click();
  await note.pressSequentially("Buy milk");
  await note.press("Enter");
  await demo.locator("ol.notes li").filter({ hasText: "Buy milk" }).waitFor();
  await until(page, () => document.querySelector("input[name=note]").value === "");
  assert.equal(await page.evaluate(() => document.activeElement?.name), "note", "still focused for the next one");

  await note.pressSequentially("buy milk");
  await note.press("Enter");
  await demo.locator("#note-error").filter({ hasText: "That one is already on the list." }).waitFor();
  assert.equal(await note.inputValue(), "buy milk", "a refused note stays to be fixed");
  assert.equal(await demo.locator("ol.notes li").count(), 1);

  await note.fill("Call Ann");
  await note.press("Enter");
  await demo.locator("ol.notes li").nth(1).filter({ hasText: "Call Ann" }).waitFor();
  await hasText(demo.locator("#note-error"), "");
  assert.equal(await note.inputValue(), "");
  assert.deepEqual(errors, []);
  await context.close();
});

test("preserve-inputs: the message and choice stay after Send, for the next person", async () => {
  const { context, demo, errors } = await open("/forms/preserve-inputs");
  const message = demo.getByLabel("Message");
  const to = demo.getByLabel("To");
  await message.fill("Lunch at noon?");
  await to.selectOption("ann");
  await demo.getByRole("button", { name: "Send" }).click();
  await demo.getByRole("status").filter({ hasText: "Sent to Ann." }).waitFor();
  await demo.locator("ol.sent li").filter({ hasText: "Ann: Lunch at noon?" }).waitFor();
  assert.equal(await message.inputValue(), "Lunch at noon?", "lvt-form:preserve kept the message");
  assert.equal(await to.inputValue(), "ann", "and the choice");

  await to.selectOption("ben");
  await demo.getByRole("button", { name: "Send" }).click();
  await demo.getByRole("status").filter({ hasText: "Sent to Ben." }).waitFor();
  await demo.locator("ol.sent li").nth(1).filter({ hasText: "Ben: Lunch at noon?" }).waitFor();
  assert.equal(await message.inputValue(), "Lunch at noon?");
  assert.deepEqual(errors, []);
  await context.close();
});
