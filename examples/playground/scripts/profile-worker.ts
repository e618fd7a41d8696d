// Profiles the replay worker's fast-forward in Chromium: a performance trace with V8's sampling
// CPU profiler on, while the page's worker replays one `pnpm sim` command; prints the functions
// with the most self time on the worker's thread (and on the page's, to show it stays idle).
// Not a test. Run:
//   npx pnpm@12.4.2 playground-profile [--command "pnpm sim --seed 1 --steps 100000 --nodes 5"]
//     [--record] [--warm] [--top 40] [--deopts]
// --warm profiles the command's second run in the page's worker (its code already compiled by
// an untraced first run), as a person's runs after the first are. --deopts runs Chromium with
// V8's compile and deoptimization traces instead of the profiler and prints what V8 compiled
// during the run (again after a deoptimization, too) and where the worker's code deoptimized,
// by source line (v8-trace-report.ts).
import { mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { chromium } from "playwright-core";
import { build } from "vite";
import { chromiumArgs, chromiumPath, serve } from "../test/browser/harness.js";
import { bundleSources, v8TraceReport } from "./v8-trace-report.js";

const { values: flags } = parseArgs({
  options: {
    command: { type: "string", default: "pnpm sim --seed 1 --steps 100000 --nodes 5" },
    record: { type: "boolean", default: false },
    warm: { type: "boolean", default: false },
    top: { type: "string", default: "40" },
    deopts: { type: "boolean", default: false },
    /** Analyse a trace written by an earlier run instead of running one. */
    trace: { type: "string" },
  },
});

type CallFrame = { functionName: string; url?: string; lineNumber: number };
type ProfileNode = { id: number; callFrame: CallFrame; parent?: number };
type TraceEvent = {
  name: string;
  ph: string;
  pid: number;
  tid: number;
  id?: string;
  args?: {
    name?: string;
    data?: { cpuProfile?: { nodes?: ProfileNode[]; samples?: number[] }; timeDeltas?: number[] };
  };
};

/**
 * For each bundle in `assetsDir`, the source module of each line: an unminified build opens each
 * module with a `// path/to/module.ts` comment.
 */
function moduleLines(assetsDir: string): Map<string, (line: number) => string> {
  const files = new Map<string, (line: number) => string>();
  for (const file of readdirSync(assetsDir).filter((name) => name.endsWith(".js"))) {
    const starts: { line: number; module: string }[] = [];
    readFileSync(join(assetsDir, file), "utf8")
      .split("\n")
      .forEach((text, line) => {
        const module = /^\/\/ (\S+\.[jt]s)$/.exec(text)?.[1];
        if (module !== undefined) starts.push({ line, module });
      });
    files.set(file, (line) => starts.findLast((start) => start.line <= line)?.module ?? file);
  }
  return files;
}

/** Self samples per function, per profile (one profile per thread). */
function selfTimes(events: readonly TraceEvent[], modules: Map<string, (line: number) => string>) {
  const threads = new Map<number, string>();
  for (const e of events) {
    if (e.name === "thread_name" && e.args?.name !== undefined) threads.set(e.tid, e.args.name);
  }
  const profiles = new Map<
    string,
    { tid: number; nodes: Map<number, ProfileNode>; counts: Map<number, number> }
  >();
  for (const e of events) {
    if (e.name !== "ProfileChunk" || e.id === undefined) continue;
    const key = `${e.pid}:${e.id}`;
    let profile = profiles.get(key);
    if (profile === undefined) {
      profile = { tid: e.tid, nodes: new Map(), counts: new Map() };
      profiles.set(key, profile);
    }
    for (const node of e.args?.data?.cpuProfile?.nodes ?? []) profile.nodes.set(node.id, node);
    for (const sample of e.args?.data?.cpuProfile?.samples ?? [])
      profile.counts.set(sample, (profile.counts.get(sample) ?? 0) + 1);
  }
  return [...profiles.values()].map((profile) => {
    const byFunction = new Map<string, number>();
    const byModule = new Map<string, number>();
    let total = 0;
    for (const [id, count] of profile.counts) {
      const frame = profile.nodes.get(id)?.callFrame;
      const file = frame?.url?.split("/").at(-1) ?? "";
      const line = frame?.lineNumber ?? -1;
      const module = modules.get(file)?.(line) ?? (frame?.functionName || "(vm)");
      const name = `${frame?.functionName || "(anonymous)"} ${module}:${line}`;
      byFunction.set(name, (byFunction.get(name) ?? 0) + count);
      byModule.set(module, (byModule.get(module) ?? 0) + count);
      total += count;
    }
    return { thread: threads.get(profile.tid) ?? String(profile.tid), total, byFunction, byModule };
  });
}

function report(tracePath: string): void {
  const events = (JSON.parse(readFileSync(tracePath, "utf8")) as { traceEvents: TraceEvent[] })
    .traceEvents;
  const modules = moduleLines(join(dirname(tracePath), "assets"));
  for (const profile of selfTimes(events, modules).sort((a, b) => b.total - a.total)) {
    const top = (counts: Map<string, number>) => {
      const sorted = [...counts].sort((a, b) => b[1] - a[1]).slice(0, Number(flags.top));
      for (const [name, count] of sorted)
        console.log(`${((100 * count) / profile.total).toFixed(1).padStart(5)}%  ${name}`);
    };
    console.log(`\n${profile.thread}: ${profile.total} samples; by module:`);
    top(profile.byModule);
    console.log("by function:");
    top(profile.byFunction);
  }
}

/** The code trace V8 has written so far ("" before its first line). */
function codeTraceText(path: string): string {
  try {
    return readFileSync(path, "latin1");
  } catch {
    return "";
  }
}

/**
 * Builds the site unminified (so the profile names the functions) and traces one replay; with
 * --deopts prints V8's code trace of it instead (and returns null).
 */
async function traceReplay(): Promise<string | null> {
  // The production build unminified, so the profile names the functions.
  const root = resolve(import.meta.dirname, "..");
  const dir = mkdtempSync(join(tmpdir(), "flotilla-playground-profile-"));
  await build({
    root,
    configFile: join(root, "vite.config.ts"),
    logLevel: "warn",
    build: { outDir: dir, emptyOutDir: true, minify: false },
  });
  const site = await serve(dir);
  // V8's code trace (compiles, deoptimizations) goes to a file; without a sandbox (root) the
  // renderer may write it.
  const codeTrace = join(dir, "v8-code-trace.log");
  const jsFlags = `--js-flags=--trace-opt --trace-deopt-verbose --redirect-code-traces --redirect-code-traces-to=${codeTrace}`;
  const browser = await chromium.launch({
    executablePath: chromiumPath,
    args: [...chromiumArgs, ...(flags.deopts ? [jsFlags] : [])],
  });
  try {
    const page = await browser.newPage();
    await page.goto(`${site.url}#replay`);
    await page.fill("#replay-command", flags.command);
    await page.setChecked("#replay-record", flags.record);
    if (flags.warm) {
      await page.click("#replay-form button[type=submit]");
      await page.waitForSelector("#replay-summary [data-fingerprint]", { timeout: 600_000 });
    }
    const tracePath = join(dir, "profile.json");
    // The code trace of the run alone: what the page and a --warm first run wrote is skipped.
    const traceStart = flags.deopts ? codeTraceText(codeTrace).length : 0;
    if (!flags.deopts) {
      await browser.startTracing(page, {
        path: tracePath,
        categories: ["devtools.timeline", "disabled-by-default-v8.cpu_profiler"],
      });
    }
    await page.click("#replay-form button[type=submit]");
    await page.waitForSelector("#replay-summary [data-fingerprint]", { timeout: 600_000 });
    const rate = await page.getAttribute("[data-events-per-second]", "data-events-per-second");
    if (flags.deopts) {
      const worker = readdirSync(join(dir, "assets")).find((f) => f.startsWith("replay-worker"));
      const bundle = readFileSync(join(dir, "assets", worker ?? ""), "utf8");
      const text = codeTraceText(codeTrace).slice(traceStart);
      console.log(
        `${flags.command}${flags.record ? " (recorded)" : ""}${flags.warm ? " (second run in the worker)" : ""}: ${rate} events/s (traced)`,
      );
      for (const line of v8TraceReport(text, bundleSources(bundle), Number(flags.top)))
        console.log(line);
      console.log(`code trace: ${codeTrace}`);
      return null;
    }
    await browser.stopTracing();
    console.log(
      `${flags.command}${flags.record ? " (recorded)" : ""}${flags.warm ? " (second run in the worker)" : ""}: ${rate} events/s`,
    );
    console.log(`trace: ${tracePath}`);
    return tracePath;
  } finally {
    await browser.close();
    await site.close();
  }
}

const traced = flags.trace ?? (await traceReplay());
if (traced !== null) report(traced);
