import { deriveOptions, runSimulation } from "@flotilla/sim";
import { describe, expect, it } from "vitest";
import { parseSimCommand, ReplayCommandError, runReplay } from "../src/replay/replay-run.js";

// The replay reads a pasted `pnpm sim` command as the CLI does, and its recorder watches without
// changing the run: the fingerprint is the one runSimulation gives without it.

describe("replay", () => {
  it("reads the seed and the CLI's override flags from a pasted command", () => {
    expect(
      parseSimCommand(
        "npx pnpm@12.4.2 sim --seed 42 --nodes 5 --loss 0.1 --partition bridge --steps 900",
      ),
    ).toEqual({
      seed: 42,
      overrides: { nodeCount: 5, lossProbability: 0.1, partitionPattern: "bridge", steps: 900 },
    });
    expect(() => parseSimCommand("pnpm sim --seed 1 --frobnicate 2")).toThrow(ReplayCommandError);
    expect(() => parseSimCommand("pnpm sim --seed")).toThrow(ReplayCommandError);
  });

  it("records a run without changing it: same fingerprint and steps as runSimulation alone", () => {
    const seed = 5;
    const plain = runSimulation(deriveOptions(seed, { steps: 1500 }));
    const recorded = runReplay(
      { command: `pnpm sim --seed ${seed} --steps 1500`, defect: null },
      () => 0,
    );
    expect(recorded.fingerprint).toBe(plain.fingerprint);
    expect(recorded.steps).toBe(plain.steps);
    expect(recorded.frames.length).toBeGreaterThan(plain.coreSteps);
  });
});
