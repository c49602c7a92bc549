// Shared pieces of the browser tests: start a gallery on a free port, launch
// Debian's Chromium through playwright-core, read /metrics.
import { spawn } from "node:child_process";
import { once } from "node:events";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import net from "node:net";
import os from "node:os";
import { fileURLToPath } from "node:url";
import path from "node:path";
import { before, after } from "node:test";
import { chromium } from "playwright-core";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

const target = () =>
  process.env.CARGO_TARGET_DIR ? path.resolve(root, process.env.CARGO_TARGET_DIR) : path.join(root, "target");

/** The gallery binary: GALLERY_BIN, else the debug build (in CARGO_TARGET_DIR if set). */
export function galleryBinary() {
  const bin = process.env.GALLERY_BIN ?? path.join(target(), "debug/gallery");
  if (!existsSync(bin)) throw new Error(`gallery binary not found at ${bin}: run cargo build -p gallery first`);
  return bin;
}

/** A runtime example's debug build (`cargo build -p livetemplate --example NAME`). */
export function exampleBinary(name) {
  const bin = path.join(target(), "debug/examples", name);
  if (!existsSync(bin)) throw new Error(`example not found at ${bin}: run cargo build -p livetemplate --example ${name}`);
  return bin;
}

/** Starts a gallery on 127.0.0.1:0 (or `options.addr`) and resolves once it prints its URL. */
export function startGallery(args = [], options = {}) {
  return startServer(galleryBinary(), args, options);
}

/**
 * Starts `bin --addr ADDR …args` (ADDR: `options.addr`, else 127.0.0.1:0)
 * with `options.env` added, and resolves once it prints its URL.
 */
export async function startServer(bin, args = [], options = {}) {
  const proc = spawn(bin, ["--addr", options.addr ?? "127.0.0.1:0", ...args], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, ...options.env },
  });
  let stderr = "";
  proc.stderr.on("data", (d) => (stderr += d));
  const url = await new Promise((resolve, reject) => {
    let out = "";
    proc.stdout.on("data", (d) => {
      out += d;
      const m = out.match(/listening on (http:\/\/\S+)/);
      if (m) resolve(m[1]);
    });
    proc.on("exit", (code) => reject(new Error(`${bin} exited with ${code} before listening:\n${stderr}`)));
  });
  return {
    url,
    proc,
    async stop() {
      if (proc.exitCode !== null) return;
      proc.kill("SIGTERM");
      await once(proc, "exit");
    },
  };
}

/** Launches headless Chromium from /usr/bin/chromium (or CHROMIUM). */
export function launchBrowser() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}

/** The gallery's /metrics as { name: number }. */
export async function metrics(url) {
  const text = await (await fetch(`${url}/metrics`)).text();
  const out = {};
  for (const line of text.split("\n")) {
    const m = line.match(/^(\w+) (-?[\d.]+)$/);
    if (m) out[m[1]] = Number(m[2]);
  }
  return out;
}

/** Polls `check` (async, truthy = done) until it holds or `ms` pass. */
export async function eventually(check, ms, what) {
  const deadline = Date.now() + ms;
  let last;
  while (Date.now() < deadline) {
    last = await check();
    if (last) return last;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`not within ${ms} ms: ${what} (last: ${JSON.stringify(last)})`);
}

/** Resolves once the live wrapper has connected (first frame applied). */
export async function waitConnected(page) {
  await page.waitForSelector("[data-lvt-id]:not([data-lvt-loading])");
}

/**
 * Starts a gallery and Chromium before a file's tests and stops them after;
 * returns the object they are put on: `{ gallery, browser }`.
 */
export function galleryAndBrowser() {
  const env = {};
  before(async () => {
    env.gallery = await startGallery();
    env.browser = await launchBrowser();
  });
  after(async () => {
    await env.browser?.close();
    await env.gallery?.stop();
  });
  return env;
}

/** A free loopback port. */
export async function freePort() {
  const server = net.createServer().listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address();
  server.close();
  await once(server, "close");
  return port;
}

/** Whether something accepts connections on the port. */
export const accepting = (port) =>
  new Promise((resolve) => {
    const socket = net.connect(port, "127.0.0.1");
    socket.once("connect", () => (socket.destroy(), resolve(true)));
    socket.once("error", () => resolve(false));
  });

/** Starts redis-server on `port` and resolves once it accepts connections. */
export async function startRedis(port) {
  const proc = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], {
    stdio: "ignore",
  });
  proc.on("error", (e) => console.error(`redis-server: ${e.message} (run scripts/setup --test)`));
  await eventually(() => accepting(port), 10_000, `redis-server on port ${port}`);
  return {
    async kill() {
      if (proc.exitCode !== null) return;
      proc.kill("SIGKILL");
      await once(proc, "exit");
    },
  };
}

/**
 * Starts a Redis Cluster of three masters (no replicas) on free ports and
 * resolves once it serves every slot; `url` is the comma-separated
 * `--redis-url` of its nodes.
 */
export async function startRedisCluster() {
  const ports = [await freePort(), await freePort(), await freePort()];
  const dir = await mkdtemp(path.join(os.tmpdir(), "lvt-redis-cluster-"));
  const procs = ports.map((port) => {
    const proc = spawn(
      "redis-server",
      ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--cluster-enabled", "yes",
        "--cluster-config-file", path.join(dir, `nodes-${port}.conf`), "--dir", dir],
      { stdio: "ignore" },
    );
    proc.on("error", (e) => console.error(`redis-server: ${e.message} (run scripts/setup --test)`));
    return proc;
  });
  for (const port of ports) await eventually(() => accepting(port), 10_000, `redis-server on port ${port}`);
  const create = spawn("redis-cli", ["--cluster", "create", ...ports.map((p) => `127.0.0.1:${p}`), "--cluster-replicas", "0", "--cluster-yes"], {
    stdio: "ignore",
  });
  const [code] = await once(create, "exit");
  if (code !== 0) throw new Error(`redis-cli --cluster create exited with ${code}`);
  const info = (port) =>
    new Promise((resolve) => {
      const cli = spawn("redis-cli", ["-p", String(port), "CLUSTER", "INFO"]);
      let out = "";
      cli.stdout.on("data", (d) => (out += d));
      cli.on("exit", () => resolve(out));
    });
  for (const port of ports) await eventually(async () => (await info(port)).includes("cluster_state:ok"), 10_000, "the cluster to be ok");
  return {
    url: ports.map((p) => `redis://127.0.0.1:${p}`).join(","),
    async kill() {
      for (const proc of procs) {
        if (proc.exitCode !== null) continue;
        proc.kill("SIGKILL");
        await once(proc, "exit");
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** The list operations of a frame's tree, wherever its loops are. */
export function listOps(frame) {
  const ops = [];
  const walk = (node) => {
    if (Array.isArray(node)) {
      if (node.length && node.every((op) => Array.isArray(op) && typeof op[0] === "string")) ops.push(...node);
      return;
    }
    if (node && typeof node === "object") Object.values(node).forEach(walk);
  };
  walk(frame.tree);
  return ops;
}
