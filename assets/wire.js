// The wire panel: every frame this tab's WebSocket sent and received, newest
// first, with its size and time, and brief flashes on what the server changed.
//
// It watches the page's socket by wrapping window.WebSocket before the stock
// client loads (this script is not deferred), so the client stays unmodified.
// The page stays fast: frames are kept up to a cap, and drawn only while the
// panel is open, at most once per animation frame.
(() => {
  "use strict";
  const KEEP = 200; // frames kept in memory
  const DRAW = 60; // frames drawn in the panel
  const encoder = new TextEncoder();
  const wire = { frames: [], sent: { n: 0, bytes: 0 }, received: { n: 0, bytes: 0 }, seq: 0 };
  // Whether the frame being applied now is an update (not a socket's first, full render).
  let applyingUpdate = false;

  const Native = window.WebSocket;
  class WatchedSocket extends Native {
    constructor(url, protocols) {
      super(url, protocols);
      let first = true;
      // Added before the client sets onmessage, so it runs first for each frame.
      this.addEventListener("message", (event) => {
        applyingUpdate = !first;
        first = false;
        record("in", event.data);
      });
    }
    send(data) {
      record("out", data);
      super.send(data);
    }
  }
  window.WebSocket = WatchedSocket;

  function sizeOf(data) {
    if (typeof data === "string") return encoder.encode(data).length;
    return data.byteLength ?? data.size ?? 0;
  }

  function record(dir, data) {
    const bytes = sizeOf(data);
    const totals = dir === "in" ? wire.received : wire.sent;
    totals.n += 1;
    totals.bytes += bytes;
    wire.frames.unshift({ id: ++wire.seq, dir, bytes, at: new Date(), text: typeof data === "string" ? data : `(${bytes} binary bytes)` });
    if (wire.frames.length > KEEP) wire.frames.length = KEEP;
    schedule();
  }

  // ---- describing a frame -------------------------------------------------

  const OPS = { r: "remove", u: "update", a: "append", p: "prepend", i: "insert", o: "reorder" };

  /** Walks an update tree: counts changed values and lists range operations. */
  function walk(node, found) {
    if (typeof node === "string" || typeof node === "number") { found.values += 1; return; }
    if (Array.isArray(node)) {
      if (node.length && node.every((op) => Array.isArray(op) && op[0] in OPS)) {
        for (const op of node) found.ops.push(describeOp(op));
        return;
      }
      for (const item of node) walk(item, found);
      return;
    }
    if (node && typeof node === "object") {
      if (Array.isArray(node.d)) {
        // A whole list (its statics and items), as sent when it first shows.
        found.ops.push(`a list of ${node.d.length} item${node.d.length === 1 ? "" : "s"}`);
        return;
      }
      for (const [key, value] of Object.entries(node)) if (key !== "s" && key !== "m") walk(value, found);
    }
  }

  function describeOp(op) {
    const [kind, a, b] = op;
    switch (kind) {
      case "r": return `remove item ${JSON.stringify(a)}`;
      case "u": return `update item ${JSON.stringify(a)} (${Object.keys(b ?? {}).length} value${Object.keys(b ?? {}).length === 1 ? "" : "s"})`;
      case "a": return `append ${a.length} item${a.length === 1 ? "" : "s"}`;
      case "p": return `prepend ${a.length} item${a.length === 1 ? "" : "s"}`;
      case "i": return `insert an item after ${JSON.stringify(a)}`;
      case "o": return `reorder ${a.length} items`;
      default: return kind;
    }
  }

  /** A one-line reading of a frame, and its list operations. */
  function describe(frame) {
    let msg;
    try { msg = JSON.parse(frame.text); } catch { return { what: "not JSON", ops: [], json: frame.text }; }
    const json = JSON.stringify(msg, null, 1);
    if (frame.dir === "out") {
      if (msg.action === "__ping__") return { what: "ping", ops: [], json };
      const keys = Object.keys(msg.data ?? {});
      return { what: `action “${msg.action || msg.submitter || "submit"}”${keys.length ? ` with ${keys.join(", ")}` : ""}`, ops: [], json };
    }
    if (msg.pong) return { what: "pong", ops: [], json };
    if (msg.type === "error") return { what: `error: ${msg.code}`, ops: [], json };
    if (!("tree" in msg)) return { what: "message", ops: [], json };
    const found = { values: 0, ops: [] };
    walk(msg.tree, found);
    const errors = Object.keys(msg.meta?.errors ?? {});
    const origin = msg.meta?.action ? `reply to “${msg.meta.action}”` : "push";
    const parts = [];
    if (found.values) parts.push(`${found.values} value${found.values === 1 ? "" : "s"}`);
    if (found.ops.length) parts.push(`${found.ops.length} list op${found.ops.length === 1 ? "" : "s"}`);
    let change = parts.length ? parts.join(", ") : "nothing changed";
    if (msg.tree && msg.tree.s) change = "whole page";
    return { what: `${origin}: ${change}${errors.length ? ` · errors: ${errors.join(", ")}` : ""}`, ops: found.ops, json };
  }

  // ---- drawing ------------------------------------------------------------

  const kb = (n) => (n < 1024 ? `${n} B` : `${(n / 1024).toFixed(1)} KB`);
  const clock = (d) => d.toLocaleTimeString([], { hour12: false }) + "." + String(d.getMilliseconds()).padStart(3, "0");
  let pending = false;

  function schedule() {
    if (pending) return;
    pending = true;
    requestAnimationFrame(draw);
  }

  function draw() {
    pending = false;
    const panel = document.getElementById("wire");
    if (!panel) return;
    panel.querySelector("[data-wire-totals]").textContent =
      `↑ ${wire.sent.n} sent · ${kb(wire.sent.bytes)}   ↓ ${wire.received.n} received · ${kb(wire.received.bytes)}`;
    if (!panel.open) return;
    const list = panel.querySelector("[data-wire-frames]");
    const drawn = new Map([...list.children].map((li) => [li.dataset.frame, li]));
    const wanted = wire.frames.slice(0, DRAW);
    const keep = new Set(wanted.map((f) => String(f.id)));
    for (const [id, li] of drawn) if (!keep.has(id)) li.remove();
    let before = list.firstChild;
    for (const frame of wanted) {
      const li = drawn.get(String(frame.id)) ?? frameItem(frame);
      if (li !== before) list.insertBefore(li, before);
      before = li.nextSibling;
    }
    panel.querySelector("[data-wire-empty]").hidden = wire.frames.length > 0;
  }

  function frameItem(frame) {
    const { what, ops, json } = describe(frame);
    const li = document.createElement("li");
    li.className = `frame ${frame.dir}`;
    li.dataset.frame = String(frame.id);
    li.dataset.dir = frame.dir;
    li.dataset.bytes = String(frame.bytes);
    const details = document.createElement("details");
    const summary = document.createElement("summary");
    const part = (cls, text) => {
      const span = document.createElement("span");
      span.className = cls;
      span.textContent = text;
      summary.append(span);
    };
    part("dir", frame.dir === "in" ? "↓ in" : "↑ out");
    part("bytes", `${frame.bytes} B`);
    part("time", clock(frame.at));
    part("what", what);
    details.append(summary);
    if (ops.length) {
      const list = document.createElement("ul");
      list.className = "ops";
      for (const op of ops) {
        const item = document.createElement("li");
        item.textContent = op;
        list.append(item);
      }
      details.append(list);
    }
    // The JSON is drawn when asked for: a long list of frames stays light,
    // and the page's text is not repeated in it.
    details.addEventListener("toggle", () => {
      if (!details.open || details.querySelector("pre")) return;
      const pre = document.createElement("pre");
      pre.tabIndex = 0; // it may scroll: reachable by keyboard
      pre.textContent = json;
      details.append(pre);
    });
    li.append(details);
    return li;
  }

  // ---- flashing what the server changed ----------------------------------

  // More changed elements than this in one update is a list redrawn or
  // reordered, not a value that changed: nothing flashes (and a big table
  // is not restyled row by row).
  const FLASH_MAX = 50;

  function flashable(el) {
    // Not the wrapper itself, nor what the page's own scripts own (lvt-ignore),
    // nor a demo that shows its own highlight (data-no-flash).
    return el && el.nodeType === 1 && !el.matches("[data-lvt-id]") && !el.closest("[lvt-ignore], [data-no-flash]");
  }

  function flash(elements) {
    const list = [...new Set(elements)].filter(flashable);
    if (list.length === 0 || list.length > FLASH_MAX) return;
    // Off now, on at the next frame: the animation restarts without a
    // forced layout per element.
    for (const el of list) el.classList.remove("lvt-changed");
    requestAnimationFrame(() => {
      for (const el of list) {
        el.classList.add("lvt-changed");
        clearTimeout(el.lvtChanged);
        el.lvtChanged = setTimeout(() => el.classList.remove("lvt-changed"), 1200);
      }
    });
  }

  function watchChanges() {
    const root = document.querySelector(".demo [data-lvt-id]");
    if (!root) return;
    new MutationObserver((records) => {
      if (!applyingUpdate) return;
      const changed = [];
      for (const r of records) {
        if (r.type === "characterData") changed.push(r.target.parentElement);
        else for (const node of r.addedNodes) changed.push(node.nodeType === 1 ? node : node.parentElement);
        if (changed.length > FLASH_MAX * 4) return; // a big redraw: see FLASH_MAX
      }
      flash(changed);
    }).observe(root, { subtree: true, childList: true, characterData: true });
  }

  document.addEventListener("DOMContentLoaded", () => {
    const panel = document.getElementById("wire");
    if (panel) {
      if (window.matchMedia("(min-width: 60rem)").matches) panel.open = true;
      panel.addEventListener("toggle", schedule);
      panel.querySelector("[data-wire-clear]")?.addEventListener("click", () => {
        wire.frames.length = 0;
        panel.querySelector("[data-wire-frames]").replaceChildren();
        schedule();
      });
    }
    watchChanges();
    schedule();
  });
})();
