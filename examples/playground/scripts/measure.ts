// Measures the playground's targets in Chromium (not a test: tests never assert on time):
//   - frame time at 5 nodes, normal speed, from a Chromium performance trace;
//   - the replay worker's fast-forward, in simulated events per second;
//   - the production bundle's gzipped size.
// Run: node --conditions=@flotilla/source --import tsx examples/playground/scripts/measure.ts
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { chromium } from "playwright-core";
import { buildSite, chromiumPath, serve } from "../test/browser/harness.js";

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
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
  await page.goto(`${site.url}?seed=1&nodes=5`);
  await page.keyboard.press("f");
  await page.keyboard.press(" "); // play at 1x
  await page.waitForTimeout(1000);
  const tracePath = join(dir, "trace.json");
  await browser.startTracing(page, { path: tracePath, categories: ["devtools.timeline", "blink"] });
  await page.waitForTimeout(5000);
  await browser.stopTracing();
  const events = JSON.parse(readFileSync(tracePath, "utf8")).traceEvents as {
    name: string;
    dur?: number;
    ph: string;
  }[];
  const durations = (name: string) =>
    events.filter((e) => e.name === name && e.dur !== undefined).map((e) => e.dur! / 1000);
  const frames = durations("FireAnimationFrame").sort((a, b) => a - b);
  const work = ["FireAnimationFrame", "UpdateLayoutTree", "Layout", "Paint", "PrePaint", "Layerize"]
    .flatMap(durations)
    .reduce((sum, ms) => sum + ms, 0);
  const pct = (p: number) =>
    frames[Math.min(frames.length - 1, Math.floor(p * frames.length))]?.toFixed(2);
  console.log(
    `frames: ${frames.length} in 5 s; animation-frame callback p50 ${pct(0.5)} ms, p95 ${pct(0.95)} ms, max ${frames.at(-1)?.toFixed(2)} ms; main-thread work (callback + style + layout + paint) ${(work / Math.max(frames.length, 1)).toFixed(2)} ms per frame`,
  );

  // The default disk (FileStorage on a simulated file system, as `pnpm sim` runs), then the bare
  // simulated disk (`--disk memory`), the simulator's faster mode.
  for (const command of [
    "pnpm sim --seed 1 --steps 200000 --nodes 5",
    "pnpm sim --seed 1 --steps 200000 --nodes 5 --disk memory",
  ]) {
    await page.goto(`${site.url}#replay`);
    await page.fill("#replay-command", command);
    await page.click("#replay-form button[type=submit]");
    await page.waitForSelector("#replay-summary [data-fingerprint]", { timeout: 300_000 });
    const summary = (await page.textContent("#replay-summary"))?.replace(/\s+/g, " ").trim();
    console.log(`replay worker: ${summary}`);
  }
} finally {
  await browser.close();
  await site.close();
}

const assets = join(dir, "assets");
for (const file of readdirSync(assets)) {
  const bytes = readFileSync(join(assets, file));
  console.log(
    `bundle ${file}: ${statSync(join(assets, file)).size} bytes, ${gzipSync(bytes).length} gzipped`,
  );
}
