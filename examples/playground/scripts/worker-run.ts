import { readdirSync, readFileSync } from "node:fs";
import type { Browser, Page } from "playwright-core";

// One replay in the page's worker, timed two ways: the wall time the worker reports (what a
// person waits), and the worker thread's CPU time from a Chromium trace (its tasks' thread time,
// `tdur`). On a shared machine the wall time counts every moment the worker waited for a core
// (and, in a garbage collection, for helper threads that waited for one); the CPU time counts
// only its own work. Used by measure.ts and compare-worker.ts. A third figure is the CPU time of
// Chromium's renderer processes in all their threads (Linux /proc): the worker's, and also V8's
// compiler threads and GC helpers, which on a 2-core machine take the cores the worker would run
// on (a fresh worker's compiling cost about twice its own CPU in session 7).

type ThreadEvent = {
  name: string;
  pid: number;
  tid: number;
  tdur?: number;
  args?: { name?: string };
};

/** The worker thread's CPU time in the trace at `tracePath`. */
export function workerCpuMs(tracePath: string): number {
  const events = (JSON.parse(readFileSync(tracePath, "utf8")) as { traceEvents: ThreadEvent[] })
    .traceEvents;
  const workers = new Set(
    events
      .filter((e) => e.name === "thread_name" && e.args?.name === "DedicatedWorker thread")
      .map((e) => `${e.pid}:${e.tid}`),
  );
  // The worker's one task runs the simulation, packs the frames and posts them.
  const tasks = events.filter(
    (e) => e.name === "HandlePostMessage" && workers.has(`${e.pid}:${e.tid}`),
  );
  return tasks.reduce((sum, e) => sum + (e.tdur ?? 0) / 1000, 0);
}

/** Each Chromium renderer process's CPU time in all its threads, in ms, by pid (Linux /proc). */
export function rendererCpuMs(): Map<string, number> {
  const msPerTick = 1000 / 100; // USER_HZ: 100 on Linux
  const cpu = new Map<string, number>();
  for (const pid of readdirSync("/proc").filter((name) => /^\d+$/.test(name))) {
    try {
      if (!readFileSync(`/proc/${pid}/cmdline`, "utf8").includes("--type=renderer")) continue;
      // Fields after the command name (which may hold spaces): utime and stime are 14 and 15.
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      cpu.set(pid, (Number(fields[11]) + Number(fields[12])) * msPerTick);
    } catch {
      // the process ended while being read
    }
  }
  return cpu;
}

/**
 * The renderers' CPU since `before`: a process started since counts in full, one that ended
 * since (the previous page's, after a navigation) not at all, as its last figure is unknown.
 */
export function rendererCpuSince(before: ReadonlyMap<string, number>): number {
  let ms = 0;
  for (const [pid, now] of rendererCpuMs()) ms += now - (before.get(pid) ?? 0);
  return ms;
}

/**
 * Replays `command` in the page's worker and reads the timings from its summary and a trace.
 * `worker: "fresh"` reloads the page first, so the run is a new worker's first (V8 compiles the
 * simulator as it runs); `"warm"` reuses the page's idle worker if it has one.
 */
export async function replayInWorker(
  browser: Browser,
  page: Page,
  url: string,
  tracePath: string,
  command: string,
  record: boolean,
  worker: "fresh" | "warm" = "fresh",
) {
  await page.goto(`${url}#replay`);
  if (worker === "fresh") await page.reload();
  await page.fill("#replay-command", command);
  await page.setChecked("#replay-record", record);
  await browser.startTracing(page, { path: tracePath, categories: ["devtools.timeline"] });
  const rendererBefore = rendererCpuMs();
  await page.click("#replay-form button[type=submit]");
  await page.waitForSelector("#replay-summary [data-fingerprint]", { timeout: 600_000 });
  const rendererMs = Math.round(rendererCpuSince(rendererBefore));
  await browser.stopTracing();
  const read = (selector: string, name: string) => page.getAttribute(selector, name);
  const runMs = Number(await read("[data-run-ms]", "data-run-ms"));
  const eventsPerSecond = Number(await read("[data-events-per-second]", "data-events-per-second"));
  // A build from before the summary carried its steps gives them only as a rate and a time.
  const steps =
    (await page.locator("[data-steps]").count()) > 0
      ? Number(await read("[data-steps]", "data-steps"))
      : Math.round((eventsPerSecond * runMs) / 1000);
  const cpuMs = Math.round(workerCpuMs(tracePath));
  const workerRun =
    (await page.locator("[data-worker-run]").count()) > 0
      ? Number(await read("[data-worker-run]", "data-worker-run"))
      : 1;
  return {
    command,
    record,
    workerRun,
    steps,
    fingerprint: await read("#fingerprint", "data-fingerprint"),
    runMs,
    eventsPerSecond,
    cpuMs,
    eventsPerCpuSecond: Math.round((steps * 1000) / Math.max(cpuMs, 1)),
    rendererMs,
    rendererUsPerEvent: Math.round((rendererMs * 10_000) / Math.max(steps, 1)) / 10,
    deliveredMs: Number(await read("[data-delivered-ms]", "data-delivered-ms")),
    frameBytes:
      record && (await page.locator("[data-frame-bytes]").count()) > 0
        ? Number(await read("[data-frame-bytes]", "data-frame-bytes"))
        : null,
  };
}
