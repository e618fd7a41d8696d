import { readFileSync } from "node:fs";
import type { Browser, Page } from "playwright-core";

// One replay in the page's worker, timed two ways: the wall time the worker reports (what a
// person waits), and the worker thread's CPU time from a Chromium trace (its tasks' thread time,
// `tdur`). On a shared machine the wall time counts every moment the worker waited for a core
// (and, in a garbage collection, for helper threads that waited for one); the CPU time counts
// only its own work. Used by measure.ts and compare-worker.ts.

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

/** Replays `command` in the page's worker and reads the timings from its summary and a trace. */
export async function replayInWorker(
  browser: Browser,
  page: Page,
  url: string,
  tracePath: string,
  command: string,
  record: boolean,
) {
  await page.goto(`${url}#replay`);
  await page.fill("#replay-command", command);
  await page.setChecked("#replay-record", record);
  await browser.startTracing(page, { path: tracePath, categories: ["devtools.timeline"] });
  await page.click("#replay-form button[type=submit]");
  await page.waitForSelector("#replay-summary [data-fingerprint]", { timeout: 600_000 });
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
  return {
    command,
    record,
    steps,
    fingerprint: await read("#fingerprint", "data-fingerprint"),
    runMs,
    eventsPerSecond,
    cpuMs,
    eventsPerCpuSecond: Math.round((steps * 1000) / Math.max(cpuMs, 1)),
    deliveredMs: Number(await read("[data-delivered-ms]", "data-delivered-ms")),
    frameBytes:
      record && (await page.locator("[data-frame-bytes]").count()) > 0
        ? Number(await read("[data-frame-bytes]", "data-frame-bytes"))
        : null,
  };
}
