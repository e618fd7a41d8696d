import { describe, expect, it } from "vitest";
import { deriveOptions } from "../src/derive-options.js";
import { runSimulation } from "../src/simulator.js";
import {
  fixedReducerBugs,
  fixedSimulatorBugs,
  openReducerBugs,
  type PinnedSeed,
} from "./regression-seeds.js";

function run(pin: PinnedSeed) {
  return runSimulation(deriveOptions(pin.seed, { steps: pin.steps, ...pin.overrides }));
}

function label(pin: PinnedSeed): string {
  return `seed ${pin.seed} (${pin.steps} steps): ${pin.found}`;
}

describe("pinned seeds of fixed reducer and simulator bugs pass", () => {
  for (const pin of [...fixedReducerBugs, ...fixedSimulatorBugs]) {
    it(label(pin), async () => {
      const result = await run(pin);
      expect(result.outcome, result.violation?.detail ?? result.livenessFailure ?? "").toBe("ok");
    });
  }
  it("the list is well-formed", async () => {
    for (const pin of [...fixedReducerBugs, ...fixedSimulatorBugs, ...openReducerBugs]) {
      expect(Number.isSafeInteger(pin.seed) && pin.steps >= 1).toBe(true);
    }
  });
});

// Expected failures: each still reproduces its open bug. When the reducer is fixed the test
// fails, which is the signal to move the seed to fixedReducerBugs. (None open at the moment.)
describe.runIf(openReducerBugs.length > 0)("pinned seeds of open reducer bugs still fail", () => {
  for (const pin of openReducerBugs) {
    it.fails(label(pin), async () => {
      const result = await run(pin);
      expect(result.outcome).toBe("ok");
    });
  }
});
