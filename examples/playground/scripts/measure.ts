// Measures the playground's targets in Chromium (not a test: tests never assert on time):
//   - frame time at 5 and 7 nodes, normal speed (1×), from a Chromium performance trace: wall time
//     and the main thread's own CPU time per frame (on a loaded machine the two part ways);
//   - the replay worker's fast-forward in simulated events per second (wall time, the worker
//     thread's CPU time from a trace, and the renderer's CPU in all threads), each command run in
//     a fresh worker and again in the same (warm) worker, with
//     frames recorded (what a person watches) and without (the simulator alone in the worker),
//     and the same command in this Node process, interleaved, so the recording's share and the
//     browser's against Node are ratios from one run;
//   - the production bundle's gzipped size.
// Run: npx pnpm@12.4.2 playground-measure [--seconds 5] [--steps 200000] [--rounds 2]
//        [--frame-nodes 5,7]
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { gzipSync } from "node:zlib";
import { deriveOptions, runSimulation } from "@flotilla/sim";
import { type Browser, chromium, type Page } from "playwright-core";
import { parseSimCommand } from "../src/replay/replay-run.js";
import { buildSite, chromiumArgs, chromiumPath, serve } from "../test/browser/harness.js";
import { replayInWorker } from "./worker-run.js";

const { values: flags } = parseArgs({
  options: {
    seconds: { type: "string", default: "5" },
    steps: { type: "string", default: "200000" },
    rounds: { type: "string", default: "2" },
    "frame-nodes": { type: "string", default: "5,7" },
  },
});
const frameNodes = flags["frame-nodes"].split(",").map(Number);
const seconds = Number(flags.seconds);
const steps = Number(flags.steps);
const rounds = Number(flags.rounds);

type TraceEvent = { name: string; ph: string; dur?: number; tdur?: number };

const frameWork = ["FireAnimationFrame", "UpdateLayoutTree", "Layout", "PrePaint", "Paint"];

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? Number.NaN;
}

const round2 = (ms: number) => Math.round(ms * 100) / 100;

/** Plays the live mode at 1× with `nodes` nodes and traces it for `seconds`. */
async function frameTimes(
  browser: Browser,
  page: Page,
  url: string,
  tracePath: string,
  nodes: number,
) {
  await page.goto(`${url}?seed=1&nodes=${nodes}`);
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
  return { nodes, seconds, frames, wall: summary("dur"), cpu: summary("tdur") };
}

/** The page's JavaScript heap in use after a full garbage collection (CDP). */
async function heapUsedBytes(page: Page): Promise<number> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send("HeapProfiler.collectGarbage");
  const { usedSize } = await cdp.send("Runtime.getHeapUsage");
  await cdp.detach();
  return usedSize;
}

/**
 * What time travel costs in the live mode at 5 nodes: the timeline keeps every moment (a world
 * sharing structure with the one before). The heap's growth over `events` single steps (`.`,
 * one moment each, as a playing page records one per frame) and over `virtualSeconds` presses of
 * `f` (+1 s of virtual time as one moment), each per moment kept.
 */
async function timelineMemory(page: Page, url: string, events: number, virtualSeconds: number) {
  const grow = async (key: string, presses: number) => {
    const moments = async () => Number(await page.getAttribute("#scrubber", "max")) + 1;
    const before = await heapUsedBytes(page);
    const momentsBefore = await moments();
    for (let i = 0; i < presses; i++) await page.keyboard.press(key);
    const added = (await moments()) - momentsBefore;
    const bytes = (await heapUsedBytes(page)) - before;
    return { moments: added, heapGrowthBytes: bytes, bytesPerMoment: Math.round(bytes / added) };
  };
  await page.goto(`${url}?seed=1&nodes=5`);
  await page.keyboard.press("f"); // past the first election
  const perEvent = await grow(".", events);
  const perSecond = await grow("f", virtualSeconds);
  return { nodes: 5, perEvent, perSecond };
}

