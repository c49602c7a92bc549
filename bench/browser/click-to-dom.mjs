// Click → DOM updated in Chromium, split at the reply frame's arrival.
//
//   cargo build --release -p lvt-bench && node bench/browser/click-to-dom.mjs [--clicks 500]
//
// Starts bench-server (release build; BENCH_SERVER overrides the path) on a
// free port, one process per page so its answer-time histogram is that
// page's, and clicks through Debian's Chromium (CHROMIUM overrides it).
//
// Each page is clicked two ways, alternately: by mouse input through CDP
// (Playwright's click: the browser's input pipeline, as a user's click) and
// by element.click() in the page (the client's work only); after each pair,
// one round trip on a raw WebSocket echo from the page: the baseline.
//
// Where the times come from, all in the page's own clock (performance.now(),
// at 5 µs resolution because bench-server makes its pages cross-origin
// isolated; 100 µs otherwise, which the output says):
// - click: a capture listener on window, the first JS to see the click;
// - send: the client's WebSocket.send (wrapped before any page script runs);
// - frame: a "message" listener added when the socket is made, so it runs
//   before the client's own handler: the moment the renderer's main thread
//   hands the frame to the page, when only the client's work is left;
// - DOM: a MutationObserver whose callback sees the expected change (the
//   counter's text, the row's class), right after the client's handler;
// - next task: a MessageChannel message posted at the click: when the main
//   thread is free for ordinary tasks again. A frame cannot reach the page
//   earlier, so when this is as late as the frame, the wait was the
//   browser's (rendering after input), not the network's or the server's.
// CDP's Network.webSocketFrameSent/Received timestamps are another clock
// than the page's, so they cannot split click → DOM; their difference is
// shown to cross-check send → frame. Playwright's `framereceived` events
// reach node through the protocol's queue, later than the page sees frames.
import { spawn } from "node:child_process";
import { once } from "node:events";
import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { chromium } from "playwright-core";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const { values: opts } = parseArgs({
  options: {
    clicks: { type: "string", default: "500" },
    "warm-up": { type: "string", default: "20" },
    pages: { type: "string", default: "counter,list" },
  },
});
const CLICKS = Number(opts.clicks);
const WARM_UP = Number(opts["warm-up"]);
// A click that got no DOM update in this long is a failure, not a sample.
const STUCK_MS = 10_000;

/**
 * What each page's clicks are: the button of click `n`, and what the DOM
 * shows once it is applied (`selected`: the rows selected so far).
 */
const PAGES = {
  counter: {
    path: "/counter",
    button: () => 'button[name="increment"]',
    expect: (n) => ({ selector: "p", kind: "text", value: `Count: ${n + 1}` }),
  },
  list: {
    path: "/list",
    // A stride coprime with the 1,000 rows: click after click, a new row.
    row: (n) => (n * 37) % 1000,
    button(n) {
      return `button[data-id="${this.row(n)}"]`;
    },
    expect(n, selected) {
      const row = this.row(n);
      // Each click toggles its row; a later lap over the rows unselects them.
      const value = selected.has(row) ? "" : "selected";
      if (value) selected.add(row);
      else selected.delete(row);
      return { selector: `tr[data-key="${row}"]`, kind: "class", value };
    },
  },
};

/** How a click is made. */
const CLICKS_BY = {
  // Mouse events through CDP's Input domain (what Playwright's click does):
  // the browser's input pipeline, as a user's click goes through it.
  input: (page, selector) => page.locator(selector).click(),
  // element.click() in the page: no input pipeline, the client's work only.
  script: (page, selector) => page.evaluate((s) => document.querySelector(s).click(), selector),
};

function serverBinary() {
  const target = process.env.CARGO_TARGET_DIR ? path.resolve(root, process.env.CARGO_TARGET_DIR) : path.join(root, "target");
  const bin = process.env.BENCH_SERVER ?? path.join(target, "release/bench-server");
  if (!existsSync(bin)) throw new Error(`${bin} not found: run cargo build --release -p lvt-bench first`);
  return bin;
}

