// Replays our updates through the stock client's own tree renderer.
//
// stdin: JSON lines {"update": …, "html": …} (the output of lvt-render), each
// sequence starting with a line {"reset": "<name>", "template": "<source>"?}.
// For every line the client's TreeRenderer applies the update; its HTML must
// equal ours. Prints one JSON line per mismatch (the first 20 in full) and
// exits 1 if there was any.
import { createRequire } from "node:module";
import { createInterface } from "node:readline";

const require = createRequire(import.meta.url);
const { TreeRenderer } = require("@livetemplate/client/dist/state/tree-renderer.js");

const quiet = { debug() {}, info() {}, warn() {}, error() {}, isDebugEnabled: () => false, child() { return quiet; } };

let renderer = new TreeRenderer(quiet);
let name = "";
let template;
let step = 0;
let checked = 0;
let failures = 0;

for await (const line of createInterface({ input: process.stdin })) {
  if (!line.trim()) continue;
  const row = JSON.parse(line);
  if (row.reset !== undefined) {
    renderer = new TreeRenderer(quiet);
    name = row.reset;
    template = row.template;
    step = 0;
    continue;
  }
  const { html } = renderer.applyUpdate(row.update);
  checked++;
  if (html !== row.html) {
    failures++;
    const report = failures <= 20
      ? { case: name, step, template, update: row.update, expected: row.html, client: html }
      : { case: name, step };
    console.log(JSON.stringify(report));
  }
  step++;
}
console.error(`replay: ${checked} updates checked, ${failures} mismatches`);
process.exit(failures ? 1 : 0);
