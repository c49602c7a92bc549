// Hand-off in Chromium: a link made in one browser context, opened in
// another, asks to confirm and then joins the first one's session group, and
// the cross-tab demo then keeps both in step. The link works once.
import { test } from "node:test";
import assert from "node:assert/strict";
import { eventually, waitConnected, galleryAndBrowser } from "./harness.mjs";

const env = galleryAndBrowser();

test("a hand-off link joins another browser to this group, once", async () => {
  const desktop = await (await env.browser.newContext()).newPage();
  await desktop.goto(`${env.gallery.url}/realtime/cross-tab`);
  await waitConnected(desktop);
  await desktop.getByRole("button", { name: "Hand off to another browser" }).click();
  const link = desktop.locator("#handoff a.handoff-link");
  await eventually(async () => (await link.getAttribute("href"))?.startsWith("http"), 5_000, "a link");
  const href = await link.getAttribute("href");
  assert.match(href, /\/_lvt\/handoff\/[0-9a-f]+\?next=%2Frealtime%2Fcross-tab$/);
  // Listening on loopback, no phone can follow: no QR code, and the panel says why.
  await desktop.getByText(/No QR code for a phone: .*--addr 0\.0\.0\.0:/).waitFor();
  assert.equal(await desktop.locator("#handoff img").isVisible(), false);

  const phoneContext = await env.browser.newContext();
  const phone = await phoneContext.newPage();
  await phone.goto(href);
  // Opening the link only asks; joining is the person's click.
  await phone.getByRole("heading", { name: "Join this session?" }).waitFor();
  await phone.getByText("It will share state with the device that made the link").waitFor();
  assert.deepEqual(await phoneContext.cookies(env.gallery.url), [], "nothing joined yet");
  await phone.getByRole("button", { name: "Join" }).click();
  await phone.waitForURL(/\/realtime\/cross-tab$/);
  await waitConnected(phone);
  const group = async (context) => (await context.cookies(env.gallery.url)).find((c) => c.name === "livetemplate-id")?.value;
  assert.equal(await group(phoneContext), await group(desktop.context()), "one group");

  await desktop.getByRole("button", { name: "+1" }).click();
  await eventually(async () => Number(await phone.locator(".big-number strong").innerText()) === 1, 3_000, "the phone follows");
  await phone.getByRole("button", { name: "Ring every tab" }).click();
  await eventually(async () => Number(await desktop.locator(".rings").innerText()) === 1, 3_000, "the desktop rings");

  const reuse = await fetch(href, { redirect: "manual" });
  assert.equal(reuse.status, 410, "used up");
  await phoneContext.close();
  await desktop.context().close();
});
