// What permessage-deflate would save on a live page's WebSocket frames, had
// the server been able to offer it (see README, "Compression"): opens the
// page's socket, clicks one button, and for each frame received prints its
// size as sent and as RFC 7692 would send it — raw DEFLATE, flushed per
// message, the 4-byte 00 00 ff ff tail dropped — with the window kept
// across messages (the default) and without (no_context_takeover).
//
//   node --experimental-websocket bench/first-load/frames.mjs --url http://127.0.0.1:8420
//   options: --page /realtime/server-push --click startTimer --frames 4
import zlib from "node:zlib";

const args = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 && i + 1 < args.length ? args[i + 1] : fallback;
};
const base = opt("--url");
const page = opt("--page", "/realtime/server-push");
const click = opt("--click", "startTimer");
const wanted = Number(opt("--frames", "4"));
if (!base || typeof WebSocket === "undefined") {
  console.error("usage: node --experimental-websocket frames.mjs --url BASE [--page P] [--click ACTION] [--frames N]");
  process.exit(2);
}

// One compressor for the connection: later messages refer back to earlier ones.
const shared = zlib.createDeflateRaw();
const deflateShared = (data) =>
  new Promise((resolve) => {
    const chunks = [];
    const onData = (c) => chunks.push(c);
    shared.on("data", onData);
    shared.write(data);
    shared.flush(zlib.constants.Z_SYNC_FLUSH, () => {
      shared.off("data", onData);
      resolve(Buffer.concat(chunks).length - 4);
    });
  });
const deflateAlone = (data) => zlib.deflateRawSync(data, { finishFlush: zlib.constants.Z_SYNC_FLUSH }).length - 4;

const ws = new WebSocket(new URL(page, base.replace(/^http/, "ws")));
const rows = [];
// Frames are compressed one after another, in order, as a sender would.
let queue = Promise.resolve();
ws.addEventListener("open", () => ws.send(JSON.stringify({ action: click, data: {} })));
ws.addEventListener("message", (event) => {
  queue = queue.then(() => measure(event.data));
});

async function measure(message) {
  if (rows.length >= wanted) return;
  const data = Buffer.from(typeof message === "string" ? message : await message.arrayBuffer());
  rows.push({ raw: data.length, shared: await deflateShared(data), alone: deflateAlone(data) });
  if (rows.length === wanted) {
    ws.close();
    const sum = (k) => rows.reduce((t, r) => t + r[k], 0);
    console.log("| frame | as sent | deflate, window kept | deflate, no context takeover |");
    console.log("|---:|---:|---:|---:|");
    rows.forEach((r, i) => console.log(`| ${i + 1} | ${r.raw} | ${r.shared} | ${r.alone} |`));
    console.log(`| **total** | **${sum("raw")}** | **${sum("shared")}** | **${sum("alone")}** |`);
  }
}
ws.addEventListener("error", (e) => {
  console.error("websocket error", e.message ?? e);
  process.exit(1);
});
