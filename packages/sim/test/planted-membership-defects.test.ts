import { describe, expect, it } from "vitest";
import type { SimulationOverrides } from "../src/options.js";
import type { RaftCore } from "../src/raft-core.js";
import { type MembershipDefectName, membershipDefects } from "./membership-defects.js";
import { caughtAsExpected, findViolation, seedsFrom } from "./search.js";

// Every rule of membership changes (thesis chapter 4; packages/core/src/membership-change.ts,
// quorum.ts, membership-log.ts) is one the simulator can break and catch: each defect is planted
// through the `core` seam (membership-defects.ts) and a bounded search over seeds, with the leader
// asked for a random change often and spare nodes to add, must find a violation the shipped core
// does not have on the same seed. Pinned seeds first (they make the suite fast), then a scan, so
// a change that moves the failure to another seed is still caught.

type Case = {
  readonly defect: MembershipDefectName;
  readonly overrides: SimulationOverrides;
  readonly pinned: readonly number[];
  readonly budget: number;
};

/** Changes asked for often, with spare nodes to add. */
const busyOperator: SimulationOverrides = { membershipProbability: 0.1, spareNodeCount: 2 };

const cases: readonly Case[] = [
  { defect: "twoChangesInFlight", overrides: busyOperator, pinned: [1], budget: 300 },
  { defect: "jointQuorumOfNewConfigOnly", overrides: busyOperator, pinned: [3], budget: 300 },
  { defect: "configurationAtCommit", overrides: busyOperator, pinned: [2, 1], budget: 300 },
];

describe("a bounded seed search finds each planted membership defect", () => {
  for (const c of cases) {
    it(c.defect, async () => {
      const core = membershipDefects[c.defect] as RaftCore<unknown>;
      const found = await findViolation({ core }, seedsFrom(c.pinned, 1, c.budget), {
        steps: 2000,
        ...c.overrides,
      });
      expect(found, `no violation in seeds 1..${c.budget}`).not.toBeNull();
      if (found === null) return;
      console.log(caughtAsExpected(c.defect, found));
      expect(found.result.violation).not.toBeNull();
    });
  }
});
