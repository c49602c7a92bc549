// A file upload in the desktop window (WebKitGTK through WebKitWebDriver):
// WebKit is not Chromium, so the stock client's chunked upload — FileReader,
// base64, the socket — is run there too, its progress watched, and the file
// that arrives compared with the one chosen.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { eventually } from "../e2e/harness.mjs";
import { startDesktopSession } from "./webdriver.mjs";

const env = {};

before(async () => {
  env.data = mkdtempSync(path.join(tmpdir(), "lvt-desktop-upload-"));
  env.desktop = await startDesktopSession({
    args: ["--addr", "127.0.0.1:0"],
    // The app's temporary files (uploads in progress) land here, to be looked at.
    env: { XDG_DATA_HOME: env.data, TMPDIR: env.data },
  });
  env.window = env.desktop.session;
  env.url = new URL(await env.window.url()).origin;
});

after(async () => {
  await env.desktop?.stop();
  rmSync(env.data, { recursive: true, force: true });
});

function staged() {
  const dir = path.join(env.data, "livetemplate-uploads");
  return existsSync(dir) ? readdirSync(dir) : [];
}

test("a 2 MiB file uploads in chunks with progress in the desktop window and arrives intact", async () => {
  const window = env.window;
  await window.go(`${env.url}/forms/file-upload`);
  await window.waitFor("[data-lvt-id]:not([data-lvt-loading])");
  const bytes = Buffer.alloc(2 * 1024 * 1024);
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]).copy(bytes);
  for (let i = 8; i < bytes.length; i++) bytes[i] = (i * 31 + (i >> 8)) & 0xff;
  // The person's choice, as the input receives it: a File in its FileList,
  // then the change event the stock client listens for.
  await window.run(
    (b64) => {
      window.progressSeen = [];
      new MutationObserver(() => {
        for (const p of document.querySelectorAll("ul.uploads progress")) window.progressSeen.push(Number(p.value));
      }).observe(document.body, { subtree: true, childList: true, attributes: true });
      const raw = atob(b64);
      const data = new Uint8Array(raw.length);
      for (let i = 0; i < raw.length; i++) data[i] = raw.charCodeAt(i);
      const transfer = new DataTransfer();
      transfer.items.add(new File([data], "webkit.png", { type: "image/png" }));
      const input = document.querySelector('input[type="file"][lvt-upload="files"]');
      input.files = transfer.files;
      input.dispatchEvent(new Event("change", { bubbles: true }));
    },
    bytes.toString("base64"),
  );
  await window.waitForText("ul.uploads li small.percent", "ready");
  const seen = await window.run(() => window.progressSeen);
  const partial = [...new Set(seen)].filter((v) => v > 0 && v < 100);
  assert.ok(partial.length >= 2, `progress seen part-way at least twice: ${seen}`);

  await window.click('button[name="send"]');
  await window.waitFor("ul.sent li code.sha256");
  const shown = await window.run(() => document.querySelector("ul.sent li code.sha256").textContent);
  assert.equal(shown, createHash("sha256").update(bytes).digest("hex"));
  await eventually(() => staged().length === 0, 5000, "no temporary file left");
  await window.screenshot("desktop-file-upload.png");
});
