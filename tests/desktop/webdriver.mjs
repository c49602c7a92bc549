// A small W3C WebDriver client for WebKitWebDriver driving the desktop
// app's own window (TAURI_WEBVIEW_AUTOMATION=true), plus the pieces the
// desktop tests share: the app binary, a free port, an Xvfb display.
import { spawn } from "node:child_process";
import { once } from "node:events";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";
import path from "node:path";
import { eventually } from "../e2e/harness.mjs";

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const target = process.env.CARGO_TARGET_DIR ? path.resolve(root, process.env.CARGO_TARGET_DIR) : path.join(root, "target");

/** Where screenshots are kept for people to look at. */
export const artifacts = path.join(target, "artifacts");

/** The desktop binary: DESKTOP_BIN, else the debug build. */
export function desktopBinary() {
  const bin = process.env.DESKTOP_BIN ?? path.join(target, "debug/gallery-desktop");
  if (!existsSync(bin)) throw new Error(`desktop binary not found at ${bin}: run cargo build -p gallery-desktop first`);
  return bin;
}

/** Runs `command` under a fresh Xvfb screen sized like the window. */
export function underXvfb(command, args, options = {}) {
  return spawn("xvfb-run", ["-a", "-s", "-screen 0 1280x860x24", command, ...args], {
    stdio: ["ignore", "pipe", "pipe"],
    detached: true, // its own process group, so stopping it stops Xvfb and the app too
    ...options,
  });
}

/** Stops a process started by `underXvfb` and everything it started. */
export async function stopGroup(proc) {
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  const exited = once(proc, "exit");
  try {
    process.kill(-proc.pid, "SIGTERM");
  } catch {}
  await exited;
}

export async function freePort() {
  const server = createServer();
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address();
  server.close();
  await once(server, "close");
  return port;
}

const ELEMENT = "element-6066-11e4-a52e-4f735466cecf";

/**
 * Starts WebKitWebDriver under Xvfb and a session on the desktop app with
 * `args`; `env` is added to the app's environment.
 */
export async function startDesktopSession({ args = [], env = {} } = {}) {
  const port = await freePort();
  const driver = underXvfb("WebKitWebDriver", [`--port=${port}`], {
    env: { ...process.env, TAURI_WEBVIEW_AUTOMATION: "true", ...env },
  });
  let log = "";
  driver.stdout.on("data", (d) => (log += d));
  driver.stderr.on("data", (d) => (log += d));
  const base = `http://127.0.0.1:${port}`;
  await eventually(
    () => fetch(`${base}/status`).then((r) => r.ok, () => false),
    20_000,
    "WebKitWebDriver answers",
  );
  const created = await request(base, "POST", "/session", {
    capabilities: {
      alwaysMatch: { "webkitgtk:browserOptions": { binary: desktopBinary(), args } },
    },
  });
  const session = new Session(`${base}/session/${created.sessionId}`);
  await session.command("POST", "/timeouts", { script: 20_000 });
  return {
    session,
    get log() {
      return log;
    },
    async stop() {
      await session.command("DELETE", "").catch(() => {});
      await stopGroup(driver);
    },
  };
}

async function request(base, method, route, body) {
  const answer = await fetch(`${base}${route}`, {
    method,
    headers: body ? { "content-type": "application/json" } : {},
    body: body ? JSON.stringify(body) : undefined,
  });
  const json = await answer.json();
  if (!answer.ok) throw new Error(`WebDriver ${method} ${route}: ${json.value?.error}: ${json.value?.message}`);
  return json.value;
}

export class Session {
  constructor(base) {
    this.base = base;
  }
  command(method, route, body) {
    return request(this.base, method, route, body);
  }
  url() {
    return this.command("GET", "/url");
  }
  go(url) {
    return this.command("POST", "/url", { url });
  }
  handles() {
    return this.command("GET", "/window/handles");
  }
  switchTo(handle) {
    return this.command("POST", "/window", { handle });
  }
  async find(css) {
    const found = await this.command("POST", "/element", { using: "css selector", value: css });
    return found[ELEMENT];
  }
  /** Clicks `css` once it is scrolled to the middle of the window: scrolled
   *  only into view, it would sit under the gallery's sticky header. */
  async click(css) {
    const element = await this.find(css);
    await this.command("POST", "/execute/sync", {
      script: "arguments[0].scrollIntoView({ block: 'center' })",
      args: [{ [ELEMENT]: element }],
    });
    await this.command("POST", `/element/${element}/click`, {});
  }
  /** Runs `fn` (a function's source) in the page with `args`; returns its value. */
  run(fn, ...args) {
    return this.command("POST", "/execute/sync", { script: `return (${fn})(...arguments)`, args });
  }
  /** Resolves once `css` matches an element whose text is `text`, on any DOM change. */
  waitForText(css, text) {
    return this.command("POST", "/execute/async", {
      script: `const [css, want, done] = arguments;
        const holds = () => document.querySelector(css)?.textContent.trim() === want;
        if (holds()) return done(true);
        const watch = new MutationObserver(() => { if (holds()) { watch.disconnect(); done(true); } });
        watch.observe(document, { subtree: true, childList: true, characterData: true, attributes: true });`,
      args: [css, text],
    });
  }
  /** Resolves once `css` matches something, on any DOM change. */
  waitFor(css) {
    return this.command("POST", "/execute/async", {
      script: `const [css, done] = arguments;
        if (document.querySelector(css)) return done(true);
        const watch = new MutationObserver(() => { if (document.querySelector(css)) { watch.disconnect(); done(true); } });
        watch.observe(document, { subtree: true, childList: true, attributes: true });`,
      args: [css],
    });
  }
  /** Saves the viewport as a PNG in the artifacts folder, after two frames are painted. */
  async screenshot(name) {
    await this.command("POST", "/execute/async", {
      script: "const done = arguments[0]; requestAnimationFrame(() => requestAnimationFrame(() => done(true)));",
      args: [],
    });
    const png = await this.command("GET", "/screenshot");
    mkdirSync(artifacts, { recursive: true });
    const file = path.join(artifacts, name);
    writeFileSync(file, Buffer.from(png, "base64"));
    return file;
  }
}
