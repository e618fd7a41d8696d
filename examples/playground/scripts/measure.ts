// Measures the playground's targets in Chromium (not a test: tests never assert on time):
//   - frame time at 5 nodes, normal speed (1×), from a Chromium performance trace: wall time
//     and the main thread's own CPU time per frame (on a loaded machine the two part ways);
//   - the replay worker's fast-forward in simulated events per second, each command run with
//     frames recorded (what a person watches) and without (the simulator alone in the worker),
//     and the same command in this Node process, interleaved, so the recording's share and the
//     browser's against Node are ratios from one run;
//   - the production bundle's gzipped size.
// Run: npx pnpm@12.4.2 playground-measure [--seconds 5] [--steps 200000] [--rounds 2]
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { gzipSync } from "node:zlib";
import { deriveOptions, runSimulation } from "@flotilla/sim";
import { type Browser, chromium, type Page } from "playwright-core";
import { parseSimCommand } from "../src/replay/replay-run.js";
import { buildSite, chromiumPath, serve } from "../test/browser/harness.js";

const { values: flags } = parseArgs({
  options: {
    seconds: { type: "string", default: "5" },
    steps: { type: "string", default: "200000" },
    rounds: { type: "string", default: "2" },
  },
});
const seconds = Number(flags.seconds);
const steps = Number(flags.steps);
const rounds = Number(flags.rounds);

type TraceEvent = { name: string; ph: string; dur?: number; tdur?: number };

const frameWork = ["FireAnimationFrame", "UpdateLayoutTree", "Layout", "PrePaint", "Paint"];

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? Number.NaN;
}

const round2 = (ms: number) => Math.round(ms * 100) / 100;

/** Plays the live mode at 1× with 5 nodes and traces it for `seconds`. */
async function frameTimes(browser: Browser, page: Page, url: string, tracePath: string) {
  await page.goto(`${url}?seed=1&nodes=5`);
  await page.keyboard.press("f");
  await page.keyboard.press(" "); // play at 1×
  await page.waitForTimeout(1000);
  await browser.startTracing(page, { path: tracePath, categories: ["devtools.timeline"] });
  await page.waitForTimeout(seconds * 1000);
  await browser.stopTracing();
  const events = (JSON.parse(readFileSync(tracePath, "utf8")) as { traceEvents: TraceEvent[] })
    .traceEvents;
  const of = (names: readonly string[], field: "dur" | "tdur") =>
    events
      .filter((e) => names.includes(e.name) && e[field] !== undefined)
      .map((e) => e[field]! / 1000);
  const frames = of(["FireAnimationFrame"], "dur").length;
  const summary = (field: "dur" | "tdur") => {
    const callback = of(["FireAnimationFrame"], field).sort((a, b) => a - b);
    const work = of(frameWork, field).reduce((sum, ms) => sum + ms, 0);
    return {
      callbackP50Ms: round2(percentile(callback, 0.5)),
      callbackP95Ms: round2(percentile(callback, 0.95)),
      callbackMaxMs: round2(callback.at(-1) ?? Number.NaN),
      workPerFrameMs: round2(work / Math.max(frames, 1)),
    };
  };
  return { seconds, frames, wall: summary("dur"), cpu: summary("tdur") };
}

/** Replays `command` in the page's worker and reads the timings from its summary. */
async function replay(page: Page, url: string, command: string, record: boolean) {
  await page.goto(`${url}#replay`);
  await page.fill("#replay-command", command);
  await page.setChecked("#replay-record", record);
  await page.click("#replay-form button[type=submit]");
  await page.waitForSelector("#replay-summary [data-fingerprint]", { timeout: 600_000 });
  const read = (selector: string, name: string) => page.getAttribute(selector, name);
  return {
    command,
    record,
    fingerprint: await read("#fingerprint", "data-fingerprint"),
    runMs: Number(await read("[data-run-ms]", "data-run-ms")),
    eventsPerSecond: Number(await read("[data-events-per-second]", "data-events-per-second")),
    deliveredMs: Number(await read("[data-delivered-ms]", "data-delivered-ms")),
  };
}

/** The same command run by the simulator in this Node process, as the CLI runs it. */
async function inNode(command: string) {
  const { seed, overrides } = parseSimCommand(command);
  const started = performance.now();
  const result = await runSimulation(deriveOptions(seed, overrides));
  const runMs = Math.round(performance.now() - started);
  const eventsPerSecond = Math.round((result.steps * 1000) / Math.max(runMs, 1));
  return { command, node: true, fingerprint: result.fingerprint, runMs, eventsPerSecond };
}

const dir = await buildSite();
const site = await serve(dir);
const browser = await chromium.launch({
  executablePath: chromiumPath,
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
const report: Record<string, unknown> = {};
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
  const frame = await frameTimes(browser, page, site.url, join(dir, "trace.json"));
  report.frame = frame;
  console.log(
    `frames at 5 nodes, 1×: ${frame.frames} in ${seconds} s; callback p50/p95/max wall ${frame.wall.callbackP50Ms}/${frame.wall.callbackP95Ms}/${frame.wall.callbackMaxMs} ms, CPU ${frame.cpu.callbackP50Ms}/${frame.cpu.callbackP95Ms}/${frame.cpu.callbackMaxMs} ms; work per frame (callback, style, layout, paint) wall ${frame.wall.workPerFrameMs} ms, CPU ${frame.cpu.workPerFrameMs} ms`,
  );

  // The default disk (FileStorage on a simulated file system, as `pnpm sim` runs), then the bare
  // simulated disk (`--disk memory`), the simulator's faster mode.
  const runs = [];
  for (let round = 0; round < rounds; round++) {
    for (const disk of ["", " --disk memory"]) {
      for (const record of [false, true]) {
        const run = await replay(
          page,
          site.url,
          `pnpm sim --seed 1 --steps ${steps} --nodes 5${disk}`,
          record,
        );
        runs.push(run);
        console.log(
          `worker ${record ? "recorded" : "bare    "} ${run.command}: ${run.eventsPerSecond.toLocaleString("en")} events/s (${run.runMs} ms), on the page after ${run.deliveredMs} ms, fingerprint ${run.fingerprint}`,
        );
      }
      const node = await inNode(`pnpm sim --seed 1 --steps ${steps} --nodes 5${disk}`);
      runs.push(node);
      console.log(
        `Node            ${node.command}: ${node.eventsPerSecond.toLocaleString("en")} events/s (${node.runMs} ms), fingerprint ${node.fingerprint}`,
      );
    }
  }
  report.worker = runs;
} finally {
  await browser.close();
  await site.close();
}

const bundle: Record<string, { bytes: number; gzipped: number }> = {};
for (const file of readdirSync(join(dir, "assets"))) {
  const bytes = readFileSync(join(dir, "assets", file));
  bundle[file] = { bytes: bytes.length, gzipped: gzipSync(bytes).length };
  console.log(`bundle ${file}: ${bytes.length} bytes, ${bundle[file].gzipped} gzipped`);
}
const gzipped = Object.values(bundle).reduce((sum, file) => sum + file.gzipped, 0);
console.log(`bundle in all: ${gzipped} bytes gzipped`);
report.bundleGzippedBytes = gzipped;
console.log(JSON.stringify(report));
