import { describe, expect, it } from "vitest";
import { deriveOptions } from "../src/derive-options.js";
import type { SimulationOverrides } from "../src/options.js";
import { runSimulation } from "../src/simulator.js";

// Storage faults as swarm faults, on the default disk (FileStorage over SimFileSystem) with every
// checker on: a slow write (one to three election timeouts), a full disk (ENOSPC) and a failed
// fsync (EIO). A node whose storage fails stops with the storage's typed error, as createNode's
// does; the run must stay correct, and after the heal (space back, fsyncs succeed) every node must
// restart and catch up, so "restart works once space is back" is part of every passing run.

async function sweep(overrides: SimulationOverrides, seeds: number) {
  const stops: string[] = [];
  const failures: string[] = [];
  let slowWrites = 0;
  for (let seed = 1; seed <= seeds; seed++) {
    const result = await runSimulation(deriveOptions(seed, { steps: 2000, ...overrides }), {
      traceListener: (line) => {
        if (line.includes(" stopped: ")) stops.push(line);
      },
    });
    slowWrites += result.counts.slowWrites;
    if (result.outcome !== "ok") {
      failures.push(
        `seed ${seed} ${result.outcome}: ${result.violation?.detail ?? result.livenessFailure ?? String(result.error)}`,
      );
    }
  }
  return { stops, failures, slowWrites };
}

describe("storage faults in the swarm", () => {
  it("a full disk stops the node with StorageFullError; it restarts once space is back", async () => {
    const { stops, failures } = await sweep({ diskFullProbability: 0.01 }, 10);
    expect(failures).toEqual([]);
    expect(stops.some((line) => line.includes("STORAGE_FULL"))).toBe(true);
  });

  it("a failed fsync stops the node with StorageNeedsReopenError; it restarts", async () => {
    const { stops, failures } = await sweep({ fsyncFailureProbability: 0.01 }, 10);
    expect(failures).toEqual([]);
    expect(stops.some((line) => line.includes("STORAGE_NEEDS_REOPEN"))).toBe(true);
    expect(stops.every((line) => /STORAGE_(FULL|NEEDS_REOPEN)/.test(line))).toBe(true);
  });

  it("writes slower than an election timeout", async () => {
    const { failures, slowWrites } = await sweep({ slowWriteProbability: 0.05 }, 10);
    expect(failures).toEqual([]);
    expect(slowWrites).toBeGreaterThan(0);
  });
});
