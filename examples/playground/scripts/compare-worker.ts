// Compares the replay worker's fast-forward in two builds of the playground, interleaved in one
// Chromium (A B, B A, A B, …), so that on a shared machine a change's effect is a ratio from one
// run. Each replay is timed by wall time and by the worker thread's CPU time (worker-run.ts).
// Not a test. Build each side first (from the tree as it is, e.g. before and after a change):
//   npx pnpm@12.4.2 playground-compare --build /tmp/site-before
//   npx pnpm@12.4.2 playground-compare /tmp/site-before /tmp/site-after
//     [--command "pnpm sim --seed 1 --steps 50000 --nodes 5"] [--record] [--rounds 6] [--warm]
// Each run is a fresh worker's first (the page reloaded), or with --warm the second run of the
// command in the page's worker after an untimed first (a build that starts a worker per run is
// cold either way: that is the comparison).
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { chromium } from "playwright-core";
import { build } from "vite";
import { chromiumArgs, chromiumPath, serve } from "../test/browser/harness.js";
import { replayInWorker } from "./worker-run.js";

const { values: flags, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    build: { type: "string" },
    command: { type: "string", default: "pnpm sim --seed 1 --steps 50000 --nodes 5" },
    record: { type: "boolean", default: false },
    rounds: { type: "string", default: "6" },
    warm: { type: "boolean", default: false },
  },
});

if (flags.build !== undefined) {
  const root = resolve(import.meta.dirname, "..");
  await build({
    root,
    configFile: join(root, "vite.config.ts"),
    logLevel: "warn",
    build: { outDir: resolve(flags.build), emptyOutDir: true },
  });
  console.log(`built ${resolve(flags.build)}`);
  process.exit(0);
}

const [dirA, dirB] = positionals;
if (dirA === undefined || dirB === undefined) {
  throw new Error("give two built sites to compare (or --build <dir> to build one)");
}
const sites = [await serve(resolve(dirA)), await serve(resolve(dirB))] as const;
const browser = await chromium.launch({
  executablePath: chromiumPath,
  args: [...chromiumArgs],
});
function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}
try {
  const page = await browser.newPage();
  const cpuMs: [number[], number[]] = [[], []];
  const cpuRatios: number[] = [];
  const wallRatios: number[] = [];
  const rendererRatios: number[] = [];
  for (let round = 0; round < Number(flags.rounds); round++) {
    const order = round % 2 === 0 ? [0, 1] : [1, 0];
    const runs: Awaited<ReturnType<typeof replayInWorker>>[] = [];
    for (const side of order) {
      const site = sites[side]!;
      const tracePath = join(side === 0 ? dirA : dirB, "compare-trace.json");
      const replay = (worker: "fresh" | "warm") =>
        replayInWorker(browser, page, site.url, tracePath, flags.command, flags.record, worker);
      if (flags.warm) await replay("fresh");
      runs[side] = await replay(flags.warm ? "warm" : "fresh");
    }
    const [a, b] = runs as [(typeof runs)[0], (typeof runs)[0]];
    if (a.fingerprint !== b.fingerprint) {
      console.log(`NB: fingerprints differ (${a.fingerprint}, ${b.fingerprint}): not the same run`);
    }
    cpuMs[0].push(a.cpuMs);
    cpuMs[1].push(b.cpuMs);
    cpuRatios.push(a.cpuMs / b.cpuMs);
    wallRatios.push(a.runMs / b.runMs);
    rendererRatios.push(a.rendererMs / Math.max(b.rendererMs, 1));
    console.log(
      `round ${round + 1}: A ${a.eventsPerSecond.toLocaleString("en")} events/s, ${a.cpuMs} ms CPU (renderer ${a.rendererMs}, worker run ${a.workerRun}); B ${b.eventsPerSecond.toLocaleString("en")} events/s, ${b.cpuMs} ms CPU (renderer ${b.rendererMs}, worker run ${b.workerRun}); B's speed-up ${(a.cpuMs / b.cpuMs).toFixed(3)} by CPU, ${(a.runMs / b.runMs).toFixed(3)} by wall`,
    );
  }
  const result = {
    command: flags.command,
    record: flags.record,
    cpuMsMedian: [median(cpuMs[0]), median(cpuMs[1])],
    speedUpByCpuMedian: Math.round(median(cpuRatios) * 1000) / 1000,
    speedUpByWallMedian: Math.round(median(wallRatios) * 1000) / 1000,
    speedUpByRendererCpuMedian: Math.round(median(rendererRatios) * 1000) / 1000,
  };
  console.log(
    `B's speed-up over A, median of ${cpuRatios.length} pairs: ${result.speedUpByCpuMedian} by the worker's CPU time, ${result.speedUpByRendererCpuMedian} by the renderer's CPU in all threads, ${result.speedUpByWallMedian} by wall time`,
  );
  console.log(JSON.stringify(result));
} finally {
  await browser.close();
  for (const site of sites) await site.close();
}
