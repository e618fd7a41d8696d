import { execFileSync } from "node:child_process";
import { resolve } from "node:path";
import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { chromiumPresent, openPage, setRange, usePlayground } from "./harness.js";

// Replay mode in Chromium: a pasted `pnpm sim` command runs in the page's worker and shows the
// same fingerprint as the CLI run here; a planted defect's violation is displayed and jumped to.

const repoRoot = resolve(import.meta.dirname, "../../../..");

/** `pnpm sim --seed N` as a person runs it, without pnpm's own start-up (same script, same flags). */
function cliFingerprint(seed: number, ...flags: string[]): string {
  const out = execFileSync(
    process.execPath,
    [
      "--conditions=@flotilla/source",
      "--import",
      "tsx",
      "packages/sim/src/cli.ts",
      "--seed",
      String(seed),
      ...flags,
    ],
    { cwd: repoRoot, encoding: "utf8", timeout: 60_000 },
  );
  const fingerprint = /fingerprint=([0-9a-f]{8})/.exec(out)?.[1];
  if (fingerprint === undefined) throw new Error(`no fingerprint in the CLI's output:\n${out}`);
  return fingerprint;
}

async function replay(page: Page, command: string, defect = ""): Promise<void> {
  await page.fill("#replay-command", command);
  await page.selectOption("#replay-defect", defect);
  await page.click("#replay-form button[type=submit]");
  await page.waitForSelector("#replay-summary [data-fingerprint]", { timeout: 60_000 });
}

describe.skipIf(!chromiumPresent)("replay in Chromium", () => {
  const playground = usePlayground();

  it("shows the CLI's fingerprint for the same seed, and the run frame by frame", async () => {
    const seed = 42;
    const expected = cliFingerprint(seed);
    const { page, errors } = await openPage(playground.context(), `${playground.url()}#replay`);
    await replay(page, `npx pnpm@12.4.2 sim --seed ${seed}`);
    expect(await page.getAttribute("#fingerprint", "data-fingerprint")).toBe(expected);
    expect(await page.getAttribute("[data-violation]", "data-violation")).toBe("none");
    // The end of the run has a leader; its start has none.
    await setRange(page, "#replay-scrubber", "max");
    expect(await page.locator('#replay-cards [data-role="leader"]').count()).toBeGreaterThan(0);
    await setRange(page, "#replay-scrubber", "min");
    expect(await page.locator('#replay-cards [data-role="leader"]').count()).toBe(0);

    expect(await page.getAttribute("[data-worker-run]", "data-worker-run")).toBe("1");

    // Run again without recording, in the same worker (kept for the next run, its code compiled):
    // the same fingerprint, and no frames left on screen.
    await page.setChecked("#replay-record", false);
    await replay(page, `pnpm sim --seed ${seed}`);
    expect(await page.getAttribute("[data-worker-run]", "data-worker-run")).toBe("2");
    expect(await page.getAttribute("#fingerprint", "data-fingerprint")).toBe(expected);
    expect(await page.textContent("#replay-summary")).toContain("not recorded");
    expect(await page.getAttribute("#replay-scrubber", "max")).toBe("0");
    expect(await page.locator("#replay-cards [data-node]").count()).toBe(0);
    expect(errors).toEqual([]);
  });

  it("runs FileStorage's snapshots as the CLI does: seed 1 streams one in slices, checksummed as it goes", async () => {
    // The page's crc32 (src/node-shims/zlib.ts) once ignored the running value, so a snapshot
    // checksummed slice by slice was refused in the page ("no stored bytes for snapshot 206"),
    // a crash at step 17,070 that the CLI never had.
    const flags = ["--steps", "20000", "--nodes", "5"];
    const expected = cliFingerprint(1, ...flags);
    const { page, errors } = await openPage(playground.context(), `${playground.url()}#replay`);
    await page.setChecked("#replay-record", false);
    // First a run with a planted defect, so that the seed-1 run is the worker's second: a reused
    // worker keeps nothing of a run (not its core, not its state) that could change the next.
    await replay(page, "pnpm sim --seed 3 --steps 2000", "forgetsVoteOnRestart");
    await replay(page, `pnpm sim --seed 1 ${flags.join(" ")}`);
    expect(await page.getAttribute("[data-worker-run]", "data-worker-run")).toBe("2");
    expect(await page.getAttribute("[data-outcome]", "data-outcome")).toBe("ok");
    expect(await page.getAttribute("#fingerprint", "data-fingerprint")).toBe(expected);
    expect(errors).toEqual([]);
  });

  it("displays a planted defect's violation and jumps to it", async () => {
    // Seed 3 finds "forgets its vote on restart" within 2,000 steps (found by a seed search).
    const { page, errors } = await openPage(playground.context(), `${playground.url()}#replay`);
    await replay(page, "pnpm sim --seed 3 --steps 2000", "forgetsVoteOnRestart");
    const violation = await page.getAttribute("[data-violation]", "data-violation");
    expect(violation).toBe("termOrVoteRegressed");
    await page.click("#replay-violation");
    const position = await page.$eval("#replay-scrubber", (input: HTMLInputElement) => [
      input.value,
      input.max,
    ]);
    expect(position[0]).toBe(position[1]);
    expect(await page.textContent("#replay-trace .now")).not.toBe("");
    expect(errors).toEqual([]);
  });
});
