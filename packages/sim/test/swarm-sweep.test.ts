import { describe, expect, it } from "vitest";
import { deriveOptions } from "../src/derive-options.js";
import { runSimulation } from "../src/simulator.js";
import { openReducerBugs } from "./regression-seeds.js";

// CI's swarm: 500 consecutive seeds, 2,000 steps each, every scenario the seeds pick. A failure
// prints the command that replays it. Seeds with an open, reported reducer bug run in
// regression.test.ts (as expected failures) and are skipped here, so this sweep stays a tripwire
// for anything new.

const firstSeed = 1;
const seeds = 500;
const steps = 2000;

describe(`swarm sweep: seeds ${firstSeed}..${firstSeed + seeds - 1}, ${steps} steps each`, () => {
  const open = new Set(
    openReducerBugs
      .filter((b) => b.steps === steps && b.overrides === undefined)
      .map((b) => b.seed),
  );
  for (let chunk = 0; chunk < seeds; chunk += 100) {
    it(`seeds ${firstSeed + chunk}..${firstSeed + chunk + 99}`, async () => {
      const failures: string[] = [];
      for (let seed = firstSeed + chunk; seed < firstSeed + chunk + 100; seed++) {
        if (open.has(seed)) continue;
        const result = await runSimulation(deriveOptions(seed, { steps }));
        if (result.outcome !== "ok") {
          const why = result.violation?.detail ?? result.livenessFailure ?? String(result.error);
          failures.push(
            `seed ${seed} ${result.outcome}: ${why}\n  reproduce: pnpm sim --seed ${seed} --steps ${steps}`,
          );
        }
      }
      expect(failures, failures.join("\n")).toEqual([]);
    });
  }
});

// Amnesia, kept apart so the sweep above stays strict: every crash may bring a node back from an
// empty or older data directory. Safety violations amnesia can cause are excused (the checks
// stop there; violation.ts, amnesiaExcusable); everything else is still demanded: nothing thrown,
// no spin, no other violation first, and the liveness phase (every node caught up unless a
// violation was excused).
const amnesiaSeeds = 100;

describe(`amnesia sweep: seeds ${firstSeed}..${firstSeed + amnesiaSeeds - 1}, --amnesia 0.5 --crash-rate 0.005`, () => {
  it("keeps serving, reports, never spins", async () => {
    const failures: string[] = [];
    let amnesias = 0;
    let reports = 0;
    for (let seed = firstSeed; seed < firstSeed + amnesiaSeeds; seed++) {
      const overrides = { steps, amnesiaProbability: 0.5, crashProbability: 0.005 };
      const result = await runSimulation(deriveOptions(seed, overrides));
      amnesias += result.counts.amnesias;
      reports += result.counts.lostLogReports;
      if (result.outcome !== "ok") {
        const why = result.violation?.detail ?? result.livenessFailure ?? String(result.error);
        failures.push(
          `seed ${seed} ${result.outcome}: ${why}\n  reproduce: pnpm sim --seed ${seed} --steps ${steps} --amnesia 0.5 --crash-rate 0.005`,
        );
      }
    }
    expect(failures, failures.join("\n")).toEqual([]);
    expect(amnesias).toBeGreaterThan(amnesiaSeeds);
    expect(reports).toBeGreaterThan(0);
  });
});
