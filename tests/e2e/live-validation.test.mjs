// Live validation in Chromium (the runtime's `signup` example): the stock
// client sends `change` as a person types, the server judges that field by
// the form's own HTML and shows why beside it; a submit is judged again;
// without JavaScript the same errors come back after the redirect.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { exampleBinary, launchBrowser, startServer, waitConnected } from "./harness.mjs";

const env = {};
before(async () => {
  env.server = await startServer(exampleBinary("signup"));
  env.browser = await launchBrowser();
});
after(async () => {
  await env.browser?.close();
  await env.server?.stop();
});

const EMAIL_ERROR = "Enter an email address, like name@example.com.";

test("a field is judged as it is typed, beside it, without a submit", async () => {
  const page = await env.browser.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(e.message));
  page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
  const sent = [];
  const listeners = [];
  page.on("websocket", (ws) => {
    ws.on("framesent", (f) => sent.push(JSON.parse(String(f.payload))));
    ws.on("framereceived", (f) => listeners.forEach((l) => l(JSON.parse(String(f.payload)))));
  });
  /** The reply to the next `action`, once it arrives. */
  const replyTo = (action) =>
    new Promise((resolve) => listeners.push((m) => m.meta?.action === action && resolve(m)));
  await page.goto(env.server.url);
  await waitConnected(page);

  await page.getByLabel("Email").pressSequentially("ann@", { delay: 20 });
  await page.locator("#email-error", { hasText: EMAIL_ERROR }).waitFor({ timeout: 2000 });
  assert.equal(await page.locator("#username-error").innerText(), "", "an untouched field shows nothing");
  assert.ok(
    sent.some((m) => m.action === "change" && m.data?.email === "ann@"),
    `the client sent the typed value: ${JSON.stringify(sent)}`,
  );
  assert.ok(!sent.some((m) => m.action === "save"), "nothing was submitted");
  assert.equal(await page.getByLabel("Email").inputValue(), "ann@", "what was typed stays");

  await page.getByLabel("Email").pressSequentially("example.com", { delay: 20 });
  await assertText(page, "#email-error", "");

  await page.getByLabel("Username").fill("admin");
  await page.locator("#username-error", { hasText: "That name is taken." }).waitFor();
  await page.getByLabel("Username").fill("Ann!");
  await page.locator("#username-error", { hasText: "Lower-case letters, digits and _ only." }).waitFor();

  // A submit is judged again: nothing saved while a field fails.
  const saved = replyTo("save");
  await page.getByRole("button", { name: "Sign up" }).click();
  const reply = await saved;
  assert.equal(reply.meta.success, false);
  assert.equal(reply.meta.errors.username, "Lower-case letters, digits and _ only.");
  assert.equal(await page.getByRole("status").count(), 0, "not saved");

  await page.getByLabel("Username").fill("ann_1");
  await page.getByRole("button", { name: "Sign up" }).click();
  await page.getByRole("status").filter({ hasText: "Welcome, ann_1!" }).waitFor();
  assert.deepEqual(errors, [], "no error in the page");
  await page.close();
});

test("without JavaScript, the same checks come back after the redirect", async () => {
  const context = await env.browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  await page.goto(env.server.url);
  await page.getByLabel("Email").fill("nope");
  await page.getByLabel("Username").fill("ann");
  await Promise.all([page.waitForNavigation(), page.getByRole("button", { name: "Sign up" }).click()]);
  await assertText(page, "#email-error", EMAIL_ERROR);
  assert.equal(await page.getByRole("status").count(), 0, "not saved");

  await page.getByLabel("Email").fill("ann@example.com");
  await page.getByLabel("Username").fill("ann");
  await Promise.all([page.waitForNavigation(), page.getByRole("button", { name: "Sign up" }).click()]);
  await page.getByRole("status").filter({ hasText: "Welcome, ann!" }).waitFor();
  await context.close();
});

/** Waits until the element's text is `want` (the page settles on it). */
async function assertText(page, selector, want) {
  await page.waitForFunction(
    ([sel, text]) => document.querySelector(sel)?.innerText.trim() === text,
    [selector, want],
    { timeout: 3000 },
  );
}
