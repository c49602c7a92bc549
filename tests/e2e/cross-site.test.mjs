// Another site against a visitor of the gallery, in Chromium: a page on a
// second origin (served here, on `localhost` and its own port, so another
// site than the gallery's 127.0.0.1) posts a sign-in form, redirects to a
// hand-off link, and posts the hand-off's confirmation. The visitor is
// neither signed in nor moved into the attacker's session group.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import { once } from "node:events";
import { eventually, waitConnected, galleryAndBrowser } from "./harness.mjs";

const env = galleryAndBrowser();
const attacker = {};

/** A form that submits itself: what a hostile page does on load. */
const autoSubmit = (action, fields) => `<!doctype html><title>Win a prize</title>
<form method="post" action="${action}">${Object.entries(fields)
  .map(([name, value]) => `<input type="hidden" name="${name}" value="${value}">`)
  .join("")}</form><script>document.forms[0].submit()</script>`;

before(async () => {
  // Pages of the other site; `to` is the gallery URL each one targets.
  attacker.server = http.createServer((request, response) => {
    const url = new URL(request.url, "http://localhost");
    const to = url.searchParams.get("to");
    if (url.pathname === "/sign-in") {
      response.setHeader("content-type", "text/html");
      response.end(autoSubmit(to, { name: "mallory", return_to: "/realtime/webhook" }));
    } else if (url.pathname === "/redirect") {
      response.writeHead(302, { location: to }).end();
    } else if (url.pathname === "/post") {
      response.setHeader("content-type", "text/html");
      response.end(autoSubmit(to, { next: "/realtime/cross-tab" }));
    } else {
      response.writeHead(404).end();
    }
  });
  attacker.server.listen(0, "127.0.0.1");
  await once(attacker.server, "listening");
  attacker.url = `http://localhost:${attacker.server.address().port}`;
});

after(() => attacker.server?.close());

/** Waits until `page` has loaded a page of the gallery, wherever it landed. */
const onGallery = (page) => page.waitForURL((url) => url.origin === env.gallery.url, { timeout: 10_000 });

const cookie = async (context, name) =>
  (await context.cookies(env.gallery.url)).find((c) => c.name === name)?.value;

/** The attacker's own tab on the cross-tab demo, and a fresh hand-off link to its group. */
async function attackersLink() {
  const tab = await (await env.browser.newContext()).newPage();
  await tab.goto(`${env.gallery.url}/realtime/cross-tab`);
  await waitConnected(tab);
  await tab.getByRole("button", { name: "Hand off to another browser" }).click();
  const link = tab.locator("#handoff a.handoff-link");
  await eventually(async () => (await link.getAttribute("href"))?.startsWith("http"), 5_000, "a link");
  return { tab, href: await link.getAttribute("href") };
}

/** A visitor who has been on the gallery: a session group of their own. */
async function visitor() {
  const context = await env.browser.newContext();
  const page = await context.newPage();
  await page.goto(`${env.gallery.url}/realtime/cross-tab`);
  await waitConnected(page);
  return { context, page, group: await cookie(context, "livetemplate-id") };
}

test("a form on another site cannot sign the visitor in", async () => {
  const { context, page } = await visitor();
  const target = `${env.gallery.url}/auth/sign-in`;
  await page.goto(`${attacker.url}/sign-in?to=${encodeURIComponent(target)}`);
  await onGallery(page);
  assert.equal(await cookie(context, "livetemplate-user"), undefined, "not signed in");
  assert.equal(page.url(), target);
  await page.getByText("cross-origin request refused").waitFor();
  await page.goto(`${env.gallery.url}/realtime/webhook`);
  await waitConnected(page);
  await page.getByLabel("Sign in as").waitFor();
  assert.equal(await page.getByText("Signed in as mallory").count(), 0);
  await context.close();
});

test("a redirect to a hand-off link shows the confirmation and joins nothing", async () => {
  const { tab, href } = await attackersLink();
  const { context, page, group } = await visitor();
  await page.goto(`${attacker.url}/redirect?to=${encodeURIComponent(href)}`);
  await onGallery(page);
  assert.equal(await cookie(context, "livetemplate-id"), group, "still the visitor's own group");
  await page.getByRole("heading", { name: "Join this session?" }).waitFor();
  assert.notEqual(group, await cookie(tab.context(), "livetemplate-id"));
  // Walking away ("Not now") leaves the visitor where they were.
  await page.getByRole("link", { name: "Not now" }).click();
  await page.waitForURL(`${env.gallery.url}/`);
  assert.equal(await cookie(context, "livetemplate-id"), group);
  await context.close();
  await tab.context().close();
});

test("another site cannot post the hand-off's confirmation for the visitor", async () => {
  const { tab, href } = await attackersLink();
  const { context, page, group } = await visitor();
  const action = href.split("?")[0];
  await page.goto(`${attacker.url}/post?to=${encodeURIComponent(action)}`);
  await onGallery(page);
  assert.equal(await cookie(context, "livetemplate-id"), group, "not moved into the attacker's group");
  await page.getByText("cross-origin request refused").waitFor();

  // The visitor's clicks stay theirs: the attacker's tab does not follow.
  await page.goto(`${env.gallery.url}/realtime/cross-tab`);
  await waitConnected(page);
  await page.getByRole("button", { name: "+1" }).click();
  const number = async (page, selector) => Number(await page.locator(selector).innerText());
  await eventually(async () => (await number(page, ".big-number strong")) === 1, 3_000, "the visitor's count");
  await tab.getByRole("button", { name: "Ring every tab" }).click();
  await eventually(async () => (await number(tab, ".rings")) === 1, 3_000, "the attacker's own ring");
  assert.equal(await number(tab, ".big-number strong"), 0, "the attacker saw nothing");
  assert.equal(await number(page, ".rings"), 0, "the visitor heard nothing");
  await context.close();
  await tab.context().close();
});
