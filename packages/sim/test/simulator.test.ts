import { describe, expect, it } from "vitest";
import { deriveOptions } from "../src/derive-options.js";
import { SimulationOptionsError } from "../src/errors.js";
import { formatOptions } from "../src/options.js";
import { runSimulation, type ScheduledFault } from "../src/simulator.js";
import { validateOptions } from "../src/validate-options.js";

describe("swarm options", () => {
  it("derives the same scenario from the same seed, and different ones from others", async () => {
    expect(deriveOptions(7)).toEqual(deriveOptions(7));
    const scenarios = new Set(
      Array.from({ length: 20 }, (_, i) => formatOptions(deriveOptions(i))),
    );
    expect(scenarios.size).toBe(20);
    const sizes = new Set(Array.from({ length: 50 }, (_, i) => deriveOptions(i).nodeCount));
    expect([...sizes].sort()).toEqual([2, 3, 4, 5, 6, 7]);
  });

  it("keeps every other option when one is overridden", async () => {
    const base = deriveOptions(11);
    const pinned = deriveOptions(11, { lossProbability: 0.5, nodeCount: 7 });
    expect({ ...pinned, lossProbability: base.lossProbability, nodeCount: base.nodeCount }).toEqual(
      base,
    );
  });

  it("rejects out-of-range options with a typed error naming the field", async () => {
    expect(() => deriveOptions(1, { nodeCount: 8 as never })).toThrow(SimulationOptionsError);
    expect(() => deriveOptions(1, { nodeCount: 1 as never })).toThrow(/nodeCount/);
    expect(() => deriveOptions(1, { lossProbability: 2 })).toThrow(/lossProbability/);
    expect(() => validateOptions({ ...deriveOptions(1), steps: 0 })).toThrow(/steps/);
  });
});

describe("determinism", () => {
  it("replays a run bit for bit: same fingerprint, steps and history", async () => {
    for (const seed of [3, 42, 1001]) {
      const options = deriveOptions(seed, { steps: 3000 });
      const a = await runSimulation(options);
      const b = await runSimulation(options);
      expect(b.fingerprint, `seed ${seed}`).toBe(a.fingerprint);
      expect(b.steps).toBe(a.steps);
      expect(b.history).toEqual(a.history);
      expect(b.recentTrace).toEqual(a.recentTrace);
    }
  });

  it("gives different runs for different seeds", async () => {
    const prints = new Set<string>();
    for (const seed of [1, 2, 3, 4, 5]) {
      prints.add((await runSimulation(deriveOptions(seed, { steps: 500 }))).fingerprint);
    }
    expect(prints.size).toBe(5);
  });
});

describe("a run", () => {
  it("elects, commits, acknowledges and passes both phases on a quiet network", async () => {
    const options = deriveOptions(5, {
      steps: 4000,
      nodeCount: 5,
      lossProbability: 0,
      duplicateProbability: 0,
      partitionPattern: "none",
      crashProbability: 0,
      leaderFaultProbability: 0,
    });
    const result = await runSimulation(options);
    expect(result.outcome, result.livenessFailure ?? "").toBe("ok");
    expect(result.counts.leadersElected).toBeGreaterThanOrEqual(1);
    expect(result.counts.committed).toBeGreaterThan(10);
    expect(result.counts.acknowledged).toBeGreaterThan(10);
    expect(result.history.length).toBeGreaterThan(10);
  });

  it("follows a scripted fault schedule instead of random faults", async () => {
    const faults: ScheduledFault[] = [
      { atMs: 300, kind: "crash", node: 0 },
      { atMs: 320, kind: "partition", groups: [[1], [2, 3, 4]] },
      { atMs: 600, kind: "heal" },
      { atMs: 700, kind: "restart", node: 0 },
      { atMs: 800, kind: "cut", from: 2, to: 3 },
    ];
    const options = deriveOptions(9, { steps: 3000, nodeCount: 5 });
    const result = await runSimulation(options, { faults, traceCapacity: 5000 });
    expect(result.outcome, result.livenessFailure ?? result.violation?.detail ?? "").toBe("ok");
    const faultLines = result.recentTrace.filter(
      (l) => l.includes(" fault ") && !l.includes(" start n"),
    );
    expect(faultLines.slice(0, 5).map((l) => l.replace(/^\s*\d+ms fault\s+/, ""))).toEqual([
      expect.stringMatching(/^crash n1/),
      "partition n2 | n3,n4,n5",
      "heal",
      expect.stringMatching(/^restart n1/),
      "cut n3->n4",
    ]);
    expect(result.counts.crashes).toBe(1);
  });

  it("reports an exception from the reducer as a crash with the trace before it", async () => {
    let calls = 0;
    const result = await runSimulation(deriveOptions(2, { steps: 1000 }), {
      core: {
        init: (config, persisted) => ({ config, persisted }),
        step: (state) => {
          if (++calls === 50) throw new Error("planted exception");
          return { state, messages: [], effects: [] };
        },
      },
    });
    expect(result.outcome).toBe("crash");
    expect(String(result.error)).toContain("planted exception");
    expect(result.recentTrace.length).toBeGreaterThan(0);
  });

  it("reports a cluster that never elects a leader as a liveness failure", async () => {
    const result = await runSimulation(deriveOptions(2, { steps: 500 }), {
      core: {
        init: () => 0,
        step: (state) => ({ state, messages: [], effects: [] }),
      },
    });
    expect(result.outcome).toBe("liveness");
    expect(result.livenessFailure).toMatch(/no leader|timed out|did not complete/);
  });
});