/** The same command run by the simulator in this Node process, as the CLI runs it. */
async function inNode(command: string) {
  const { seed, overrides } = parseSimCommand(command);
  const started = performance.now();
  const cpuStarted = process.cpuUsage();
  const result = await runSimulation(deriveOptions(seed, overrides));
  const cpu = process.cpuUsage(cpuStarted);
  const runMs = Math.round(performance.now() - started);
  // The process's CPU time: GC helper threads included, as the worker's thread time excludes
  // them; on an idle machine the two rates are the same to a few per cent (docs/benchmarks.md).
  const cpuMs = Math.round((cpu.user + cpu.system) / 1000);
  const eventsPerSecond = Math.round((result.steps * 1000) / Math.max(runMs, 1));
  const eventsPerCpuSecond = Math.round((result.steps * 1000) / Math.max(cpuMs, 1));
  return {
    command,
    node: true,
    fingerprint: result.fingerprint,
    runMs,
    eventsPerSecond,
    cpuMs,
    eventsPerCpuSecond,
  };
}

const dir = await buildSite();
const site = await serve(dir);
const browser = await chromium.launch({
  executablePath: chromiumPath,
  args: [...chromiumArgs],
});
const report: Record<string, unknown> = {};
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
  report.frame = [];
  for (const nodes of frameNodes) {
    const frame = await frameTimes(browser, page, site.url, join(dir, "trace.json"), nodes);
    (report.frame as unknown[]).push(frame);
    console.log(
      `frames at ${nodes} nodes, 1×: ${frame.frames} in ${seconds} s; callback p50/p95/max wall ${frame.wall.callbackP50Ms}/${frame.wall.callbackP95Ms}/${frame.wall.callbackMaxMs} ms, CPU ${frame.cpu.callbackP50Ms}/${frame.cpu.callbackP95Ms}/${frame.cpu.callbackMaxMs} ms; work per frame (callback, style, layout, paint) wall ${frame.wall.workPerFrameMs} ms, CPU ${frame.cpu.workPerFrameMs} ms`,
    );
  }

  const memory = await timelineMemory(page, site.url, 1000, 30);
  report.timeline = memory;
  console.log(
    `time travel, live mode at 5 nodes: ${memory.perEvent.moments} single events, heap +${(memory.perEvent.heapGrowthBytes / 1e3).toFixed(0)} KB, ${memory.perEvent.bytesPerMoment} bytes per moment; ${memory.perSecond.moments} moments of +1 s, heap +${(memory.perSecond.heapGrowthBytes / 1e6).toFixed(2)} MB, ${memory.perSecond.bytesPerMoment} bytes per moment`,
  );

  // The default disk (FileStorage on a simulated file system, as `pnpm sim` runs), then the bare
  // simulated disk (`--disk memory`), the simulator's faster mode.
  const runs = [];
  for (let round = 0; round < rounds; round++) {
    for (const disk of ["", " --disk memory"]) {
      for (const record of [false, true]) {
        // A fresh worker's first run (V8 compiles the simulator while it runs), then the same
        // command again in that worker (the page keeps an idle worker for the next run).
        for (const worker of ["fresh", "warm"] as const) {
          const run = await replayInWorker(
            browser,
            page,
            site.url,
            join(dir, "replay-trace.json"),
            `pnpm sim --seed 1 --steps ${steps} --nodes 5${disk}`,
            record,
            worker,
          );
          runs.push(run);
          console.log(
            `worker ${record ? "recorded" : "bare    "} ${worker === "fresh" ? "1st run" : `run ${run.workerRun}  `} ${run.command}: ${run.eventsPerSecond.toLocaleString("en")} events/s (${run.runMs} ms), ${run.eventsPerCpuSecond.toLocaleString("en")} per CPU second (${run.cpuMs} ms); renderer CPU in all threads ${run.rendererMs} ms, ${run.rendererUsPerEvent} µs per event; on the page after ${run.deliveredMs} ms${run.frameBytes === null ? "" : `, frames ${(run.frameBytes / 1e6).toFixed(1)} MB (${Math.round(run.frameBytes / run.steps)} bytes per event)`}, fingerprint ${run.fingerprint}`,
          );
        }
      }
      const node = await inNode(`pnpm sim --seed 1 --steps ${steps} --nodes 5${disk}`);
      runs.push(node);
      console.log(
        `Node            ${node.command}: ${node.eventsPerSecond.toLocaleString("en")} events/s (${node.runMs} ms), ${node.eventsPerCpuSecond.toLocaleString("en")} per CPU second (${node.cpuMs} ms), fingerprint ${node.fingerprint}`,
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