/** Starts bench-server on a free port; resolves once it listens. */
async function startServer() {
  const proc = spawn(serverBinary(), ["--addr", "127.0.0.1:0"], { stdio: ["ignore", "pipe", "inherit"] });
  const url = await new Promise((resolve, reject) => {
    let out = "";
    proc.stdout.on("data", (d) => {
      out += d;
      const m = out.match(/listening on (http:\/\/\S+)/);
      if (m) resolve(m[1]);
    });
    proc.on("exit", (code) => reject(new Error(`bench-server exited with ${code} before listening`)));
  });
  return {
    url,
    async answerTime() {
      const [p50, p99, count] = (await (await fetch(`${url}/answer-time`)).text()).trim().split(/\s+/).map(Number);
      return { p50: p50 / 1e6, p99: p99 / 1e6, count };
    },
    async stop() {
      if (proc.exitCode !== null) return;
      proc.kill("SIGTERM");
      await once(proc, "exit");
    },
  };
}

/** Runs in the page before its scripts: the timestamps described above. */
function instrument() {
  const bench = (window.__bench = { armed: null });
  const Native = window.WebSocket;
  window.WebSocket = class extends Native {
    constructor(...args) {
      super(...args);
      this.addEventListener("message", (e) => {
        const c = bench.armed;
        if (c && c.sent !== undefined && c.frame === undefined && typeof e.data === "string" && e.data.includes('"tree"')) {
          c.frame = performance.now();
          c.frameBytes = e.data.length;
        }
      });
    }
    send(data) {
      const c = bench.armed;
      if (c && c.click !== undefined && c.sent === undefined && !String(data).includes("__ping__")) c.sent = performance.now();
      return super.send(data);
    }
  };
  // When the main thread takes its next ordinary task after a click: the
  // earliest a reply frame could be handed to the page.
  const channel = new MessageChannel();
  channel.port1.onmessage = () => {
    const c = bench.armed;
    if (c && c.task === undefined) c.task = performance.now();
  };
  window.addEventListener(
    "click",
    () => {
      const c = bench.armed;
      if (c && c.click === undefined) {
        c.click = performance.now();
        channel.port2.postMessage(0);
      }
    },
    true,
  );
  // One round trip on a raw echo socket, the physical baseline in the page.
  bench.echo = async (url, text) => {
    if (!bench.echoSocket) {
      bench.echoSocket = new Native(url);
      await new Promise((resolve) => bench.echoSocket.addEventListener("open", resolve, { once: true }));
    }
    const start = performance.now();
    await new Promise((resolve) => {
      bench.echoSocket.addEventListener("message", resolve, { once: true });
      bench.echoSocket.send(text);
    });
    return performance.now() - start;
  };
  // Arms the next click: resolves with its timestamps once the DOM shows `expect`.
  bench.arm = (expect) => {
    const c = {};
    const holds = () => {
      const el = document.querySelector(expect.selector);
      if (!el) return false;
      return expect.kind === "text" ? el.textContent === expect.value : el.className === expect.value;
    };
    bench.armed = c;
    bench.done = new Promise((resolve) => {
      const observer = new MutationObserver(() => {
        if (c.frame === undefined || c.task === undefined || !holds()) return;
        c.dom = performance.now();
        observer.disconnect();
        bench.armed = null;
        resolve(c);
      });
      observer.observe(document.body, { subtree: true, childList: true, characterData: true, attributes: true });
    });
  };
}

/**
 * CDP timestamps (seconds, the inspector's clock) of the live socket's
 * actions and replies, as the renderer hands them to and gets them from
 * the network service.
 */
async function cdpFrames(page, livePath) {
  const cdp = await page.context().newCDPSession(page);
  const frames = { live: null, sent: [], received: [], waiters: [] };
  const wake = () => {
    frames.waiters = frames.waiters.filter((w) => !w());
  };
  cdp.on("Network.webSocketCreated", (e) => {
    if (new URL(e.url).pathname === livePath) frames.live = e.requestId;
  });
  cdp.on("Network.webSocketFrameSent", (e) => {
    if (e.requestId === frames.live && !e.response.payloadData.includes("__ping__")) frames.sent.push(e.timestamp);
    wake();
  });
  cdp.on("Network.webSocketFrameReceived", (e) => {
    if (e.requestId === frames.live && e.response.payloadData.includes('"tree"')) frames.received.push(e.timestamp);
    wake();
  });
  await cdp.send("Network.enable");
  // Resolves once `check()` holds, re-checked on each CDP frame event.
  frames.until = (check) =>
    new Promise((resolve) => {
      if (check()) return resolve();
      frames.waiters.push(() => (check() ? (resolve(), true) : false));
    });
  return frames;
}

