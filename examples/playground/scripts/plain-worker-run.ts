// A fresh replay worker's first and second runs in a Chromium started plainly (headless, the
// tests' flags, no DevTools client), alternated with the same page driven by playwright as
// playground-measure drives it. Two things differ: a driven worker has the protocol's Runtime
// domain on (V8 then captures every new Error's stack for the inspector, whatever
// Error.stackTraceLimit says), and playwright launches Chromium with switches of its own, among
// them --disable-field-trial-config; `--switches` gives any of them to the plain side too, to
// tell the two apart (docs/benchmarks.md, session 11). Not a test, and not the target's measure
// (playground-measure is).
// The plain Chromium is started headless with the tests' flags, its page reports over HTTP to
// this process (127.0.0.1), and it is ended by its pid.
//   npx pnpm@12.4.2 playground-plain [--command "pnpm sim --seed 1 --steps 200000 --nodes 5"]
//     [--rounds 4] [--site DIR] [--switches "--disable-field-trial-config"]
// (DIR: a site built by playground-compare --build; else the tree's is built.)
import { spawn } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { chromium } from "playwright-core";
import { buildSite, chromiumArgs, chromiumPath } from "../test/browser/harness.js";

const { values: flags } = parseArgs({
  options: {
    command: { type: "string", default: "pnpm sim --seed 1 --steps 200000 --nodes 5" },
    rounds: { type: "string", default: "4" },
    site: { type: "string" },
    /**
     * More switches for the plain Chromium, space-separated: playwright adds its own to the one it
     * drives (e.g. `--disable-field-trial-config`, which turns off the field-trial testing
     * configuration a Chromium build otherwise runs with); give one to see what it changes.
     */
    switches: { type: "string", default: "" },
  },
});
const switches = flags.switches.split(" ").filter((s) => s !== "");

type Report = { run: number; runMs: number; steps: number; fingerprint: string };

const dir = flags.site ?? (await buildSite());
const workerFile = readdirSync(join(dir, "assets")).find((f) => f.startsWith("replay-worker"));
if (workerFile === undefined) throw new Error(`no replay worker in ${dir}/assets`);
// The page: the site's own replay worker, asked twice for the command, each answer posted back.
const request = JSON.stringify({ command: flags.command, defect: null, record: false });
const page = `<!doctype html><title>plain worker run</title><script type="module">
const worker = new Worker("/assets/${workerFile}", { type: "module" });
let answers = 0;
worker.onmessage = async (event) => {
  const { result, workerRun } = event.data;
  const report = { run: workerRun, runMs: result.runMs, steps: result.steps, fingerprint: result.fingerprint };
  await fetch("/report", { method: "POST", body: JSON.stringify(report) });
  if (++answers < 2) worker.postMessage(${request});
};
worker.postMessage(${request});
</script>`;

let deliver: ((report: Report) => void) | null = null;
const nextReport = () => new Promise<Report>((done) => (deliver = done));
// One origin for the page and the site's files (a module worker must be same-origin); the page
// posts each answer to /report.
const server = createServer((req: IncomingMessage, res: ServerResponse) => {
  const path = new URL(req.url ?? "/", "http://x").pathname;
  if (req.method === "POST" && path === "/report") {
    let body = "";
    req.on("data", (chunk) => (body += chunk));
    req.on("end", () => {
      res.end();
      deliver?.(JSON.parse(body) as Report);
    });
  } else if (path === "/") {
    res.writeHead(200, { "content-type": "text/html" }).end(page);
  } else if (path === `/assets/${workerFile}`) {
    res.writeHead(200, { "content-type": "text/javascript" });
    res.end(readFileSync(join(dir, "assets", workerFile)));
  } else {
    res.writeHead(404).end();
  }
});
await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
const pageUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;

/** Both runs of a fresh worker in a Chromium no protocol client drives. */
async function plain(): Promise<[Report, Report]> {
  const profile = mkdtempSync(join(tmpdir(), "flotilla-plain-"));
  const first = nextReport();
  const browser = spawn(
    chromiumPath,
    ["--headless", ...chromiumArgs, ...switches, `--user-data-dir=${profile}`, pageUrl],
    // Its own process group, so that its renderer and helper processes end with it (below).
    { stdio: "ignore", detached: true },
  );
  try {
    const a = await first;
    return [a, await nextReport()];
  } finally {
    const exited = new Promise((done) => browser.once("exit", done));
    // The group by the browser's pid: the browser and every process it started, none by name.
    if (browser.pid !== undefined) process.kill(-browser.pid, "SIGTERM");
    await exited;
    // Its other processes may still write to the profile for a moment after the browser exits;
    // a profile left behind in the temporary directory is not worth failing the measurement for.
    try {
      rmSync(profile, { recursive: true, force: true, maxRetries: 50, retryDelay: 100 });
    } catch (error) {
      console.error(`left ${profile} behind: ${(error as Error).message}`);
    }
  }
}

/** Both runs of a fresh worker in a Chromium driven by playwright (the protocol attached). */
async function driven(): Promise<[Report, Report]> {
  const browser = await chromium.launch({ executablePath: chromiumPath, args: [...chromiumArgs] });
  try {
    const first = nextReport();
    await (await browser.newPage()).goto(pageUrl);
    const a = await first;
    return [a, await nextReport()];
  } finally {
    await browser.close();
  }
}

const rate = (r: Report) => Math.round((r.steps * 1000) / r.runMs);
try {
  for (let round = 0; round < Number(flags.rounds); round++) {
    const sides = [
      ["no protocol", plain],
      ["playwright ", driven],
    ] as const;
    for (const [name, run] of round % 2 === 0 ? sides : [...sides].reverse()) {
      const [a, b] = await run();
      console.log(
        `round ${round + 1} ${name}: 1st run ${rate(a).toLocaleString("en")} events/s (${Math.round(a.runMs)} ms), 2nd ${rate(b).toLocaleString("en")} events/s (${Math.round(b.runMs)} ms), fingerprint ${a.fingerprint}`,
      );
    }
  }
} finally {
  server.close();
}
