import { describe, expect, it } from "vitest";
import { deriveOptions } from "../src/options.js";
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