function withDeadline(promise, what) {
  let timer;
  const deadline = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no DOM update within ${STUCK_MS} ms: ${what}`)), STUCK_MS);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

function quantiles(samples) {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q) => sorted[Math.round((sorted.length - 1) * q)];
  return { p50: at(0.5), p99: at(0.99) };
}

const ms = (v) => (v >= 1 ? `${v.toFixed(2)} ms` : `${Math.round(v * 1000)} µs`);
const pair = (samples) => {
  const { p50, p99 } = quantiles(samples);
  return `${ms(p50)} · ${ms(p99)}`;
};

/** One click and its timestamps; `parts` collects them after the warm-up. */
async function click(page, frames, spec, by, n, expect, parts) {
  const [sentBefore, receivedBefore] = [frames.sent.length, frames.received.length];
  await page.evaluate((e) => window.__bench.arm(e), expect);
  await CLICKS_BY[by](page, spec.button(n));
  const c = await withDeadline(page.evaluate(() => window.__bench.done), `click ${n} (${by})`);
  await withDeadline(
    frames.until(() => frames.sent.length > sentBefore && frames.received.length > receivedBefore),
    `click ${n} (${by}): CDP frames`,
  );
  if (!parts) return;
  parts.toFrame.push(c.frame - c.click);
  parts.toDom.push(c.dom - c.frame);
  parts.total.push(c.dom - c.click);
  parts.toSend.push(c.sent - c.click);
  parts.wire.push((frames.received[receivedBefore] - frames.sent[sentBefore]) * 1000);
  parts.task.push(c.task - c.click);
  parts.frameBytes = c.frameBytes;
}

/** Clicks by input and by script, alternately, with an echo after each pair. */
async function measure(browser, name) {
  const spec = PAGES[name];
  const server = await startServer();
  try {
    const context = await browser.newContext();
    await context.addInitScript(instrument);
    const page = await context.newPage();
    const frames = await cdpFrames(page, spec.path);
    await page.goto(server.url + spec.path);
    await page.waitForSelector("[data-lvt-id]:not([data-lvt-loading])");
    const isolated = await page.evaluate(() => self.crossOriginIsolated);
    const parts = Object.fromEntries(
      Object.keys(CLICKS_BY).map((by) => [by, { toFrame: [], toDom: [], total: [], toSend: [], wire: [], task: [] }]),
    );
    const echoes = [];
    const echoUrl = `${server.url.replace(/^http/, "ws")}/echo`;
    const selected = new Set();
    let n = 0;
    for (let k = 0; k < WARM_UP + CLICKS; k++) {
      const measured = k >= WARM_UP;
      for (const by of Object.keys(CLICKS_BY)) {
        await click(page, frames, spec, by, n, spec.expect(n, selected), measured && parts[by]);
        n += 1;
      }
      const echo = await page.evaluate(([url, text]) => window.__bench.echo(url, text), [echoUrl, '{"action":"increment","data":{}}']);
      if (measured) echoes.push(echo);
    }
    const answer = await server.answerTime();
    await context.close();
    const rows = Object.entries(parts).map(([by, p]) => [
      `${name} (${spec.path}), click by ${by}`,
      `${CLICKS}`,
      pair(p.toFrame),
      pair(p.toDom),
      pair(p.total),
      pair(p.toSend),
      pair(p.task),
      pair(p.wire),
      `${p.frameBytes} B`,
    ]);
    rows.push([`${name}: raw WebSocket echo from the page (send → message)`, `${CLICKS}`, pair(echoes), "", "", "", "", "", ""]);
    rows.push([
      `${name}: server answer time, both kinds of click (runtime histogram)`,
      `${answer.count}`,
      `≤ ${ms(answer.p50)} · ≤ ${ms(answer.p99)}`,
      "",
      "",
      "",
      "",
      "",
      "",
    ]);
    return { rows, isolated };
  } finally {
    await server.stop();
  }
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
  headless: true,
  args: [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
  ],
});
const version = browser.version();
const rows = [];
let isolated = true;
try {
  for (const name of opts.pages.split(",")) {
    if (!PAGES[name]) throw new Error(`unknown page ${name} (${Object.keys(PAGES).join(", ")})`);
    const result = await measure(browser, name);
    rows.push(...result.rows);
    isolated &&= result.isolated;
  }
} finally {
  await browser.close();
}
console.log(`Chromium ${version}; performance.now() resolution ${isolated ? "5 µs (cross-origin isolated)" : "100 µs"}\n`);
console.log(
  "| page, click | clicks | click → frame p50 · p99 | frame → DOM p50 · p99 | click → DOM p50 · p99 | of which click → send | click → main thread's next task | renderer send → receive (CDP) | reply frame |",
);
console.log("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
for (const row of rows) console.log(`| ${row.join(" | ")} |`);
