// File uploads in Chromium (the gallery's Forms & Editing › File Upload):
// the stock client sends chunks over the socket, the page shows each file's
// progress, refused files say why, Cancel and a closed tab leave nothing
// behind, a hostile name is only text, and without JavaScript the same form
// posts its files.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdtempSync, readdirSync, existsSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { eventually, launchBrowser, startGallery, waitConnected } from "./harness.mjs";

const MIB = 1024 * 1024;
const env = {};
before(async () => {
  // The gallery's temporary directory is this test's: every upload's
  // temporary file lands under it, where the tests can look.
  env.tmp = mkdtempSync(path.join(os.tmpdir(), "lvt-upload-e2e-"));
  env.files = mkdtempSync(path.join(os.tmpdir(), "lvt-upload-e2e-files-"));
  const tmpdir = process.env.TMPDIR;
  process.env.TMPDIR = env.tmp;
  env.gallery = await startGallery();
  // Only the gallery's: Chromium keeps its own temporary files elsewhere.
  if (tmpdir === undefined) delete process.env.TMPDIR;
  else process.env.TMPDIR = tmpdir;
  env.browser = await launchBrowser();
  env.url = `${env.gallery.url}/forms/file-upload`;
});
after(async () => {
  await env.browser?.close();
  await env.gallery?.stop();
  for (const dir of [env.tmp, env.files]) if (dir) rmSync(dir, { recursive: true, force: true });
});

/** The temporary files of uploads in progress (or waiting for Send). */
function staged() {
  const dir = path.join(env.tmp, "livetemplate-uploads");
  return existsSync(dir) ? readdirSync(dir) : [];
}

/** Bytes that start as a PNG does, `size` long, different each call. */
function png(size) {
  const bytes = Buffer.alloc(size);
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]).copy(bytes);
  let x = Math.floor(Math.random() * 1e9);
  for (let i = 8; i < size; i += 4) {
    x = (x * 1103515245 + 12345) >>> 0;
    bytes.writeUInt32LE(x, Math.min(i, size - 4));
  }
  return bytes;
}

/** A page on the example, connected, with its frames recorded and no page errors. */
async function open(context) {
  const page = await (context ?? env.browser).newPage();
  const problems = [];
  page.on("pageerror", (e) => problems.push(e.message));
  page.on("dialog", (d) => {
    problems.push(`dialog: ${d.message()}`);
    d.dismiss();
  });
  const received = [];
  const sent = [];
  page.on("websocket", (ws) => {
    ws.on("framereceived", (f) => received.push(String(f.payload)));
    ws.on("framesent", (f) => sent.push(String(f.payload)));
  });
  await page.goto(env.url);
  await waitConnected(page);
  return { page, problems, received, sent };
}

/** `bytes` as a file chosen from disk (no copy through the page's script). */
function onDisk(name, bytes) {
  const file = path.join(env.files, name);
  writeFileSync(file, bytes);
  return file;
}

const input = (page) => page.locator('input[type="file"][lvt-upload="files"]');
const entry = (page, name) => page.locator("ul.uploads li", { hasText: name });

test("a 5 MiB file arrives in chunks with progress, and is the same file", async () => {
  const { page, problems, received, sent } = await open();
  const bytes = png(5 * MIB);
  const progressShown = new Set();
  // What the person sees: the progress bar's value, sampled as it moves.
  await page.exposeFunction("sawProgress", (v) => progressShown.add(v));
  await page.evaluate(() => {
    new MutationObserver(() => {
      for (const p of document.querySelectorAll("ul.uploads progress")) window.sawProgress(Number(p.value));
    }).observe(document.body, { subtree: true, childList: true, attributes: true, characterData: true });
  });
  await input(page).setInputFiles({ name: "photo.png", mimeType: "image/png", buffer: bytes });
  await entry(page, "photo.png").locator("text=ready").waitFor({ timeout: 15000 });

  const chunks = sent.map((t) => JSON.parse(t)).filter((m) => m.action === "upload_chunk");
  assert.ok(chunks.length >= 20, `sent in 256 KiB chunks: ${chunks.length}`);
  const progress = received.map((t) => JSON.parse(t)).filter((m) => m.type === "upload_progress");
  assert.ok(progress.length >= 2, `upload_progress frames: ${progress.length}`);
  const partial = [...progressShown].filter((v) => v > 0 && v < 100);
  assert.ok(partial.length >= 2, `progress seen part-way at least twice: ${[...progressShown]}`);

  await page.getByRole("button", { name: "Send" }).click();
  const sentItem = page.locator("ul.sent li", { hasText: "photo.png" });
  await sentItem.waitFor();
  const expected = createHash("sha256").update(bytes).digest("hex");
  assert.equal(await sentItem.locator("code.sha256").innerText(), expected, "the server's SHA-256");
  // And the file served back is byte for byte the one chosen.
  const href = await sentItem.locator("a").getAttribute("href");
  const served = Buffer.from(await (await fetch(new URL(href, env.gallery.url))).arrayBuffer());
  assert.equal(createHash("sha256").update(served).digest("hex"), expected);
  assert.equal(await sentItem.locator("img").count(), 1, "an image is previewed");
  assert.equal(await sentItem.locator("img").evaluate((img) => img.complete), true);
  assert.deepEqual(staged(), [], "sent: no temporary file left");
  assert.deepEqual(problems, []);
  await page.close();
});

