// The desktop app's self-check (--smoke), run as a child process under
// Xvfb: the real Tauri window loads the gallery, opens Server Push, starts
// the timer and sees two ticks in its DOM, then closes like a person would.
import { test } from "node:test";
import assert from "node:assert/strict";
import { once } from "node:events";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { artifacts, desktopBinary, underXvfb } from "./webdriver.mjs";

/** Runs the app to its end; resolves with its exit code and output. */
async function runApp(args) {
  const data = mkdtempSync(path.join(tmpdir(), "lvt-desktop-"));
  const app = underXvfb(desktopBinary(), args, { env: { ...process.env, XDG_DATA_HOME: data } });
  let stdout = "";
  let stderr = "";
  app.stdout.on("data", (d) => (stdout += d));
  app.stderr.on("data", (d) => (stderr += d));
  const [code] = await once(app, "exit");
  rmSync(data, { recursive: true, force: true });
  return { code, stdout, stderr };
}

/** Holds 127.0.0.1:8420 (the default) for the duration, if nobody else does. */
async function holdDefaultPort() {
  const server = createServer();
  server.listen(8420, "127.0.0.1");
  await Promise.race([once(server, "listening"), once(server, "error")]);
  return () => server.close();
}

test("smoke: the window shows two ticks of Server Push, then closes with the server stopped cleanly", async () => {
  const release = await holdDefaultPort();
  // A folder that does not exist yet, as on a clean checkout: the app makes it.
  const shot = path.join(artifacts, "smoke", "desktop-smoke.png");
  rmSync(path.dirname(shot), { recursive: true, force: true });
  let run;
  try {
    run = await runApp(["--smoke", "--screenshot", shot]);
  } finally {
    release();
  }
  assert.equal(run.code, 0, `smoke failed:\n${run.stderr}`);
  // The default port was taken, so the app chose another instead of failing.
  const url = run.stdout.match(/listening on (http:\/\/127\.0\.0\.1:(\d+))/);
  assert.ok(url, run.stdout);
  assert.notEqual(url[2], "8420");
  assert.match(run.stderr, /index loaded: \d+ categories: (.+, )?Real-Time/);
  assert.match(run.stderr, /ticks (\d+, )*1, 2 showed in the window/);
  // Closing the window stopped the timer task and closed the socket.
  assert.match(run.stderr, /server stopped cleanly \(0 connections, 0 tasks left\)/);
  assert.match(run.stderr, /smoke: passed/);
  const png = readFileSync(shot);
  assert.equal(png.subarray(1, 4).toString(), "PNG");
});

test("smoke: a check that cannot finish exits 1 and names the step it got stuck on", async () => {
  // Chat is not Server Push: the check loads it, then has nothing to click.
  const run = await runApp(["--addr", "127.0.0.1:0", "--page", "/realtime/chat", "--smoke", "--smoke-deadline", "3"]);
  assert.equal(run.code, 1, run.stderr);
  assert.match(run.stderr, /smoke: FAILED: stuck after "loaded \/realtime\/chat": nothing further within 3 s/);
  assert.match(run.stderr, /server stopped cleanly/);
});
