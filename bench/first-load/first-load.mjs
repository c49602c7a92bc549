// Bytes a browser downloads for the first load of a gallery page: the HTML,
// then every script and stylesheet it links, each asked for with the
// Accept-Encoding a browser sends. Counts body bytes as they cross the wire
// (compressed when the server compressed), and what they decode to.
//
//   node bench/first-load/first-load.mjs --bin target/release/gallery
//   node bench/first-load/first-load.mjs --url http://127.0.0.1:8420
//
// Options: --page PATH (default /realtime/server-push),
//          --accept-encoding VALUE (default "gzip, deflate, br, zstd", Chromium's over HTTPS),
//          --markdown (print the table as Markdown).
import { spawn } from "node:child_process";
import http from "node:http";
import zlib from "node:zlib";

const args = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 && i + 1 < args.length ? args[i + 1] : fallback;
};
const page = opt("--page", "/realtime/server-push");
const acceptEncoding = opt("--accept-encoding", "gzip, deflate, br, zstd");
const markdown = args.includes("--markdown");

function get(base, path) {
  return new Promise((resolve, reject) => {
    const req = http.get(new URL(path, base), { headers: { "accept-encoding": acceptEncoding, accept: "*/*" } }, (res) => {
      const chunks = [];
      res.on("data", (c) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on("error", reject);
    });
    req.on("error", reject);
  });
}

function decode(encoding, body) {
  switch (encoding) {
    case undefined:
    case "identity":
      return body;
    case "gzip":
      return zlib.gunzipSync(body);
    case "br":
      return zlib.brotliDecompressSync(body);
    case "deflate":
      return zlib.inflateSync(body);
    default:
      throw new Error(`cannot decode ${encoding}`);
  }
}

// minijinja escapes '/' in attribute values as &#x2f;.
const unescape = (s) => s.replace(/&#x2f;/gi, "/").replace(/&amp;/g, "&");

// Scripts and stylesheets, in document order.
function linked(html) {
  const found = [];
  for (const m of html.matchAll(/<script\b[^>]*\bsrc="([^"]+)"|<link\b[^>]*\brel="stylesheet"[^>]*\bhref="([^"]+)"/g)) {
    found.push(unescape(m[1] ?? m[2]));
  }
  return found;
}

async function measure(base) {
  const rows = [];
  const row = (path, res) => {
    const encoding = res.headers["content-encoding"];
    rows.push({ path, status: res.status, encoding: encoding ?? "-", wire: res.body.length, decoded: decode(encoding, res.body).length, cache: res.headers["cache-control"] ?? "-" });
  };
  const html = await get(base, page);
  row(page, html);
  for (const path of linked(decode(html.headers["content-encoding"], html.body).toString("utf8"))) {
    row(path, await get(base, path));
  }
  return rows;
}

function print(rows) {
  const total = rows.reduce((t, r) => ({ wire: t.wire + r.wire, decoded: t.decoded + r.decoded }), { wire: 0, decoded: 0 });
  if (markdown) {
    console.log("| resource | encoding | bytes on the wire | decoded | cache-control |");
    console.log("|---|---|---:|---:|---|");
    for (const r of rows) console.log(`| \`${r.path}\` | ${r.encoding} | ${r.wire} | ${r.decoded} | ${r.cache} |`);
    console.log(`| **total** | | **${total.wire}** | **${total.decoded}** | |`);
    return;
  }
  for (const r of rows) console.log(`${String(r.status).padEnd(4)}${r.encoding.padEnd(9)}${String(r.wire).padStart(9)}${String(r.decoded).padStart(9)}  ${r.path}  [${r.cache}]`);
  console.log(`total    ${String(total.wire).padStart(9)}${String(total.decoded).padStart(9)}  bytes on the wire / decoded (Accept-Encoding: ${acceptEncoding})`);
}

async function withServer(bin, run) {
  const child = spawn(bin, ["--addr", "127.0.0.1:0"], { stdio: ["ignore", "pipe", "inherit"] });
  try {
    const base = await new Promise((resolve, reject) => {
      let out = "";
      child.stdout.on("data", (d) => {
        out += d;
        const m = out.match(/listening on (http:\/\/\S+)/);
        if (m) resolve(m[1]);
      });
      child.on("exit", (code) => reject(new Error(`${bin} exited (${code}) before listening`)));
    });
    return await run(base);
  } finally {
    child.kill();
  }
}

const url = opt("--url");
const bin = opt("--bin");
if (!url && !bin) {
  console.error("usage: first-load.mjs (--bin PATH_TO_GALLERY | --url BASE) [--page PATH] [--accept-encoding V] [--markdown]");
  process.exit(2);
}
print(url ? await measure(url) : await withServer(bin, measure));