test("a file over the limit and a refused type are refused with the reason shown", async () => {
  const { page, problems } = await open();
  const program = Buffer.concat([Buffer.from("MZ\x90\x00"), Buffer.alloc(4000)]);
  await input(page).setInputFiles([
    { name: "huge.png", mimeType: "image/png", buffer: png(10 * MIB + 1) },
    { name: "setup.exe", mimeType: "application/x-msdownload", buffer: program },
    { name: "sneaky.png", mimeType: "image/png", buffer: program },
  ]);
  await entry(page, "huge.png").getByRole("alert").filter({ hasText: "10485761 bytes is over the limit of 10485760 bytes" }).waitFor();
  await entry(page, "setup.exe")
    .getByRole("alert")
    .filter({ hasText: "application/x-msdownload files are not accepted here" })
    .waitFor();
  // Named and typed as a PNG, but its content is a program.
  await entry(page, "sneaky.png")
    .getByRole("alert")
    .filter({ hasText: "the content is application/x-msdownload, which is not accepted here" })
    .waitFor();
  await eventually(() => staged().length === 0, 5000, "refused files deleted");
  // Dismissed, they go.
  await entry(page, "huge.png").getByRole("button", { name: "Dismiss" }).click();
  await entry(page, "huge.png").waitFor({ state: "detached" });
  assert.deepEqual(problems, []);
  await page.close();
});

test("Cancel mid-way and a tab closed mid-upload leave no temporary file", async () => {
  const { page, problems } = await open();
  // A slower page, so the person can click while the file is still on its way.
  const cdp = await page.context().newCDPSession(page);
  await cdp.send("Emulation.setCPUThrottlingRate", { rate: 8 });
  await input(page).setInputFiles(onDisk("big.png", png(9 * MIB)));
  const bar = entry(page, "big.png").locator("progress");
  await eventually(async () => Number((await bar.getAttribute("value").catch(() => 0)) ?? 0) > 0, 10000, "progress");
  const seen = Number(await bar.getAttribute("value"));
  await entry(page, "big.png").getByRole("button", { name: "Cancel" }).click();
  await entry(page, "big.png").waitFor({ state: "detached" });
  await eventually(() => staged().length === 0, 5000, `cancelled at ${seen}%: no temporary file`);
  await cdp.send("Emulation.setCPUThrottlingRate", { rate: 1 });
  assert.ok(seen < 100, `cancelled part-way (${seen}%)`);
  // The page goes on: another file uploads fine.
  await input(page).setInputFiles({ name: "small.png", mimeType: "image/png", buffer: png(1000) });
  await entry(page, "small.png").locator("text=ready").waitFor();
  assert.deepEqual(problems, []);
  await page.close();
  await eventually(() => staged().length === 0, 5000, "closed: the waiting file deleted");

  // Closing the tab while a file is on its way.
  const second = await open();
  await input(second.page).setInputFiles(onDisk("leaving.png", png(9 * MIB)));
  await eventually(() => staged().length > 0, 10000, "a temporary file while uploading");
  await second.page.close();
  await eventually(() => staged().length === 0, 5000, "tab closed: no temporary file");
});

test("a hostile file name is only text, and nothing is written outside the upload directory", async () => {
  const { page, problems } = await open();
  const hostile = `<img src=x onerror=alert(1)>"';rm -rf ~.png`;
  await input(page).setInputFiles([
    { name: hostile, mimeType: "image/png", buffer: png(2000) },
    { name: "../../escape.png", mimeType: "image/png", buffer: png(2000) },
  ]);
  await entry(page, "escape.png").getByRole("alert").filter({ hasText: "the file name must not contain / or \\" }).waitFor();
  await entry(page, "onerror").locator("text=ready").waitFor();
  await page.getByRole("button", { name: "Send" }).click();
  const item = page.locator("ul.sent li", { hasText: "onerror" });
  await item.waitFor();
  assert.equal(await item.locator("a").innerText(), hostile, "the name shown as it was, as text");
  assert.equal(await page.locator("img[src=x]").count(), 0, "no element made from the name");
  // Only the runtime's and the example's directories, nothing named after the file.
  const top = readdirSync(env.tmp).filter((n) => !n.startsWith("gallery-file-upload-") && n !== "livetemplate-uploads");
  assert.deepEqual(top, [], "nothing else in the temporary directory");
  assert.ok(!existsSync(path.join(env.tmp, "..", "escape.png")));
  assert.deepEqual(problems, []);
  await page.close();
});

test("without JavaScript the form posts its files and the same handler keeps them", async () => {
  const context = await env.browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  await page.goto(env.url);
  const bytes = png(300 * 1024);
  await page.locator('input[type="file"]').setInputFiles({ name: "nojs.png", mimeType: "image/png", buffer: bytes });
  await Promise.all([page.waitForNavigation(), page.getByRole("button", { name: "Send" }).click()]);
  const item = page.locator("ul.sent li", { hasText: "nojs.png" });
  await item.waitFor();
  assert.equal(await item.locator("code.sha256").innerText(), createHash("sha256").update(bytes).digest("hex"));
  // A refused file comes back with its reason after the redirect.
  await page.locator('input[type="file"]').setInputFiles({
    name: "fake.png",
    mimeType: "image/png",
    buffer: Buffer.from("MZ\x90\x00 not an image"),
  });
  await Promise.all([page.waitForNavigation(), page.getByRole("button", { name: "Send" }).click()]);
  await page.locator("#files-error", { hasText: "fake.png: the content is application/x-msdownload" }).waitFor();
  assert.deepEqual(staged(), []);
  await context.close();
});
